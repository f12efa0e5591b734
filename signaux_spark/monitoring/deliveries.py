"""Deliveries: each source's lines, accepted lines, reject rate and firms this batch against its
previous loaded batches (bronze/ingest_report and the bronze tables). A source missing or failed,
halved, or with a reject rate far above its history is critical; an unusual figure is a warning."""

from __future__ import annotations

import math
import statistics
from functools import reduce

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.findings import CRITICAL, OK, WARNING, Finding, binomial_z, robust_deviation

FAMILY = "deliveries"
FIGURES = ("lines", "accepted", "firms")  # volumes; the reject rate is judged on its own


def firms_by_batch(tables: dict[str, DataFrame], batches: list[str]) -> DataFrame:
    """(source, batch, firms): distinct sirens of each bronze table in `batches`."""
    frames = [
        df.where(F.col("batch").isin(batches))
        .groupBy("batch")
        .agg(F.countDistinct("siren").alias("firms"))
        .select(F.lit(source).alias("source"), "batch", "firms")
        for source, df in tables.items()
    ]
    return reduce(DataFrame.unionByName, frames)


def delivery_figures(report: DataFrame, firms: DataFrame, batches: list[str]) -> pd.DataFrame:
    """One row per source x batch of `batches` in the ingest report: status, lines, accepted,
    rejected, reject_rate and firms (small: sources x batches)."""
    rows = (
        report.where(F.col("batch").isin(batches))
        .select(
            "source",
            "batch",
            "status",
            "message",
            F.col("lines_read").alias("lines"),
            F.col("accepted_lines").alias("accepted"),
            F.col("rejected_lines").alias("rejected"),
        )
        .join(firms, ["source", "batch"], "left")
    )
    table = rows.toPandas()
    table["firms"] = table["firms"].fillna(0)  # a batch loaded without rows (no proceeding this month)
    data = table["accepted"] + table["rejected"]
    table["reject_rate"] = (table["rejected"] / data.where(data > 0)).astype(float)
    return table


def delivery_findings(
    figures: pd.DataFrame, *, batch: str, sources: list[str], expected: set[str], conf: MonitoringSettings
) -> list[Finding]:
    """Findings of `batch` for every source, from `delivery_figures` of it and earlier batches."""
    out: list[Finding] = []
    for source in sources:
        rows = figures[figures["source"] == source]
        now = rows[rows["batch"] == batch]
        history = rows[(rows["batch"] < batch) & (rows["status"] == "loaded")].sort_values("batch")
        history = history.tail(conf.history_batches)
        status = now["status"].iloc[0] if len(now) else None
        if status != "loaded":
            out.append(_not_loaded(source, batch, status, now, source in expected))
            continue
        current = now.iloc[0]
        for figure in FIGURES:
            out.append(_volume(source, figure, current[figure], history[figure].dropna().tolist(), conf))
        out.append(_reject_rate(source, current, history["reject_rate"].dropna().tolist(), conf))
    return out


def _not_loaded(source: str, batch: str, status: str | None, now: pd.DataFrame, expected: bool) -> Finding:
    if not expected and status in (None, "no_delivery"):
        return Finding(FAMILY, "delivered", source, None, None, OK, f"no delivery expected in {batch}")
    why = (now["message"].iloc[0] if len(now) else None) or ""
    what = "not ingested" if status is None else status.replace("_", " ")
    return Finding(
        FAMILY,
        "delivered",
        source,
        0.0,
        None,
        CRITICAL,
        f"{source} {batch}: {what}{': ' + why if why else ''} (expected this month)",
    )


def _volume(source: str, figure: str, value, history: list[float], conf: MonitoringSettings) -> Finding:
    value = float(value)
    if len(history) < conf.min_history:
        return Finding(
            FAMILY,
            figure,
            source,
            value,
            statistics.median(history) if history else None,
            OK,
            f"{figure} {value:,.0f}: {len(history)} earlier batch(es), too few to compare",
        )
    median = float(statistics.median(history))
    ratio = value / median if median else float("inf")
    beyond_noise = abs(value - median) > conf.noise_z * math.sqrt(max(median, 1.0))  # Poisson counts
    if value <= conf.halved_ratio * median and beyond_noise:
        status, verdict = CRITICAL, f"{ratio:.0%} of the usual: a partial delivery?"
    elif beyond_noise and robust_deviation(value, history, mad_limit=conf.mad_limit, min_change=conf.min_change):
        status, verdict = WARNING, f"{ratio:.0%} of the usual"
    else:
        status, verdict = OK, "as usual"
    return Finding(
        FAMILY,
        figure,
        source,
        value,
        median,
        status,
        f"{source} {figure} {value:,.0f} against a median of {median:,.0f} over {len(history)} batches: {verdict}",
    )


def _reject_rate(source: str, current: pd.Series, history: list[float], conf: MonitoringSettings) -> Finding:
    rate = 0.0 if pd.isna(current["reject_rate"]) else float(current["reject_rate"])
    median = float(statistics.median(history)) if history else 0.0
    lines = int(current["accepted"] + current["rejected"])
    beyond_noise = binomial_z(int(current["rejected"]), lines, median) > conf.noise_z

    def above(factor: float, excess: float) -> bool:
        return beyond_noise and rate > factor * median and rate > median + excess

    if len(history) >= conf.min_history and above(conf.reject_critical_factor, conf.reject_critical_excess):
        status = CRITICAL
    elif len(history) >= conf.min_history and above(conf.reject_warning_factor, conf.reject_warning_excess):
        status = WARNING
    else:
        status = OK
    return Finding(
        FAMILY,
        "reject_rate",
        source,
        rate,
        median if history else None,
        status,
        f"{source} reject rate {rate:.2%} against a median of {median:.2%} over {len(history)} batches",
    )
