"""The real steps of the monthly run, each a thin call into its stage that reports row counts and
the Delta versions it wrote to the run record. The batch month is the month every step works on:
a delivery of month M is usable from month M on, so M is featured, scored and exported."""

from __future__ import annotations

from pyspark.sql import SparkSession

from signaux_spark import tables
from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.export.publish import export_period
from signaux_spark.features.build import build_month
from signaux_spark.ingest import ingest
from signaux_spark.io import Lake
from signaux_spark.model.training import train
from signaux_spark.monitoring.run import monitor_period, verdict
from signaux_spark.months import parse_month
from signaux_spark.ops.monthly import StepFn, StepOutput
from signaux_spark.scoring.score import score_period
from signaux_spark.sources import SOURCES


def versions(spark: SparkSession, settings: Settings, names) -> dict[str, int]:
    lake = Lake(settings)
    found = {table: lake.version(spark, table) for table in names}
    return {table: v for table, v in found.items() if v is not None}


def ingest_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    report = ingest(spark, settings, [batch], run_id=run_id)
    print(report.table(), flush=True)
    if report.failures:
        raise JobError(f"{len(report.failures)} source(s) failed: " + " | ".join(report.failures))
    rows = {
        "lines read": sum(u.lines_read for u in report.units),
        "accepted": sum(u.accepted_lines for u in report.units),
        "rejected": sum(u.rejected_lines for u in report.units),
    }
    written = [tables.bronze(s) for s in SOURCES] + [tables.REJECTS, tables.INGEST_REPORT]
    return StepOutput(rows, versions(spark, settings, written))


def features_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    counts = build_month(spark, settings, parse_month(batch))
    return StepOutput(counts, versions(spark, settings, tables.FEATURE_TABLES))


def train_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    result = train(spark, settings, parse_month(batch))
    print(
        f"model {settings.mlflow.model_name} version {result.version}: test AP {result.test['ap']:.4f}"
        f"{' (champion)' if result.promoted else ' (challenger)'}",
        flush=True,
    )
    return StepOutput({"trials": result.trials}, {f"model/{settings.mlflow.model_name}": int(result.version)})


def score_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    counts = score_period(spark, settings, parse_month(batch))
    return StepOutput(counts, versions(spark, settings, [settings.score.table]))


def monitor_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    """Write the month's findings, then stop the run here when one is critical (not accepted)."""
    result = monitor_period(spark, settings, parse_month(batch), run_id=run_id)
    print(result.table(), flush=True)
    verdict(result, settings.monitoring.accept_critical)
    return StepOutput(result.counts, versions(spark, settings, [settings.monitoring.table]))


def export_step(spark: SparkSession, settings: Settings, batch: str, run_id: str) -> StepOutput:
    manifest = export_period(spark, settings, parse_month(batch))
    rows = {k: v for k, v in manifest["counts"].items() if isinstance(v, int)}
    rows["regions"] = len(manifest["regions"])
    return StepOutput(rows)


STEP_FUNCTIONS: dict[str, StepFn] = {
    "ingest": ingest_step,
    "features": features_step,
    "train": train_step,
    "score": score_step,
    "monitor": monitor_step,
    "export": export_step,
}
