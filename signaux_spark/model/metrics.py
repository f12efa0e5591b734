"""Unweighted evaluation metrics of scored rows.

Spark does the heavy part: rows are grouped by distinct score with their positives and counts (one
aggregation), and the ranking metrics are then exact sums over that short, sorted table on the
driver: step-wise average precision (the mean of the precision at each positive, ties counted
together), ROC AUC (ties count one half), Brier score, log loss, precision and recall at a
threshold, the reliability table by decile (equal-count bins) and its expected calibration error
(ECE). Spark's own areaUnderPR (numBins=0, trapezoids) is
reported beside it, and the per-region list metrics rank rows within region and month in Spark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

EPSILON = 1e-15


def score_groups(
    df: DataFrame, *, score: str, label: str, calibrated: str | None = None, by: str | None = None
) -> pd.DataFrame:
    """Distinct scores (and `by` values) with `pos` positives among `n` rows and the calibrated
    probability `cal` of that score, sorted by decreasing score."""
    keys = [F.col(score).alias("score")] + ([F.col(by).alias("by")] if by else [])
    cal = F.max(F.col(calibrated) if calibrated else F.col(score)).alias("cal")
    table = (
        df.groupBy(*keys)
        .agg(F.sum(F.col(label).cast("double")).alias("pos"), F.count("*").alias("n"), cal)
        .toArrow()
        .to_pandas()
    )
    return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def collapse(groups: pd.DataFrame) -> pd.DataFrame:
    """Merge the `by` split of `score_groups` back to one row per score."""
    merged = groups.groupby("score", sort=False).agg(pos=("pos", "sum"), n=("n", "sum"), cal=("cal", "max"))
    return merged.reset_index().sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def average_precision(g: pd.DataFrame) -> float:
    positives = g["pos"].sum()
    if positives == 0:
        return math.nan
    precision = g["pos"].cumsum() / g["n"].cumsum()
    return float((g["pos"] * precision).sum() / positives)


def roc_auc(g: pd.DataFrame) -> float:
    positives, negatives = g["pos"].sum(), (g["n"] - g["pos"]).sum()
    if positives == 0 or negatives == 0:
        return math.nan
    above = g["pos"].cumsum() - g["pos"]
    return float(((g["n"] - g["pos"]) * (above + g["pos"] / 2)).sum() / (positives * negatives))


def brier(g: pd.DataFrame) -> float:
    return float((g["pos"] * (1 - g["cal"]) ** 2 + (g["n"] - g["pos"]) * g["cal"] ** 2).sum() / g["n"].sum())


def log_loss(g: pd.DataFrame) -> float:
    p = g["cal"].clip(EPSILON, 1 - EPSILON)
    return float(-(g["pos"] * np.log(p) + (g["n"] - g["pos"]) * np.log(1 - p)).sum() / g["n"].sum())


def at_threshold(g: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Alerts are the rows whose calibrated probability is >= threshold."""
    alert = g["cal"] >= threshold
    caught, alerts, positives = g.loc[alert, "pos"].sum(), g.loc[alert, "n"].sum(), g["pos"].sum()
    return {
        "precision": float(caught / alerts) if alerts else math.nan,
        "recall": float(caught / positives) if positives else math.nan,
        "alert_share": float(alerts / g["n"].sum()),
    }


