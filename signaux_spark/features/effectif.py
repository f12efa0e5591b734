"""Firm headcount (SOURCES.md section 3): last known value with its age, and the size rule.

The value of month m is known from the first batch carrying it; a later batch's value replaces it
from that batch on. At t the firm's `effectif` is the value of the latest month known at t (carried
forward while deliveries are late) and `effectif_age` the months between t and that month.
`mois_effectif_seuil` counts the months among t-35 .. t whose value known at t reached the
threshold: the perimeter's size rule.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import (
    KEY,
    MONTH,
    batch_month,
    carry_forward,
    interval_deltas,
    months_between,
    running_sum,
    spread_deltas,
)
from signaux_spark.months import add_months


def _cells(effectifs: DataFrame, end: dt.date) -> DataFrame:
    """(siren, mois, known, line_number, effectif): each cell with the month it is usable from."""
    return effectifs.select(
        KEY,
        F.col(MONTH).alias("mois"),
        "effectif",
        "line_number",
        F.greatest(batch_month(), F.col(MONTH)).alias("known"),
    ).where(F.col("known") <= F.lit(end))


def last_known_headcount(effectifs: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, effectif, effectif_age."""
    # The greatest (month, batch, line) known so far is the latest month in its latest version.
    events = (
        _cells(effectifs, end)
        .groupBy(KEY, "known")
        .agg(F.max(F.struct("mois", "known", "line_number", "effectif")).alias("value"))
        .withColumnRenamed("known", MONTH)
    )
    return carry_forward(events, "value", start=start, end=end).select(
        KEY,
        MONTH,
        F.col("value.effectif").alias("effectif"),
        months_between(F.col(MONTH), F.col("value.mois")).alias("effectif_age"),
    )


def months_at_threshold(
    effectifs: DataFrame, *, start: dt.date, end: dt.date, threshold: int, window_months: int
) -> DataFrame:
    """siren, periode, mois_effectif_seuil: months of t-(w-1) .. t whose value known at t >= threshold."""
    cells = (
        _cells(effectifs, end)
        .where(F.col("mois") >= F.lit(add_months(start, -(window_months - 1))))
        .withColumn("reached", F.col("effectif") >= threshold)
    )
    # Most months keep the same side of the threshold in every delivery: one aggregate settles them;
    # only the months revised across the threshold need their versions in order.
    sides = cells.groupBy(KEY, "mois").agg(
        F.min("known").alias("known"), F.min("reached").alias("low"), F.max("reached").alias("high")
    )
    steady = sides.where(F.col("low") & F.col("high")).select(
        KEY, "mois", "known", F.lit(None).cast("date").alias("until")
    )
    crossed = cells.join(sides.where(F.col("low") != F.col("high")).select(KEY, "mois"), [KEY, "mois"], "left_semi")
    order = Window.partitionBy(KEY, "mois").orderBy("known", "line_number")
    versions = (
        crossed.withColumn("until", F.add_months(F.lead("known").over(order), -1))
        .where(F.col("reached") & (F.col("until").isNull() | (F.col("until") >= F.col("known"))))
        .select(KEY, "mois", "known", "until")
    )
    reached = steady.unionByName(versions).withColumn("until", F.coalesce(F.col("until"), F.lit(end)))
    # A version >= threshold counts at t while it is the known one and m is within the window of t.
    deltas = spread_deltas(
        reached,
        {
            "mois_effectif_seuil": interval_deltas(
                F.greatest("known", "mois"),
                F.least(F.col("until"), F.add_months("mois", window_months - 1)),
                F.lit(1).cast("long"),
            )
        },
    )
    return running_sum(deltas, ["mois_effectif_seuil"], start=start, end=end).withColumn(
        "mois_effectif_seuil", F.col("mois_effectif_seuil").cast("int")
    )
