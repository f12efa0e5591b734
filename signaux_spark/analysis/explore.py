"""Summaries behind notebook 01: what each source delivered, what was refused, and how the
features look for the firms that failed and those that did not.

Every function takes DataFrames and returns a DataFrame (Spark for what may be large, pandas for
the short tables a notebook shows or plots)."""

from __future__ import annotations

from functools import reduce

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def batch_coverage(bronze: dict[str, DataFrame], *, key: str = "siren") -> DataFrame:
    """Rows and distinct firms per source and batch of the bronze tables (source -> table)."""
    counts = [
        table.groupBy("batch")
        .agg(F.count("*").alias("rows"), F.countDistinct(key).alias("firms"))
        .select(F.lit(source).alias("source"), "batch", "rows", "firms")
        for source, table in sorted(bronze.items())
    ]
    return reduce(DataFrame.unionByName, counts).orderBy("source", "batch")


def rejects_by_reason(rejects: DataFrame) -> DataFrame:
    """Refused lines per source and reason, with the number of batches they came from."""
    return (
        rejects.groupBy("source", "reason")
        .agg(F.count("*").alias("lines"), F.countDistinct("batch").alias("batches"))
        .orderBy(F.desc("lines"), "source", "reason")
    )


def delivery_status(report: DataFrame) -> DataFrame:
    """Batches per source and ingest status (loaded, missing, no_delivery...) of bronze/ingest_report."""
    return report.groupBy("source").pivot("status").agg(F.count(F.lit(1))).na.fill(0).orderBy("source")


def labelled_rows(frame: DataFrame, *, label: str, perimeter: str = "", exclude: str = "") -> DataFrame:
    """The rows the model learns from: labelled, in the perimeter, not excluded (column names
    empty: no such filter)."""
    rows = frame.where(F.col(label).isNotNull())
    if perimeter:
        rows = rows.where(F.col(perimeter) == F.lit(True))
    if exclude:
        rows = rows.where(~F.coalesce(F.col(exclude), F.lit(False)))
    return rows


def outcome_profile(rows: DataFrame, columns: list[str], *, label: str) -> pd.DataFrame:
    """One row per feature and outcome (the label's value): rows, missing share, mean, standard
    deviation and median of the known values. One Spark aggregation for every feature."""
    aggregates = [F.count("*").alias("_rows")]
    for i, column in enumerate(columns):
        value = F.col(column).cast("double")
        aggregates += [
            F.count(value).alias(f"{i}_known"),
            F.avg(value).alias(f"{i}_mean"),
            F.stddev_samp(value).alias(f"{i}_std"),
            F.percentile_approx(value, 0.5).alias(f"{i}_median"),
        ]
    groups = rows.groupBy(F.col(label).cast("int").alias("outcome")).agg(*aggregates).collect()
    records = []
    for group in sorted(groups, key=lambda g: g["outcome"]):
        for i, column in enumerate(columns):
            known = group[f"{i}_known"]
            records.append(
                {
                    "feature": column,
                    "outcome": group["outcome"],
                    "rows": group["_rows"],
                    "missing_share": 1 - known / group["_rows"],
                    "mean": group[f"{i}_mean"],
                    "std": group[f"{i}_std"],
                    "median": group[f"{i}_median"],
                }
            )
    return pd.DataFrame(records, columns=["feature", "outcome", "rows", "missing_share", "mean", "std", "median"])


def separation(profile: pd.DataFrame) -> pd.DataFrame:
    """Features side by side for outcome 0 and 1 (`outcome_profile`), ordered by how far apart the
    means are in pooled standard deviations (`gap`, NaN when it cannot be computed)."""
    wide = profile.pivot(index="feature", columns="outcome", values=["mean", "std", "median", "missing_share"])
    wide.columns = [f"{name}_{int(outcome)}" for name, outcome in wide.columns]
    wide = wide.reindex(columns=[f"{n}_{o}" for n in ("mean", "median", "missing_share", "std") for o in (0, 1)])
    pooled = ((wide["std_0"] ** 2 + wide["std_1"] ** 2) / 2) ** 0.5
    wide["gap"] = ((wide["mean_1"] - wide["mean_0"]).abs() / pooled.where(pooled > 0)).astype(float)
    return wide.sort_values("gap", ascending=False, na_position="last").drop(columns=["std_0", "std_1"])


def missingness(rows: DataFrame, columns: list[str], *, by: str) -> pd.DataFrame:
    """Share of missing values of each feature (rows) per value of `by` (columns, e.g. the month)."""
    shares = (
        rows.groupBy(by)
        .agg(*[F.avg(F.col(c).isNull().cast("double")).alias(str(i)) for i, c in enumerate(columns)])
        .orderBy(by)
        .toPandas()
    )
    table = shares.set_index(by).T
    table.index = columns
    return table


def most_missing(table: pd.DataFrame, *, top: int = 20) -> pd.DataFrame:
    """The `top` features of `missingness` most often missing on average, with that average first."""
    mean = table.mean(axis=1)
    chosen = mean.sort_values(ascending=False, kind="stable").head(top).index
    return table.loc[chosen].assign(mean=mean[chosen])[["mean", *table.columns]]


def outcome_sample(rows: DataFrame, columns: list[str], *, label: str, per_outcome: int, seed: int = 1) -> pd.DataFrame:
    """At most about `per_outcome` rows of each outcome (label, then `columns`), to plot distributions."""
    counts = {
        r["o"]: r["n"]
        for r in rows.groupBy(F.col(label).cast("int").alias("o")).count().withColumnRenamed("count", "n").collect()
    }
    fractions = {o: min(1.0, per_outcome / n) for o, n in counts.items() if n}
    picked = rows.select(F.col(label).cast("int").alias(label), *columns)
    return picked.sampleBy(label, fractions, seed).toPandas() if fractions else picked.limit(0).toPandas()
