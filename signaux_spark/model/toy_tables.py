"""A small firm-month table with the shape of `gold/features` + `gold/labels` and a known failure
probability, for the model's tests and benchmark when the generator's lake is not at hand.

Each firm has a frailty; each month a latent risk `z` = frailty + a firm trend + monthly noise, and a
part `h` no feature sees. The failure label is drawn with probability sigmoid(intercept + 1.3 (z + h)
+ sector effect), which is also returned as the oracle. Features are noisy views of `z` (some with
nulls, one with a `_missing` flag column), plus pure-noise columns to make fits as wide as a real
table. Every draw is a hash of (siren, month, seed, name): the same rows whatever the partitioning.
Labels are independent draws per row (no 18-month event structure): enough to exercise the training
mechanics, not a model of firm failure (that is the generator's job).
"""

from __future__ import annotations

import datetime as dt
import math

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

REGIONS = ["11", "32", "44", "75", "84", "93"]
SECTIONS = ["C", "F", "G", "H", "I", "M", "N"]
FEATURE_GROUPS = {
    "dettes_sociales": ["dette_sociale", "dette_ratio"],
    "sante_financiere": ["marge", "paydex", "paydex_missing"],
    "effectif": ["effectif"],
    "contexte": ["naf_section", "region"],
}
CATEGORICAL = ["naf_section", "region"]


def _uniform(seed: int, name: str, *cols: Column) -> Column:
    """A uniform draw in (0, 1) from a hash."""
    return (F.pmod(F.xxhash64(*cols, F.lit(seed), F.lit(name)), F.lit(2**31)) + F.lit(1.0)) / F.lit(2.0**31 + 2)


def _normal(seed: int, name: str, *cols: Column) -> Column:
    u1, u2 = _uniform(seed, name + ".1", *cols), _uniform(seed, name + ".2", *cols)
    return F.sqrt(F.lit(-2.0) * F.ln(u1)) * F.cos(F.lit(2 * math.pi) * u2)


def firm_months(
    spark: SparkSession,
    *,
    firms: int,
    start: dt.date,
    months: int,
    seed: int = 1,
    intercept: float = -4.5,
    noise_features: int = 0,
    unlabelled_months: int = 0,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(features, labels, truth): features like `gold/features`, labels like `gold/labels` (null
    labels in the last `unlabelled_months`), truth with `siren, periode, p_failure_18m`. About 3 %
    positives with the default intercept."""
    siren = F.lpad(F.col("id").cast("string"), 9, "0")
    base = spark.range(firms).select(
        siren.alias("siren"),
        F.element_at(
            F.array(*map(F.lit, REGIONS)),
            (F.pmod(F.xxhash64(siren, F.lit(seed), F.lit("r")), F.lit(len(REGIONS))) + 1).cast("int"),
        ).alias("region"),
        F.element_at(
            F.array(*map(F.lit, SECTIONS)),
            (F.pmod(F.xxhash64(siren, F.lit(seed), F.lit("s")), F.lit(len(SECTIONS))) + 1).cast("int"),
        ).alias("naf_section"),
    )
    firm = [F.col("siren")]
    row = [F.col("siren"), F.col("periode")]
    t = F.months_between(F.col("periode"), F.lit(start)).cast("double")
    frame = (
        base.withColumn(
            "periode",
            F.explode(F.sequence(F.lit(start), F.add_months(F.lit(start), months - 1), F.expr("INTERVAL 1 MONTH"))),
        )
        .withColumn("departement", F.col("region"))
        .withColumn("frailty", _normal(seed, "frailty", *firm))
        .withColumn("z", F.col("frailty") + 0.004 * t * _normal(seed, "trend", *firm) + 0.5 * _normal(seed, "z", *row))
        .withColumn("hidden", 0.6 * _normal(seed, "hidden", *row))
        .withColumn("sector", F.when(F.col("naf_section").isin("F", "I"), 0.5).otherwise(0.0))
        .withColumn(
            "p_failure_18m",
            F.lit(1.0) / (1 + F.exp(-(F.lit(intercept) + 1.3 * (F.col("z") + F.col("hidden")) + F.col("sector")))),
        )
        .withColumn("failure", (_uniform(seed, "failure", *row) < F.col("p_failure_18m")).cast("int"))
    )
    paydex_known = _uniform(seed, "paydex_cover", *firm) < 0.75
    features = frame.select(
        "siren",
        "periode",
        "region",
        "departement",
        "naf_section",
        (_uniform(seed, "perimeter", *firm) < 0.95).alias("in_perimeter"),
        F.lit(False).alias("in_proceeding"),
        F.when(F.col("z") + 0.8 * _normal(seed, "debt", *row) > 1.0, F.round(F.exp(F.col("z")) * 1000, 0))
        .otherwise(0.0)
        .alias("dette_sociale"),
        (0.7 * F.col("z") + 0.8 * _normal(seed, "ratio", *row)).alias("dette_ratio"),
        F.when(_uniform(seed, "marge_null", *row) < 0.1, None)
        .otherwise(-0.5 * F.col("z") + 1.0 * _normal(seed, "marge", *row))
        .alias("marge"),
        F.when(paydex_known, 30 + 8 * F.col("z") + 12 * _normal(seed, "paydex", *row)).alias("paydex"),
        (~paydex_known).cast("int").alias("paydex_missing"),
        F.round(F.exp(2.5 + 0.8 * _normal(seed, "size", *firm) - 0.1 * F.col("z")), 0).cast("int").alias("effectif"),
        *[_normal(seed, f"noise{i}", *row).alias(f"noise_{i}") for i in range(noise_features)],
    )
    observed = F.col("periode") <= F.add_months(F.lit(start), months - 1 - unlabelled_months)
    labels = frame.select(
        "siren",
        "periode",
        F.when(observed, F.col("failure")).alias("failure"),
        (_uniform(seed, "proceeding", *row) < 0.01).alias("in_proceeding_known"),
        F.lit(None).cast("date").alias("next_opening"),
    )
    truth = frame.select("siren", "periode", "p_failure_18m")
    return features, labels, truth
