"""Comparing trainings, behind notebook 02: the training runs of the MLflow experiment side by
side, the tuning trials of one run, and the precision-recall curves of registered versions on the
test months they were evaluated on (with the model package's metrics and plots)."""

from __future__ import annotations

import datetime as dt

import mlflow
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.model import registry
from signaux_spark.model.metrics import average_precision, score_groups, threshold_curve
from signaux_spark.model.pipeline import CALIBRATED, RAW
from signaux_spark.model.training import test_rows
from signaux_spark.months import parse_month
from signaux_spark.tracking import configure_mlflow

PARENT = "tags.mlflow.parentRunId"
RUN_NAME = "tags.mlflow.runName"
VERSION = "tags.model_version"

# What the notebook shows of each training by default.
METRICS = [
    "test_ap",
    "test_roc_auc",
    "test_area_under_pr",
    "test_list_precision",
    "test_list_recall",
    "test_precision_fort",
    "test_recall_modere",
    "test_brier",
    "valid_ap",
    "threshold_fort",
    "threshold_modere",
]


def search_runs(settings: Settings) -> pd.DataFrame:
    """Every run of the settings' experiment (MLflow's `search_runs` table), newest first."""
    configure_mlflow(settings)
    return mlflow.search_runs(experiment_names=[settings.mlflow.experiment], order_by=["attributes.start_time DESC"])


def trainings(runs: pd.DataFrame) -> pd.DataFrame:
    """The finished training runs (not their nested trials), newest first."""
    top = runs[runs[PARENT].isna()] if PARENT in runs else runs
    top = top[(top["status"] == "FINISHED") & top[RUN_NAME].fillna("").str.startswith("train-")]
    return top.sort_values("start_time", ascending=False, kind="stable").reset_index(drop=True)


def run_label(run: pd.Series) -> str:
    """`v<model version> <run name>`, or the run name when no version was registered."""
    version = run.get(VERSION)
    name = run.get(RUN_NAME) or run["run_id"][:8]
    return f"v{version} {name}" if isinstance(version, str) and version else name


def changed_params(runs: pd.DataFrame) -> list[str]:
    """Parameters (without the `params.` prefix) whose value differs between the runs given."""
    columns = [c for c in runs.columns if c.startswith("params.")]
    return sorted(c.removeprefix("params.") for c in columns if runs[c].astype(str).nunique(dropna=False) > 1)


def side_by_side(runs: pd.DataFrame, *, params: list[str], metrics: list[str]) -> pd.DataFrame:
    """One column per run (`run_label`), one row per parameter then metric (missing ones are NaN)."""
    table = {}
    for _, run in runs.iterrows():
        values = {f"param {p}": run.get(f"params.{p}") for p in params}
        values |= {m: run.get(f"metrics.{m}", float("nan")) for m in metrics}
        table[run_label(run)] = values
    return pd.DataFrame(table, index=[f"param {p}" for p in params] + list(metrics))


def trials(runs: pd.DataFrame, parent_run_id: str) -> pd.DataFrame:
    """The tuning trials of one training: their parameters and validation AP, best first."""
    if PARENT not in runs:
        return pd.DataFrame()
    nested = runs[runs[PARENT] == parent_run_id]
    params = [c for c in nested.columns if c.startswith("params.") and nested[c].notna().any()]
    table = nested[[RUN_NAME, *params, "metrics.valid_ap", "metrics.trial_seconds"]]
    table = table.rename(
        columns=lambda c: c.removeprefix("params.").removeprefix("metrics.").removeprefix("tags.mlflow.")
    )
    return table.sort_values("valid_ap", ascending=False, kind="stable").reset_index(drop=True)


def test_curves(
    spark: SparkSession, settings: Settings, versions: list[str]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Precision-recall curves (`metrics.threshold_curve`) of registered versions, each on the test
    rows it was evaluated on, and a table of their test months, rows, positives and AP."""
    curves, summary = {}, []
    for version in versions:
        loaded = registry.load_model(settings, version=str(version))
        scored = loaded.score(test_rows(spark, settings, loaded))
        groups = score_groups(scored, score=RAW, calibrated=CALIBRATED, label=settings.model.label_column)
        split = loaded.metadata["split"]
        name = f"v{loaded.version}"
        curves[name] = threshold_curve(groups)
        summary.append(
            {
                "version": name,
                "test months": f"{split['test_start'][:7]} .. {split['test_end'][:7]}",
                "rows": int(groups["n"].sum()),
                "positives": int(groups["pos"].sum()),
                "ap": average_precision(groups),
                **loaded.thresholds.levels(),
            }
        )
    return curves, pd.DataFrame(summary)


def training_month(spark: SparkSession, settings: Settings) -> dt.date:
    """The month to train as of: the champion's (so a new training is judged on the same test
    months), else the latest month of the feature table."""
    champion = registry.version_of(settings, registry.CHAMPION)
    if champion is not None and champion.tags.get("as_of"):
        return parse_month(champion.tags["as_of"])
    table, period = settings.model.feature_table, settings.model.period_column
    latest = Lake(settings).read(spark, table).agg(F.max(period)).first()[0]
    if latest is None:
        raise JobError(f"table {table} holds no month: run the backfill first")
    return latest
