"""The monitor step: read the lake and the model registry, run the four families of checks for one
month and replace that month of `monitoring.table` (gold/monitoring). Only aggregates reach the
driver. `verdict` turns critical findings into the one-line failure that stops the monthly run
before export (unless accepted)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mlflow
from mlflow import MlflowClient
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.ingest.run import is_expected
from signaux_spark.io import Lake
from signaux_spark.monitoring import deliveries, features, outcomes, scores
from signaux_spark.monitoring.findings import CONSTRAINTS, CRITICAL, OK, SCHEMA, STATUSES, WARNING, Finding
from signaux_spark.months import add_months, parse_month
from signaux_spark.progress import step
from signaux_spark.sources import SOURCES
from signaux_spark.tracking import configure_mlflow


@dataclass
class MonitorResult:
    period: dt.date
    findings: list[Finding]

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in STATUSES}

    def of(self, status: str) -> list[Finding]:
        return [f for f in self.findings if f.status == status]

    def table(self) -> str:
        """The printed summary: counts, then every finding that is not ok."""
        c = self.counts
        lines = [f"monitoring {self.period:%Y-%m}: {c[OK]} ok, {c[WARNING]} warning(s), {c[CRITICAL]} critical"]
        lines += [
            f"  {f.status:<8} {f.family}/{f.check} {f.subject}: {f.message}"
            for f in self.of(CRITICAL) + self.of(WARNING)
        ]
        return "\n".join(lines)


def monitor_period(
    spark: SparkSession, settings: Settings, period: dt.date, run_id: str | None = None
) -> MonitorResult:
    """Run every check for `period` and write its findings (replacing the month's earlier ones)."""
    lake, month = Lake(settings), f"{period:%Y-%m}"
    found: list[Finding] = []
    with step(spark, f"monitor {month}: deliveries") as s:
        found += _deliveries(spark, settings, lake, month)
        s.rows["findings"] = len(found)
    scored = lake.read(spark, settings.score.table) if lake.exists(spark, settings.score.table) else None
    versions = (
        []
        if scored is None
        else [
            r[0] for r in scored.where(F.col("periode") == F.lit(period)).select("model_version").distinct().collect()
        ]
    )
    if not versions:
        found.append(
            Finding(
                scores.FAMILY,
                "scored",
                "France",
                0.0,
                None,
                CRITICAL,
                f"no scores for {month} in {settings.score.table}: run the score step first",
            )
        )
    else:
        with step(spark, f"monitor {month}: features"):
            found += _features(spark, settings, lake, period, versions[0])
        months = sorted(r[0] for r in scored.select("periode").distinct().collect())
        with step(spark, f"monitor {month}: scores"):
            earlier = [m for m in months if m < period][-settings.monitoring.score_months :]
            found += scores.score_findings(scored, period=period, previous=earlier, conf=settings.monitoring)
        with step(spark, f"monitor {month}: outcomes of past lists"):
            found += _outcomes(spark, settings, lake, scored, period, months)
    with step(spark, f"monitor {month}: write {settings.monitoring.table}") as s:
        _write(spark, settings, lake, period, found, run_id)
        s.rows["findings"] = len(found)
    return MonitorResult(period, found)


def verdict(result: MonitorResult, accept_critical: bool) -> None:
    """Raise the one-line reason to stop before export when a check is critical and not accepted."""
    critical = result.of(CRITICAL)
    if critical and not accept_critical:
        raise JobError(
            f"monitoring {result.period:%Y-%m}: {len(critical)} critical check(s), export stopped: "
            f"{critical[0].message}"
            + (f" (and {len(critical) - 1} more)" if len(critical) > 1 else "")
            + "; fix and rerun, or publish anyway with --accept-critical"
        )


def _deliveries(spark: SparkSession, settings: Settings, lake: Lake, month: str) -> list[Finding]:
    if not lake.exists(spark, tables.INGEST_REPORT):
        return [
            Finding(
                deliveries.FAMILY,
                "delivered",
                "all sources",
                None,
                None,
                CRITICAL,
                f"no ingestion report ({tables.INGEST_REPORT}): nothing was ingested",
            )
        ]
    first = add_months(parse_month(month), -settings.monitoring.history_batches)
    batches = [f"{add_months(first, i):%Y-%m}" for i in range(settings.monitoring.history_batches + 1)]
    bronze = {s: lake.read(spark, tables.bronze(s)) for s in SOURCES if lake.exists(spark, tables.bronze(s))}
    firms = (
        deliveries.firms_by_batch(bronze, batches)
        if bronze
        else spark.createDataFrame([], "source string, batch string, firms long")
    )
    figures = deliveries.delivery_figures(lake.read(spark, tables.INGEST_REPORT), firms, batches)
    expected = {s for s in SOURCES if is_expected(settings, s, month)}
    return deliveries.delivery_findings(
        figures, batch=month, sources=list(SOURCES), expected=expected, conf=settings.monitoring
    )


def _features(spark: SparkSession, settings: Settings, lake: Lake, period: dt.date, version: str) -> list[Finding]:
    reference = feature_reference(settings, version)
    if reference is None:
        return [
            Finding(
                features.FAMILY,
                "psi",
                "features",
                None,
                None,
                WARNING,
                f"model version {version} has no feature reference (trained before monitoring existed): "
                "feature drift not checked; train a new model to get one",
            )
        ]
    rows = (
        lake.read(spark, settings.score.feature_table)
        .where(F.col("periode") == F.lit(period))
        .where(F.col("in_perimeter") & ~F.coalesce(F.col("in_proceeding"), F.lit(False)))
    )
    return features.feature_findings(rows, reference, list(reference["features"]), settings.monitoring)


def feature_reference(settings: Settings, version: str) -> dict | None:
    """The feature profile stored with a model version, or None when it has none."""
    configure_mlflow(settings)
    run_id = MlflowClient().get_model_version(settings.mlflow.model_name, str(version)).run_id
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{features.REFERENCE_ARTIFACT}")
    except (mlflow.exceptions.MlflowException, OSError):
        return None


def promised_metrics(settings: Settings, versions: set[str]) -> dict[str, dict[str, float]]:
    """Model version -> its test metrics (`test_` prefix removed), as logged by the training."""
    configure_mlflow(settings)
    client, out = MlflowClient(), {}
    for version in versions:
        try:
            run = client.get_run(client.get_model_version(settings.mlflow.model_name, str(version)).run_id)
        except mlflow.exceptions.MlflowException:
            continue
        out[version] = {k.removeprefix("test_"): v for k, v in run.data.metrics.items() if k.startswith("test_")}
    return out


def _outcomes(
    spark: SparkSession, settings: Settings, lake: Lake, scored, period: dt.date, months: list[dt.date]
) -> list[Finding]:
    model, conf = settings.model, settings.monitoring
    table = model.label_table or model.feature_table
    cutoff = add_months(period, -settings.features.label_horizon_months)
    candidates = [m for m in months if m <= cutoff]
    labels = lake.read(spark, table).select("siren", "periode", model.label_column) if candidates else None
    observed = (
        []
        if labels is None
        else sorted(
            r[0]
            for r in labels.where(F.col("periode").isin(candidates) & F.col(model.label_column).isNotNull())
            .select("periode")
            .distinct()
            .collect()
        )
    )
    observed = observed[-conf.outcome_months :]
    listed = scored.where(F.col("periode").isin(observed)).select("model_version").distinct()
    versions = {r[0] for r in listed.collect()} if observed else set()
    return outcomes.outcome_findings(
        scored,
        labels,
        months=observed,
        promised=promised_metrics(settings, versions),
        label=model.label_column,
        share=model.list_share,
        sizes=model.list_size,
        conf=conf,
    )


def _write(
    spark: SparkSession, settings: Settings, lake: Lake, period: dt.date, found: list[Finding], run_id: str | None
) -> None:
    table = settings.monitoring.table
    rows = [
        (period, f.family, f.check, f.subject, _number(f.value), _number(f.reference), f.status, f.message, run_id)
        for f in found
    ]
    lake.ensure(spark, table, SCHEMA, partition_by=["periode"], constraints=CONSTRAINTS)
    lake.write(
        spark.createDataFrame(rows, SCHEMA).coalesce(1),
        table,
        replace_where=f"periode = '{period:%Y-%m-%d}'",
        metadata={"period": f"{period:%Y-%m}", "run_id": run_id},
    )


def _number(value) -> float | None:
    return None if value is None else float(value)


def read_findings(spark: SparkSession, settings: Settings, period: dt.date):
    """The month's findings as a small pandas table (the export renders them); None when the month
    was not monitored."""
    lake, table = Lake(settings), settings.monitoring.table
    if not lake.exists(spark, table):
        return None
    found = lake.read(spark, table).where(F.col("periode") == F.lit(period)).drop("periode").toPandas()
    return found if len(found) else None
