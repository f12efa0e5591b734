"""Social contributions due (SOURCES.md section 1): monthly amounts and their means as known at t.

A line is spread pro rata over the months of its period and is usable from its batch. At month t
the known contributions are those of months t-k .. t-1 (the month of t itself is never delivered
yet) from the lines whose batch is <= t; a month with no line is unknown, not zero. Amounts are
counted in 1/1200 euro (a centime split over 1, 3 or 12 months stays whole), so regularisations
add and remove exactly.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import (
    KEY,
    MONTH,
    batch_month,
    interval_deltas,
    month_sequence,
    running_sum,
    spread_deltas,
)
from signaux_spark.months import add_months

WINDOWS = (1, 3, 6, 12)
UNITS_PER_EURO = 1200
LINE_COLUMNS = [
    "siret",
    "siren",
    "compte",
    "periode_debut",
    "periode_fin",
    "n_mois",
    "mer",
    "encaisse",
    "cotisation_due",
]


def month_pieces(cotisations: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """(siren, mois, first, pieces): per firm and month, the batch month it was first known and its
    (known, units) pieces, amounts in 1/1200 EUR. Identical lines delivered in several batches are
    one line, known from its first batch."""
    oldest = add_months(start, -max(WINDOWS))
    lines = (
        cotisations.where(F.col("periode_fin") > F.lit(oldest))
        .groupBy(*LINE_COLUMNS)
        .agg(F.min("batch").alias("batch"))
        .withColumn("known", batch_month())
        .where(F.col("known") <= F.lit(end))
    )
    per_month = F.round(F.col("cotisation_due") * 100).cast("long") * (F.lit(12) / F.col("n_mois")).cast("long")
    return (
        lines.select(
            KEY,
            "known",
            per_month.alias("units"),
            F.explode(month_sequence(F.col("periode_debut"), F.add_months(F.col("periode_fin"), -1))).alias("mois"),
        )
        .where(F.col("mois") >= F.lit(oldest))
        .groupBy(KEY, "mois")
        .agg(F.min("known").alias("first"), F.collect_list(F.struct("known", "units")).alias("pieces"))
    )


def monthly_cotisation(cotisations: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, cotisation (month t-1 as known at t), cotisation_mean{3,6,12}m (mean of the
    known months among t-k .. t-1), cotisation_negative (1 when the last month is negative)."""
    months = month_pieces(cotisations, start=start, end=end)

    def counted(known, k, value):
        # Month m known from batch b counts at t for t in [max(b, m+1), m+k].
        return interval_deltas(F.greatest(known, F.add_months("mois", 1)), F.add_months("mois", k), value)

    def piece_deltas(k):
        return lambda piece: counted(piece["known"], k, piece["units"])

    deltas = {f"sum{k}": F.flatten(F.transform("pieces", piece_deltas(k))) for k in WINDOWS}
    deltas.update({f"n{k}": counted(F.col("first"), k, F.lit(1).cast("long")) for k in WINDOWS})
    totals = running_sum(spread_deltas(months, deltas), list(deltas), start=start, end=end)
    mean = {
        k: F.when(
            F.col(f"n{k}") > 0,
            F.try_divide(F.col(f"sum{k}").cast("double"), (F.col(f"n{k}") * UNITS_PER_EURO).cast("double")),
        )
        for k in WINDOWS
    }
    return totals.select(
        KEY,
        MONTH,
        mean[1].alias("cotisation"),
        *[mean[k].alias(f"cotisation_mean{k}m") for k in WINDOWS if k > 1],
        F.when(mean[1] < 0, 1).otherwise(0).alias("cotisation_negative"),
    )
