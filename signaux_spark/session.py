"""The only place that builds a SparkSession.

Local runs get the Delta jars from `jars/` (fetched by the set-up) through `spark.jars`; a job started
by `spark-submit` already has them (`--jars`) and its master, so neither is overridden then.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from signaux_spark.config import CONF_DIR, PROJECT_ROOT, Settings

# How Spark evaluates expressions: its own result-equivalent settings, chosen per run where the fixed
# cost matters. Generated code (Spark's default) pays off on many rows; without it, no class is
# generated, formatted, hashed and compiled per query and task, which is most of the time a query
# on a few thousand rows takes in a fresh JVM.
GENERATED_CODE_CONF = {"spark.sql.codegen.wholeStage": "true", "spark.sql.codegen.factoryMode": "FALLBACK"}
INTERPRETED_CONF = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}


class RuntimeSetupError(RuntimeError):
    """The runtime is not set up (jars missing, wrong versions): says what to run."""


def versions() -> dict[str, str]:
    """The pinned runtime versions of conf/versions.env."""
    pinned = {}
    for line in (CONF_DIR / "versions.env").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            pinned[key.strip()] = value.strip()
    return pinned


def delta_jars() -> list[str]:
    """Paths of the Delta jars the set-up fetched; a clear error when they are missing."""
    pinned = versions()
    version = pinned["DELTA_VERSION"]
    names = [f"{pinned['DELTA_SPARK_ARTIFACT']}-{version}.jar", f"delta-storage-{version}.jar"]
    jars = [PROJECT_ROOT / "jars" / name for name in names]
    missing = [str(j) for j in jars if not j.is_file()]
    if missing:
        raise RuntimeSetupError(f"Delta jars missing ({', '.join(missing)}): run 'make setup' first.")
    return [str(j) for j in jars]


def started_by_spark_submit() -> bool:
    """spark-submit starts the JVM first and hands Python a gateway port."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def session_conf(settings: Settings) -> dict[str, str]:
    """The Spark properties every session of the project gets (settings' own `spark.conf` win)."""
    conf = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        # A table's state (its list of files) is held in this many partitions, and every read filters
        # it in a Spark job of as many tasks. Our tables have hundreds of files, not millions: one
        # partition is enough, and a month's features step ran in 64.5 s instead of 83 s with 8.
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.ui.showConsoleProgress": "false",
        # A features build alone generates some 700 classes: with the default cache of 100, the
        # next month (or the next test) compiles and JIT-compiles them all again.
        "spark.sql.codegen.cache.maxEntries": "2000",
        # With it on, every DataFrame call from Python makes about five more calls to the JVM to
        # record its Python line for error messages: building the eleven sources' typed frames took
        # 94,000 calls and 11-14 s instead of 36,000 and 6-7 s. PySpark reads it once per process,
        # so it belongs here, not in a block's temporary settings; `spark.conf` can turn it back on.
        "spark.python.sql.dataFrameDebugging.enabled": "false",
    }
    conf.update(settings.spark.conf)
    return conf


@contextmanager
def temporary_conf(spark: SparkSession, conf: dict[str, str]):
    """Set Spark session properties for the block, then put the previous values back."""
    previous = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def build_session(app_name: str, settings: Settings) -> SparkSession:
    """Build (or reuse) the session of a job, configured from the settings."""
    builder = SparkSession.builder.appName(app_name)
    if not started_by_spark_submit():
        python = sys.executable
        os.environ["PYSPARK_PYTHON"] = python
        os.environ["PYSPARK_DRIVER_PYTHON"] = python
        log4j = Path(CONF_DIR / "log4j2.properties")
        builder = (
            builder.master(settings.spark.master)
            .config("spark.jars", ",".join(delta_jars()))
            .config("spark.driver.memory", settings.spark.driver_memory)
            .config("spark.pyspark.python", python)
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        )
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings.spark.log_level)
    spark.sparkContext.setCheckpointDir(settings.path("checkpoints"))
    return spark
