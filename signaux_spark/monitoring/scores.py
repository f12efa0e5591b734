"""Scores: the distribution of this month's calibrated probability (PSI over the quantile bins of
the previous scored months) and the share of "risque fort" and of all alerts, nationally and per
region, against those months. A jump is a warning, never critical: it may be real (a crisis) or a
new model; the message says which model versions are compared."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.features import bin_counts
from signaux_spark.monitoring.findings import OK, WARNING, Finding, binomial_z, psi, shares
from signaux_spark.scoring.score import ALERTS, FORT

FAMILY = "scores"
NATIONAL = "France"
BINS = 10


def level_counts(scores: DataFrame, months: list[dt.date]) -> pd.DataFrame:
    """(periode, region, model_version, alert_level, n) of the scored firms (with a probability)."""
    return (
        scores.where(F.col("periode").isin(months) & F.col("probability").isNotNull())
        .groupBy("periode", "region", "model_version", "alert_level")
        .count()
        .toPandas()
    )


def score_findings(
    scores: DataFrame, *, period: dt.date, previous: list[dt.date], conf: MonitoringSettings
) -> list[Finding]:
    """Findings of `period` against the `previous` scored months (gold/scores rows)."""
    if not previous:
        return [Finding(FAMILY, "psi", NATIONAL, None, None, OK, "no earlier scored month to compare with")]
    counts = level_counts(scores, [period, *previous])
    now, before = counts[counts["periode"] == period], counts[counts["periode"] != period]
    models = (
        f"model v{', v'.join(sorted(set(now['model_version'])))} against "
        f"v{', v'.join(sorted(set(before['model_version'])))} in " + ", ".join(f"{m:%Y-%m}" for m in previous)
    )
    out = [_distribution(scores, period, previous, models, conf)]
    regions = sorted(r for r in set(counts["region"].dropna()))
    for subject in [NATIONAL, *regions]:
        mine = (lambda t: t) if subject == NATIONAL else (lambda t, s=subject: t[t["region"] == s])
        for check, levels in (("fort_share", [FORT]), ("alert_share", list(ALERTS))):
            out.append(_share(check, subject, mine(now), mine(before), levels, conf))
    return out


def _distribution(
    scores: DataFrame, period: dt.date, previous: list[dt.date], models: str, conf: MonitoringSettings
) -> Finding:
    scored = scores.where(F.col("probability").isNotNull())
    reference = scored.where(F.col("periode").isin(previous))
    edges = sorted(set(reference.approxQuantile("probability", [i / BINS for i in range(1, BINS)], 0.001)))
    spec = {"probability": ("numeric", edges)}
    expected = shares(bin_counts(reference, spec)["probability"])
    actual = shares(bin_counts(scored.where(F.col("periode") == F.lit(period)), spec)["probability"])
    index = psi(expected, actual)
    status = WARNING if index > conf.score_psi_warning else OK
    return Finding(
        FAMILY,
        "psi",
        NATIONAL,
        index,
        conf.score_psi_warning,
        status,
        f"calibrated probability: PSI {index:.3f} ({models})",
    )


def _share(
    check: str, subject: str, now: pd.DataFrame, before: pd.DataFrame, levels: list[str], conf: MonitoringSettings
) -> Finding:
    n, hits = int(now["count"].sum()), int(now.loc[now["alert_level"].isin(levels), "count"].sum())
    n0, hits0 = int(before["count"].sum()), int(before.loc[before["alert_level"].isin(levels), "count"].sum())
    what = "risque fort" if check == "fort_share" else "alerts"
    if not n or not n0:
        return Finding(
            FAMILY,
            check,
            subject,
            hits / n if n else None,
            hits0 / n0 if n0 else None,
            OK,
            f"{subject}: {what} {hits} of {n} scored firms; nothing to compare with",
        )
    share, expected = hits / n, hits0 / n0
    z = binomial_z(hits, n, expected)
    ratio = share / expected if expected else float("inf")
    jump = abs(z) > conf.noise_z and not 1 / conf.share_ratio_warning < ratio < conf.share_ratio_warning
    return Finding(
        FAMILY,
        check,
        subject,
        share,
        expected,
        WARNING if jump else OK,
        f"{subject}: {what} {hits} of {n} scored firms ({share:.2%}) against {expected:.2%} before (z = {z:+.1f})",
    )