def threshold_curve(g: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall when alerting at each distinct calibrated probability (decreasing)."""
    by_cal = (
        g.groupby("cal", sort=False)
        .agg(pos=("pos", "sum"), n=("n", "sum"))
        .reset_index()
        .sort_values("cal", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    caught, alerts = by_cal["pos"].cumsum(), by_cal["n"].cumsum()
    return pd.DataFrame(
        {
            "threshold": by_cal["cal"],
            "precision": caught / alerts,
            "recall": caught / max(g["pos"].sum(), 1),
            "alerts": alerts,
            "caught": caught,
        }
    )


def reliability(g: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Rows in `bins` bins of increasing score with equal counts (a score's ties stay in one bin):
    mean calibrated probability against the observed failure rate."""
    asc = g.sort_values("score", kind="stable").reset_index(drop=True)
    middle = asc["n"].cumsum() - asc["n"] / 2
    asc["bin"] = np.minimum((middle / asc["n"].sum() * bins).astype(int), bins - 1) + 1
    asc["cal_n"] = asc["cal"] * asc["n"]
    table = (
        asc.groupby("bin")
        .agg(
            rows=("n", "sum"),
            positives=("pos", "sum"),
            cal_n=("cal_n", "sum"),
            score_min=("score", "min"),
            score_max=("score", "max"),
        )
        .reset_index()
    )
    table["predicted"] = table["cal_n"] / table["rows"]
    table["observed"] = table["positives"] / table["rows"]
    return table.drop(columns="cal_n")


def expected_calibration_error(table: pd.DataFrame) -> float:
    """ECE of a `reliability` table (equal-count bins): the row-weighted mean gap between the mean
    calibrated probability and the observed failure rate of each bin."""
    return float((table["rows"] * (table["predicted"] - table["observed"]).abs()).sum() / table["rows"].sum())


def spark_area_under_pr(df: DataFrame, *, score: str, label: str) -> float:
    """Spark's areaUnderPR on every distinct score (numBins=0)."""
    evaluator = BinaryClassificationEvaluator(
        rawPredictionCol=score, labelCol=label, metricName="areaUnderPR", numBins=0
    )
    return float(evaluator.evaluate(df))


def region_lists(
    df: DataFrame, *, score: str, label: str, key: str, period: str, region: str, share: float, sizes: dict[str, int]
) -> pd.DataFrame:
    """Precision and recall of each region's monthly list: the top `k` rows of the region and month
    by score (ties by key), with `k` = sizes[region] or ceil(share x the region's rows that month)."""
    cell = Window.partitionBy(region, period)
    k = F.ceil(F.count("*").over(cell) * F.lit(share))
    if sizes:
        fixed = F.create_map(*[x for r, n in sizes.items() for x in (F.lit(str(r)), F.lit(int(n)))])
        k = F.coalesce(F.try_element_at(fixed, F.col(region).cast("string")), k)
    listed = F.row_number().over(cell.orderBy(F.desc(score), F.asc(key))) <= k
    table = (
        df.select(region, period, label, listed.alias("_listed"))
        .groupBy(F.col(region).cast("string").alias("region"))
        .agg(
            F.count("*").alias("rows"),
            F.sum(F.col(label)).alias("positives"),
            F.sum(F.col("_listed").cast("int")).alias("listed"),
            F.sum(F.when(F.col("_listed"), F.col(label)).otherwise(0)).alias("caught"),
        )
        .toArrow()
        .to_pandas()
        .sort_values("region", na_position="last")
        .reset_index(drop=True)
    )
    table["precision"] = table["caught"] / table["listed"].where(table["listed"] > 0)
    table["recall"] = table["caught"] / table["positives"].where(table["positives"] > 0)
    return table


@dataclass
class Evaluation:
    """Metrics of one block (flat names, ready for MLflow) and the tables behind the plots."""

    metrics: dict[str, float]
    reliability: pd.DataFrame
    curve: pd.DataFrame  # precision and recall at each threshold
    lists: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def summary(g: pd.DataFrame, thresholds: dict[str, float]) -> dict[str, float]:
    """Ranking metrics on the raw score, probability metrics on the calibrated one."""
    out = {
        "rows": float(g["n"].sum()),
        "positives": float(g["pos"].sum()),
        "base_rate": float(g["pos"].sum() / g["n"].sum()) if g["n"].sum() else math.nan,
        "ap": average_precision(g),
        "roc_auc": roc_auc(g),
        "brier": brier(g),
        "log_loss": log_loss(g),
        "ece": expected_calibration_error(reliability(g)),
        # calibration in the large: ECE is at least |mean_probability - base_rate|
        "mean_probability": float((g["cal"] * g["n"]).sum() / g["n"].sum()) if g["n"].sum() else math.nan,
    }
    for level, threshold in thresholds.items():
        for name, value in at_threshold(g, threshold).items():
            out[f"{name}_{level}"] = value
    return out


def evaluate(
    df: DataFrame,
    *,
    score: str,
    calibrated: str,
    label: str,
    thresholds: dict[str, float],
    key: str,
    period: str,
    region: str | None = None,
    strong: str | None = None,
    list_share: float = 0.02,
    list_sizes: dict[str, int] | None = None,
    groups: pd.DataFrame | None = None,
) -> Evaluation:
    """Every metric of a scored block. `strong` (boolean column) adds the same metrics on the rows
    without a strong signal, prefixed `nosignal_`; `region` adds the per-region list metrics.
    `groups`: the block's `score_groups(..., by=strong)` when already at hand."""
    if groups is None:
        groups = score_groups(df, score=score, label=label, calibrated=calibrated, by=strong)
    whole = collapse(groups)
    metrics = summary(whole, thresholds)
    metrics["area_under_pr"] = spark_area_under_pr(df, score=score, label=label)
    if strong:
        weak = groups[~groups["by"].astype(bool)]
        if len(weak):
            metrics.update({f"nosignal_{k}": v for k, v in summary(collapse(weak), thresholds).items()})
    lists = None
    if region:
        lists = region_lists(
            df,
            score=score,
            label=label,
            key=key,
            period=period,
            region=region,
            share=list_share,
            sizes=list_sizes or {},
        )
        metrics["list_precision"] = float(lists["caught"].sum() / max(lists["listed"].sum(), 1))
        metrics["list_recall"] = float(lists["caught"].sum() / max(lists["positives"].sum(), 1))
    return Evaluation(metrics=metrics, reliability=reliability(whole), curve=threshold_curve(whole), lists=lists)


def ranking(df: DataFrame, *, score: str, label: str) -> dict[str, float]:
    """Step-wise average precision and ROC AUC of one score column."""
    groups = score_groups(df, score=score, label=label)
    return {"ap": average_precision(groups), "roc_auc": roc_auc(groups)}
