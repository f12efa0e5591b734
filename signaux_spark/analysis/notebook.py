"""Settings and Spark session of the notebooks.

A notebook reads the embedded default (`conf/local.yaml`, the demo data under ./data) unless the
environment says otherwise:

- `SIGNAUX_SPARK_ROOT`: another `paths.root` (every other path of the conf is relative to it);
- `SIGNAUX_SPARK_SMALL=1`: a small budget for quick runs on `tiny` data (two cores, two shuffle
  partitions, two tuning trials of a few trees on one validation block, and the short time split a
  few years of history allow).

The test suite runs every notebook that way on the lake its end-to-end test builds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pyspark.sql import SparkSession

from signaux_spark.config import Settings, load_settings
from signaux_spark.progress import setup_logging
from signaux_spark.session import build_session

ROOT_ENV = "SIGNAUX_SPARK_ROOT"
SMALL_ENV = "SIGNAUX_SPARK_SMALL"

SMALL_OVERRIDES = [
    "spark.master=local[2]",
    "spark.shuffle_partitions=2",
    "spark.driver_memory=2g",
    "model.gap_months=6",
    "model.test_months=3",
    "model.validation_months=3",
    "model.tuning.max_evals=2",
    "model.tuning.early_stop_trials=2",
    "model.tuning.space.max_iter=[5,10]",
    "model.tuning.space.min_leaf_share=[0.0005,0.005]",
    "model.validation_blocks=1",  # tiny data has a handful of failures a year: one block
]
SMALL_SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2",
}


def notebook_overrides(environ: Mapping[str, str] | None = None) -> list[str]:
    """The KEY=VALUE overrides the environment asks for (see the module docstring)."""
    env = os.environ if environ is None else environ
    overrides = []
    if env.get(ROOT_ENV):
        overrides.append(f"paths.root={env[ROOT_ENV]}")
    if env.get(SMALL_ENV) == "1":
        overrides += SMALL_OVERRIDES
    return overrides


def notebook_settings(*overrides: str, environ: Mapping[str, str] | None = None) -> Settings:
    """conf/local.yaml, then the environment's overrides, then `overrides` (KEY=VALUE, they win)."""
    env = os.environ if environ is None else environ
    settings = load_settings(overrides=[*notebook_overrides(env), *overrides])
    if env.get(SMALL_ENV) == "1":
        settings.spark.conf = {**SMALL_SPARK_CONF, **settings.spark.conf}
    return settings


def notebook_session(settings: Settings, app_name: str = "signaux_spark-notebook") -> SparkSession:
    """The project's Spark session for a notebook, with the jobs' progress lines shown."""
    setup_logging()
    return build_session(app_name, settings)
