"""Social contributions due (SOURCES.md section 1): monthly amounts and their means as known at t.

A line is spread pro rata over the months of its period and is usable from its batch. At month t
the known contributions are those of months t-k .. t-1 (the month of t itself is never delivered
yet) from the lines whose batch is <= t; a month with no line is unknown, not zero. Amounts are
counted in 1/1200 euro (a centime split over 1, 3 or 12 months stays whole), so regularisations
add and remove exactly.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import (
    KEY,
    MONTH,
    batch_month,
    month_sequence,
    running_sum,
)
from signaux_spark.features.states import DUE, VALUE, Carried, due_at
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


def first_known_lines(cotisations: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """The lines (LINE_COLUMNS, known) the months start..end read, each with the batch month it
    was first known: identical lines delivered in several batches are one line. The lines are
    spread by firm once: every later aggregate and window is per firm, so none of them moves rows again."""
    return (
        cotisations.where(F.col("periode_fin") > F.lit(_oldest(start)))
        .select(*LINE_COLUMNS, batch_month().alias("known"))
        .repartition(KEY)
        .groupBy(*LINE_COLUMNS)
        .agg(F.min("known").alias("known"))
        .where(F.col("known") <= F.lit(end))
    )


def _oldest(start: dt.date) -> dt.date:
    """The first month the windows of `start` read."""
    return add_months(start, -max(WINDOWS))


# The monthly run's state (features/states.py): the lines the windows still read, first known when.
LINES = Carried(
    "cotisation_lines",
    "urssaf_cotisation",
    tuple(LINE_COLUMNS),
    lambda cotisations: cotisations.select(*LINE_COLUMNS, batch_month().alias(DUE), batch_month().alias(VALUE)),
    latest=False,
    keep=lambda as_of: F.col("periode_fin") > F.lit(_oldest(as_of)),
)


def lines_at(lines: DataFrame, period: dt.date) -> DataFrame:
    """The lines (LINE_COLUMNS, known) of the state LINES at `period`."""
    return due_at(lines, period).select(*LINE_COLUMNS, F.col(VALUE).alias("known"))


def month_pieces(lines: DataFrame, *, start: dt.date) -> DataFrame:
    """(siren, mois, known, units): one row per line and month of its period, with its amount
    for that month in 1/1200 EUR."""
    per_month = F.round(F.col("cotisation_due") * 100).cast("long") * (F.lit(12) / F.col("n_mois")).cast("long")
    return lines.select(
        KEY,
        "known",
        per_month.alias("units"),
        F.explode(month_sequence(F.col("periode_debut"), F.add_months(F.col("periode_fin"), -1))).alias("mois"),
    ).where(F.col("mois") >= F.lit(_oldest(start)))


def window_deltas(months: DataFrame, value: Column, prefix: str) -> DataFrame:
    """(siren, periode, {prefix}{k} for k in WINDOWS): deltas that, summed up to t, count `value`
    of month m known from `known` in each window: at t in [max(known, m+1), m+k]. One row where the
    windows start (they share it) and one where each ends; a window that never holds it adds no row."""
    begin = F.greatest("known", F.add_months("mois", 1))
    held = {k: begin <= F.add_months("mois", k) for k in WINDOWS}

    def row(periode: Column, deltas: dict[int, Column]) -> Column:
        zero = F.lit(0).cast("long")
        return F.struct(
            periode.alias(MONTH), *[deltas.get(k, zero).cast("long").alias(f"{prefix}{k}") for k in WINDOWS]
        )

    rows = [(held[max(WINDOWS)], row(begin, {k: F.when(held[k], value).otherwise(0) for k in WINDOWS}))]
    rows += [(held[k], row(F.add_months("mois", k + 1), {k: -value})) for k in WINDOWS]
    # Filtered after the explode: a lambda over the array (F.filter) is evaluated value by value.
    deltas = F.array(*[F.struct(h.alias("held"), r.alias("d")) for h, r in rows])
    return months.select(KEY, F.explode(deltas).alias("x")).where("x.held").select(KEY, "x.d.*")


def monthly_cotisation(cotisations: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, cotisation (month t-1 as known at t), cotisation_mean{3,6,12}m (mean of the
    known months among t-k .. t-1), cotisation_negative (1 when the last month is negative)."""
    pieces = month_pieces(first_known_lines(cotisations, start=start, end=end), start=start)
    # Lines of a firm-month known from the same batch add up: one amount per (firm, month, batch).
    amounts = pieces.groupBy(KEY, "mois", "known").agg(F.sum("units").alias("units"))
    firsts = amounts.groupBy(KEY, "mois").agg(F.min("known").alias("known"))
    deltas = window_deltas(amounts, F.col("units"), "sum").unionByName(
        window_deltas(firsts, F.lit(1), "n"), allowMissingColumns=True
    )
    columns = [f"{what}{k}" for what in ("sum", "n") for k in WINDOWS]
    return _means(running_sum(deltas, columns, start=start, end=end))


def cotisation_at(lines: DataFrame, period: dt.date) -> DataFrame:
    """monthly_cotisation at `period` alone from the state LINES: every line in it is known by
    then, so each window adds up its months directly (one aggregate, no deltas)."""
    pieces = month_pieces(lines_at(lines, period), start=period).where(F.col("mois") < F.lit(period))
    months = pieces.groupBy(KEY, "mois").agg(F.sum("units").alias("units"))
    inside = {k: F.col("mois") >= F.lit(add_months(period, -k)) for k in WINDOWS}
    totals = months.groupBy(KEY).agg(
        *[F.sum(F.when(inside[k], F.col("units")).otherwise(0)).alias(f"sum{k}") for k in WINDOWS],
        *[F.count(F.when(inside[k], 1)).alias(f"n{k}") for k in WINDOWS],
    )
    return _means(totals.withColumn(MONTH, F.lit(period)))


def _means(totals: DataFrame) -> DataFrame:
    """The signal's columns from each window's sum (1/1200 EUR) and count of known months."""
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
