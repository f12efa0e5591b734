"""Platform self-check, the first thing ops run on a new machine or cluster.

    ./spark-submit.sh doctor [--conf FILE] [KEY=VALUE ...]

Prints one line per check (OK, or FAIL with the reason) and exits non-zero if any check failed.
"""

from __future__ import annotations

import sys
import time
import traceback
import uuid
from typing import Callable

from signaux_spark import cli
from signaux_spark.config import Settings
from signaux_spark.session import build_session, versions


def hadoop_delete(spark, path: str) -> None:
    """Remove a folder on whatever file system holds it (local, HDFS, S3)."""
    jvm = spark._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    hpath.getFileSystem(spark._jsc.hadoopConfiguration()).delete(hpath, True)


def checks(spark, settings: Settings) -> list[tuple[str, Callable[[], str]]]:
    from delta.tables import DeltaTable

    pinned = versions()
    table = f"{settings.path('lake').rstrip('/')}/_doctor/{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"

    def spark_version() -> str:
        if spark.version != pinned["SPARK_VERSION"]:
            raise AssertionError(f"Spark {spark.version} runs, conf/versions.env pins {pinned['SPARK_VERSION']}")
        return f"Spark {spark.version}, master {spark.sparkContext.master}"

    def delta_version() -> str:
        running = spark._jvm.io.delta.package.VERSION()
        if running != pinned["DELTA_VERSION"]:
            raise AssertionError(f"Delta {running} on the classpath, conf/versions.env pins {pinned['DELTA_VERSION']}")
        return f"Delta {running}"

    def write() -> str:
        spark.range(0, 10).withColumnRenamed("id", "n").write.format("delta").save(table)
        return f"wrote 10 rows to {table}"

    def append() -> str:
        spark.range(10, 15).withColumnRenamed("id", "n").write.format("delta").mode("append").save(table)
        return "appended 5 rows (version 1)"

    def read_back() -> str:
        rows = spark.read.format("delta").load(table).count()
        if rows != 15:
            raise AssertionError(f"read {rows} rows back, expected 15")
        return "read 15 rows back"

    def time_travel() -> str:
        rows = spark.read.format("delta").option("versionAsOf", 0).load(table).count()
        if rows != 10:
            raise AssertionError(f"version 0 holds {rows} rows, expected 10")
        return "version 0 holds the 10 first rows"

    def merge() -> str:
        updates = spark.range(12, 20).withColumnRenamed("id", "n")
        (DeltaTable.forPath(spark, table).alias("t")
         .merge(updates.alias("u"), "t.n = u.n").whenNotMatchedInsertAll().execute())
        rows = spark.read.format("delta").load(table).count()
        if rows != 20:
            raise AssertionError(f"{rows} rows after MERGE, expected 20")
        return "MERGE inserted the 5 new keys and left the 3 matched ones"

    def mlflow_writable() -> str:
        import mlflow

        from signaux_spark.tracking import configure_mlflow

        configure_mlflow(settings)
        with mlflow.start_run(run_name="doctor") as run:
            mlflow.log_metric("doctor", 1.0)
            mlflow.log_text("doctor check", "doctor.txt")
        mlflow.delete_run(run.info.run_id)
        return f"logged and deleted a run at {settings.tracking_uri}"

    def cleanup() -> str:
        hadoop_delete(spark, table)
        return "removed the test table"

    return [("spark version", spark_version), ("delta version", delta_version), ("delta write", write),
            ("delta append", append), ("delta read", read_back), ("delta time travel", time_travel),
            ("delta merge", merge), ("mlflow tracking", mlflow_writable), ("cleanup", cleanup)]


def main(argv: list[str] | None = None) -> int:
    args, settings = cli.parse(cli.parser(__doc__), argv)
    spark = build_session("signaux_spark-doctor", settings)
    failed = 0
    for name, check in checks(spark, settings):
        try:
            print(f"OK   {name}: {check()}", flush=True)
        except Exception as err:  # every check reports, whatever broke
            failed += 1
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            print(f"FAIL {name}: {reason}", flush=True)
            traceback.print_exc(file=sys.stderr, limit=3)
    print(f"doctor: {'all checks OK' if not failed else f'{failed} check(s) failed'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
