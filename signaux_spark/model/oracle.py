"""The oracle check: a registered model against the generator's true failure probabilities, on its
test months (behind jobs/evaluate.py).

This module and the generator are the only code allowed to read the generator's truth output:
`DIR/firm_months/` (Parquet: siren, periode, p_failure_18m = probability of a proceeding opening
within 18 months, and the hidden health `state` when the generator wrote it). The check rebuilds
the model's test rows (same table versions and months as at training), scores them, and logs in
the model's training run, beside its own metrics: the oracle's average precision and ROC AUC on the
same rows, the model's on those rows, and the model/oracle ratios (also version tags). With the
hidden state it also logs the average precision of a score that knows only the state (each
state's failure rate on these rows): how much of the oracle's edge a perfect reading of the firm's
current health would give; the rest comes from its hidden static traits and the coming shocks.
With `model.strong_signal` set, every figure is also computed on the rows without a strong signal
(prefix `nosignal_`), where early detection matters most and the gap is widest.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.model.dataset import STRONG
from signaux_spark.model.metrics import ranking
from signaux_spark.model.pipeline import RAW
from signaux_spark.model.training import test_rows
from signaux_spark.progress import step

ORACLE = "p_failure_18m"
STATE = "state"
TAGGED = ("oracle_test_ap", "oracle_ap_ratio", "oracle_roc_auc_ratio")


def read_truth(spark: SparkSession, folder: str, *, key: str, period: str) -> DataFrame:
    path = f"{folder.rstrip('/')}/firm_months"
    try:
        truth = spark.read.parquet(path)
    except Exception as err:  # AnalysisException: path missing or not Parquet
        raise JobError(f"cannot read the truth table {path}: {str(err).splitlines()[0]}") from None
    missing = [c for c in ("siren", "periode", ORACLE) if c not in truth.columns]
    if missing:
        raise JobError(f"truth table {path} has no column(s) {', '.join(missing)}")
    state = [F.col(STATE)] if STATE in truth.columns else []
    return truth.select(
        F.col("siren").alias(key), F.col("periode").alias(period), F.col(ORACLE).cast("double").alias(ORACLE), *state
    )


def state_only(both: DataFrame, label: str) -> dict[str, float]:
    """AP and ROC AUC of the score 'failure rate of the row's hidden state' on these rows."""
    rates = both.groupBy(STATE).agg(F.avg(F.col(label).cast("double")).alias("state_rate"))
    return ranking(both.join(rates, STATE), score="state_rate", label=label)


def oracle_metrics(
    spark: SparkSession,
    settings: Settings,
    model,
    truth_folder: str | None = None,
) -> dict[str, float]:
    """The model, the oracle and (with the hidden state) the state-only score on the model's test rows;
    the truth is read from `truth_folder`, by default `paths.truth`."""
    key, period, label = (model.metadata["columns"][c] for c in ("key", "period", "label"))
    with step(spark, "evaluate: model and oracle on the test months") as s:
        rows = model.score(test_rows(spark, settings, model)).persist()
        truth = read_truth(spark, truth_folder or settings.path("truth"), key=key, period=period)
        both = rows.join(truth, [key, period], "inner").persist()
        s.rows["test rows"], s.rows["with truth"] = rows.count(), both.count()
        if not s.rows["with truth"]:
            raise JobError("no test row has a truth value (is the truth folder from the same generated data?)")
        metrics = {
            "oracle_rows": float(s.rows["with truth"]),
            "oracle_coverage": s.rows["with truth"] / s.rows["test rows"],
            **_compared(both, label),
        }
        if settings.model.strong_signal:
            weak = both.where(~F.col(STRONG))
            metrics |= {f"nosignal_{k}": v for k, v in _compared(weak, label).items()}
    return metrics


def _compared(both: DataFrame, label: str) -> dict[str, float]:
    """The model, the oracle and (with the hidden state) the state-only score on the same rows."""
    model_m = ranking(both, score=RAW, label=label)
    oracle_m = ranking(both, score=ORACLE, label=label)
    metrics = {
        "oracle_model_test_ap": model_m["ap"],
        "oracle_model_test_roc_auc": model_m["roc_auc"],
        "oracle_test_ap": oracle_m["ap"],
        "oracle_test_roc_auc": oracle_m["roc_auc"],
        "oracle_ap_ratio": model_m["ap"] / oracle_m["ap"],
        "oracle_roc_auc_ratio": model_m["roc_auc"] / oracle_m["roc_auc"],
    }
    if STATE in both.columns:
        state_m = state_only(both, label)
        metrics.update(
            {
                "state_only_test_ap": state_m["ap"],
                "state_only_test_roc_auc": state_m["roc_auc"],
                "state_only_ap_ratio": state_m["ap"] / oracle_m["ap"],
                "model_state_only_ap_ratio": model_m["ap"] / state_m["ap"],
            }
        )
    return metrics


def log_oracle_metrics(model, metrics: dict[str, float]) -> None:
    """Into the model's training run, and the headline ratios as tags of the model version."""
    from mlflow import MlflowClient

    client = MlflowClient()
    for name, value in metrics.items():
        client.log_metric(model.run_id, name, value)
    for name in TAGGED:
        client.set_model_version_tag(model.name, model.version, name, f"{metrics[name]:.6f}")


def summary(model, metrics: dict[str, float]) -> str:
    """What the job prints: the model against the oracle, and the state-only reference if known."""
    text = f"model {model.name} version {model.version} on {int(metrics['oracle_rows']):,} test rows:"
    for prefix, rows in (("", "all rows"), ("nosignal_", "rows without a strong signal")):
        if f"{prefix}oracle_test_ap" not in metrics:
            continue
        m = {k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)}
        text += (
            f"\n{rows}: AP {m['oracle_model_test_ap']:.4f} vs oracle {m['oracle_test_ap']:.4f} "
            f"(ratio {m['oracle_ap_ratio']:.2f}), ROC AUC {m['oracle_model_test_roc_auc']:.4f} vs oracle "
            f"{m['oracle_test_roc_auc']:.4f} (ratio {m['oracle_roc_auc_ratio']:.2f})"
        )
        if "state_only_test_ap" in m:
            text += (
                f"; a score knowing only the hidden state: AP {m['state_only_test_ap']:.4f} "
                f"(model/state-only {m['model_state_only_ap_ratio']:.2f})"
            )
    return text
