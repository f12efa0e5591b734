"""Outcomes of past lists, the backtest of notebook 03 computed every month: for each scored month
whose 18-month window is now observed (its labels are known), the realised precision and recall of
its alert levels, nationally, and of each region's list over those months, against what the test
metrics of the model that scored them promised. Old lists cannot be recalled: a shortfall is a
warning (the model may have decayed: retrain, review the thresholds), never critical."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.analysis.review import alert_outcomes, list_outcomes, scored_outcomes
from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.findings import OK, WARNING, Finding
from signaux_spark.scoring.score import FORT

FAMILY = "outcomes"
ALERTS_GROUP = "alertes (fort + modéré)"
# alert_outcomes group -> the model's test metric suffix (precision_<x>, recall_<x>): the modéré
# threshold alerts every firm at or above it, fort included, hence all alerts.
PROMISES = {FORT: "fort", ALERTS_GROUP: "modere"}


def outcome_findings(
    scores: DataFrame,
    labels: DataFrame,
    *,
    months: list[dt.date],
    promised: dict[str, dict],
    label: str,
    share: float,
    sizes: dict[str, int],
    conf: MonitoringSettings,
) -> list[Finding]:
    """Findings for the lists of `months` (scored, outcomes observed, oldest first); `promised`:
    model version -> its test metrics (`precision_fort`, `recall_modere`, `list_precision`, ...)."""
    if not months:
        return [
            Finding(
                FAMILY,
                "precision",
                "lists",
                None,
                None,
                OK,
                "no scored month has observed outcomes yet (a list matures 18 months after its month)",
            )
        ]
    outcomes = scored_outcomes(scores.where(F.col("periode").isin(months)), labels, label=label).cache()
    try:
        by_month = outcomes.groupBy("periode").agg(F.max("model_version").alias("v")).collect()
        versions = {r["periode"]: r["v"] for r in by_month}
        out: list[Finding] = []
        trend = []
        for month in months:
            table = alert_outcomes(outcomes.where(F.col("periode") == F.lit(month)), label=label).set_index("group")
            failures = table.loc["toutes les entreprises notées", "failures"]
            promise = promised.get(versions.get(month), {})
            for group, suffix in PROMISES.items():
                firms, caught = table.loc[group, "firms"], table.loc[group, "failures"]
                realised = {
                    "precision": caught / firms if firms else math.nan,
                    "recall": caught / failures if failures else math.nan,
                }
                for check, value in realised.items():
                    out.append(
                        _against(
                            check,
                            f"{month:%Y-%m} {group}",
                            value,
                            promise.get(f"{check}_{suffix}"),
                            int(firms),
                            conf,
                            f"list of {month:%Y-%m}, {group}: {int(caught)} failures "
                            f"among {int(firms)} alerted, {int(failures)} among all scored",
                        )
                    )
                if group == FORT:
                    trend.append(realised["precision"])
        regions = list_outcomes(outcomes, label=label, share=share, sizes=sizes)
        latest = promised.get(versions.get(months[-1]), {})
        for r in regions.itertuples():
            for check in ("precision", "recall"):
                out.append(
                    _against(
                        f"list_{check}",
                        f"region {r.region}",
                        getattr(r, check),
                        latest.get(f"list_{check}"),
                        int(r.listed),
                        conf,
                        f"region {r.region}, lists of {months[0]:%Y-%m}..{months[-1]:%Y-%m}: "
                        f"{int(r.caught)} failures among {int(r.listed)} listed, "
                        f"{int(r.positives)} among all scored",
                    )
                )
        out.append(_trend(months, trend))
        return out
    finally:
        outcomes.unpersist()


def _against(check: str, subject: str, value, promise, alerted: int, conf: MonitoringSettings, what: str) -> Finding:
    value = None if value is None or pd.isna(value) else float(value)
    promise = None if promise is None or pd.isna(promise) else float(promise)
    short = (
        value is not None
        and promise is not None
        and alerted >= conf.outcome_min_alerts
        and value < conf.outcome_precision_ratio * promise
    )
    said = "no test figure for its model" if promise is None else f"the model's test promised {promise:.1%}"
    shown = "n/a" if value is None else f"{value:.1%}"
    return Finding(
        FAMILY,
        check,
        subject,
        value,
        promise,
        WARNING if short else OK,
        f"{what}: {check.replace('_', ' ')} {shown}, {said}",
    )


def _trend(months: list[dt.date], precision: list[float]) -> Finding:
    """Precision of "risque fort" over the later half of the months against the earlier half."""
    known = [(m, p) for m, p in zip(months, precision, strict=True) if not math.isnan(p)]
    if len(known) < 2:
        return Finding(
            FAMILY,
            "trend",
            FORT,
            known[0][1] if known else None,
            None,
            OK,
            "precision of risque fort: too few months for a trend",
        )
    half = len(known) // 2
    early = sum(p for _, p in known[:half]) / half
    late = sum(p for _, p in known[half:]) / (len(known) - half)
    return Finding(
        FAMILY,
        "trend",
        FORT,
        late,
        early,
        OK,
        f"precision of risque fort: {late:.1%} over {known[half][0]:%Y-%m}..{known[-1][0]:%Y-%m} "
        f"against {early:.1%} over {known[0][0]:%Y-%m}..{known[half - 1][0]:%Y-%m}",
    )
