"""Reviewing a region's list, behind notebook 03: the exported list of a month, the explanations
of its top firms from gold/scores, and how the lists of an earlier month turned out once the
failures of the next 18 months are known (gold/labels)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.export.published import month_folder
from signaux_spark.model.metrics import region_lists
from signaux_spark.scoring.score import ALERTS, FORT, MODERE, NO_ALERT

NATIONAL = "national"


def scored_months(scores: DataFrame) -> list[dt.date]:
    """The months of gold/scores, oldest first."""
    return sorted(r["periode"] for r in scores.select("periode").distinct().collect())


def region_folders(exports: str | Path, month: str) -> dict[str, Path]:
    """Region code -> folder of the month's current publication (`<exports>/<YYYY-MM>/<region>/`),
    without the national summary; empty when the month was not exported."""
    folder = month_folder(exports, month)
    if folder is None:
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and p.name != NATIONAL}


def read_region_list(folder: str | Path) -> dict:
    """The JSON document of a region's list (`<prefix>_<region>_<YYYY-MM>.json` in its folder)."""
    candidates = sorted(p for p in Path(folder).glob("*.json") if p.name != "manifest.json")
    if not candidates:
        raise FileNotFoundError(f"no list JSON in {folder}")
    path = candidates[0]
    return json.loads(path.read_text(encoding="utf-8"))


def list_table(document: dict) -> pd.DataFrame:
    """The firms of a list document, one row each: its flat fields, one `contribution <topic>`
    column per topic (log-odds) and the factors as one text."""
    rows = []
    for firm in document["entreprises"]:
        row = {k: v for k, v in firm.items() if k not in ("contributions", "facteurs")}
        row |= {f"contribution {t}": v for t, v in (firm.get("contributions") or {}).items()}
        row["facteurs"] = "; ".join(f"{f['variable']} ({f['contribution']:+.2f})" for f in firm.get("facteurs") or [])
        rows.append(row)
    return pd.DataFrame(rows)


def busiest_region(scores: DataFrame, period: dt.date) -> str | None:
    """The region with the most alerts at `period` (the smallest code on ties); None without alerts."""
    top = (
        scores.where((F.col("periode") == F.lit(period)) & F.col("alert_level").isin(*ALERTS))
        .groupBy("region")
        .count()
        .orderBy(F.desc("count"), "region")
        .first()
    )
    return top["region"] if top else None


def top_explanations(scores: DataFrame, *, period: dt.date, region: str, top: int = 10) -> pd.DataFrame:
    """The `top` highest-ranked firms of a region and month with their explanation: the base and
    total log-odds, one column per topic (log-odds; positive raises the risk) and the top factors."""
    rows = (
        scores.where((F.col("periode") == F.lit(period)) & (F.col("region") == region) & (F.col("region_rank") <= top))
        .orderBy("region_rank")
        .select(
            "region_rank",
            "siren",
            "alert_level",
            "probability",
            "base_log_odds",
            "log_odds",
            "contributions",
            "top_factors",
        )
        .collect()
    )
    topics = sorted({t for r in rows for t in (r["contributions"] or {})})
    records = []
    for r in rows:
        record = {k: r[k] for k in ("region_rank", "siren", "alert_level", "probability", "base_log_odds", "log_odds")}
        record |= {t: (r["contributions"] or {}).get(t) for t in topics}
        record["top_factors"] = "; ".join(
            f"{f['feature']} = {f['level'] if f['level'] is not None else f['value']} ({f['contribution']:+.2f})"
            for f in r["top_factors"] or []
        )
        records.append(record)
    return pd.DataFrame(
        records,
        columns=[
            "region_rank",
            "siren",
            "alert_level",
            "probability",
            "base_log_odds",
            "log_odds",
            *topics,
            "top_factors",
        ],
    )


def scored_outcomes(scores: DataFrame, labels: DataFrame, *, label: str = "failure") -> DataFrame:
    """The scored firms (with a probability) whose outcome is known: gold/scores joined with the label."""
    known = labels.where(F.col(label).isNotNull()).select("siren", "periode", F.col(label).cast("int").alias(label))
    return scores.where(F.col("probability").isNotNull()).join(known, ["siren", "periode"])


def months_with_outcomes(scores: DataFrame, labels: DataFrame, *, label: str = "failure") -> list[dt.date]:
    """Months of gold/scores whose scored firms have known outcomes, oldest first."""
    return sorted(
        r["periode"] for r in scored_outcomes(scores, labels, label=label).select("periode").distinct().collect()
    )


def alert_outcomes(outcomes: DataFrame, *, label: str = "failure") -> pd.DataFrame:
    """Firms and failures per alert level of one month's `scored_outcomes`, with the failure rate
    (the precision of an alert level); then all alerts together and every scored firm."""
    counts = {
        r["alert_level"]: (r["firms"], r["failures"])
        for r in outcomes.groupBy("alert_level")
        .agg(F.count("*").alias("firms"), F.sum(label).alias("failures"))
        .collect()
    }
    groups = [
        (FORT, [FORT]),
        (MODERE, [MODERE]),
        ("alertes (fort + modéré)", list(ALERTS)),
        (NO_ALERT, [NO_ALERT]),
        ("toutes les entreprises notées", list(counts)),
    ]
    records = []
    for name, levels in groups:
        firms = sum(counts.get(level, (0, 0))[0] for level in levels)
        failures = sum(counts.get(level, (0, 0))[1] or 0 for level in levels)
        records.append(
            {
                "group": name,
                "firms": firms,
                "failures": failures,
                "failure_rate": failures / firms if firms else float("nan"),
            }
        )
    return pd.DataFrame(records)


def list_outcomes(
    outcomes: DataFrame, *, label: str = "failure", share: float, sizes: dict[str, int] | None = None
) -> pd.DataFrame:
    """Precision and recall of each region's list of one month's `scored_outcomes`: its top firms
    by probability, ceil(share x its firms) of them or `sizes[region]` (the training's list metric)."""
    return region_lists(
        outcomes,
        score="probability",
        label=label,
        key="siren",
        period="periode",
        region="region",
        share=share,
        sizes=sizes or {},
    )


def region_feedback(feedback: DataFrame, region: str) -> pd.DataFrame:
    """What the regional team recorded on its listed firms through the portal (the Delta table
    `portal.feedback_table`), latest first."""
    return (
        feedback.where(F.col("region") == region)
        .orderBy(F.desc("recorded_at"), F.desc("feedback_id"))
        .select("recorded_at", "list_month", "siren", "action_label", "comment", "email")
        .toPandas()
    )
