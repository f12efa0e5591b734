"""The platform self-check behind jobs/doctor.py: the pinned Spark and Delta run, a Delta table can be
written, appended, read back, time-travelled and merged where the lake lives, and MLflow can log.
Each check returns what it saw or raises with the reason."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

from pyspark.sql import SparkSession

from signaux_spark.config import Settings
from signaux_spark.io import Lake
from signaux_spark.session import versions


def checks(spark: SparkSession, settings: Settings) -> list[tuple[str, Callable[[], str]]]:
    """(name, check) in the order they must run: the Delta checks share one scratch table."""
    pinned, lake = versions(), Lake(settings)
    table = f"_doctor/{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    numbers = lambda start, end: spark.range(start, end).withColumnRenamed("id", "n")  # noqa: E731

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
        lake.write(numbers(0, 10), table)
        return f"wrote 10 rows to {lake.path(table)}"

    def append() -> str:
        lake.write(numbers(10, 15), table, mode="append")
        return "appended 5 rows (version 1)"

    def read_back() -> str:
        rows = lake.read(spark, table).count()
        if rows != 15:
            raise AssertionError(f"read {rows} rows back, expected 15")
        return "read 15 rows back"

    def time_travel() -> str:
        rows = lake.read(spark, table, version=0).count()
        if rows != 10:
            raise AssertionError(f"version 0 holds {rows} rows, expected 10")
        return "version 0 holds the 10 first rows"

    def merge() -> str:
        (
            lake.table(spark, table)
            .alias("t")
            .merge(numbers(12, 20).alias("u"), "t.n = u.n")
            .whenNotMatchedInsertAll()
            .execute()
        )
        rows = lake.read(spark, table).count()
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
        lake.drop(spark, table)
        return "removed the test table"

    return [
        ("spark version", spark_version),
        ("delta version", delta_version),
        ("delta write", write),
        ("delta append", append),
        ("delta read", read_back),
        ("delta time travel", time_travel),
        ("delta merge", merge),
        ("mlflow tracking", mlflow_writable),
        ("cleanup", cleanup),
    ]


def run_checks(spark: SparkSession, settings: Settings) -> Iterator[tuple[str, str | None, BaseException | None]]:
    """(name, what it saw, None) or (name, None, the error) for every check: all of them run,
    whatever broke."""
    for name, check in checks(spark, settings):
        try:
            yield name, check(), None
        except Exception as err:
            yield name, None, err
