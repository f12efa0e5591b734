"""Firm headcount (SOURCES.md section 3): last known value with its age, and the size rule.

The value of month m is known from the first batch carrying it; a later batch's value replaces it
from that batch on. At t the firm's `effectif` is the value of the latest month known at t (carried
forward while deliveries are late) and `effectif_age` the months between t and that month.
`mois_effectif_seuil` counts the months among t-35 .. t whose value known at t reached the
threshold: the perimeter's size rule.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import (
    KEY,
    MONTH,
    batch_month,
    carry_forward,
    interval_deltas,
    month_index,
    month_of_index,
    months_between,
    running_sum,
    spread_deltas,
)
from signaux_spark.features.states import DUE, VALUE, Carried, due_at
from signaux_spark.months import add_months

SOURCE = "urssaf_effectif_ent"
LINE_BITS = 32  # line numbers below 2**32
MONTH_BITS = 15  # month_index below 2**15: years before 2730


def _cells(effectifs: DataFrame, end: dt.date | None = None) -> DataFrame:
    """(siren, mois, known, batch, line_number, effectif): each cell with the month it is usable
    from (up to `end`)."""
    cells = effectifs.select(
        KEY,
        F.col(MONTH).alias("mois"),
        "effectif",
        "batch",
        "line_number",
        F.greatest(batch_month(), F.col(MONTH)).alias("known"),
    )
    return cells if end is None else cells.where(F.col("known") <= F.lit(end))


def _ordered(*months: Column) -> Column:
    """One long that orders cells by `months` (the first one first), then by line number: its min,
    max and `max_by` are cheap hash aggregates, where a struct's are sorts."""
    order = F.col("line_number")
    for i, month in enumerate(reversed(months)):
        order = order + F.shiftleft(month_index(month).cast("long"), LINE_BITS + i * MONTH_BITS)
    return order


def _first_month_of(order: Column, months: int) -> Column:
    """The first of the `months` months an `_ordered` long was made of."""
    return month_of_index(F.shiftright(order, LINE_BITS + (months - 1) * MONTH_BITS))


def _latest_per_batch(cells: DataFrame) -> DataFrame:
    """(siren, known, value): each firm's latest cell among those usable from the same month (the
    greatest month, then batch, then line), as a struct (mois, known, line_number, effectif), whose
    max is then the latest month in its latest version."""
    order = _ordered(F.col("mois"), batch_month())
    latest = cells.groupBy(KEY, "known").agg(F.max(order).alias("order"), F.max_by("effectif", order).alias("effectif"))
    return latest.select(
        KEY,
        "known",
        F.struct(
            _first_month_of(F.col("order"), 2).alias("mois"),
            "known",
            F.col("order").bitwiseAND(F.lit(2**LINE_BITS - 1)).alias("line_number"),
            "effectif",
        ).alias("value"),
    )


def _headcount(rows: DataFrame) -> DataFrame:
    return rows.select(
        KEY,
        MONTH,
        F.col("value.effectif").alias("effectif"),
        months_between(F.col(MONTH), F.col("value.mois")).alias("effectif_age"),
    )


def last_known_headcount(effectifs: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, effectif, effectif_age."""
    events = _latest_per_batch(_cells(effectifs, end)).withColumnRenamed("known", MONTH)
    return _headcount(carry_forward(events, "value", start=start, end=end))


# The monthly run's states (features/states.py): the latest cell of each firm, and the latest
# version of each month of the size rule's window.
LATEST_CELL = Carried(
    "effectif_latest",
    SOURCE,
    (KEY,),
    lambda effectifs: _latest_per_batch(_cells(effectifs)).select(
        KEY, F.col("known").alias(DUE), F.col("value").alias(VALUE)
    ),
)


WINDOW_CELLS = "effectif_window"


def window_cells(window_months: int) -> Carried:
    """State of the size rule: per firm and month of the window, its latest version."""
    return Carried(
        WINDOW_CELLS,
        SOURCE,
        (KEY, "mois"),
        lambda effectifs: _cells(effectifs).select(
            KEY, "mois", F.col("known").alias(DUE), F.struct("known", "line_number", "effectif").alias(VALUE)
        ),
        keep=lambda as_of: F.col("mois") >= F.lit(add_months(as_of, -(window_months - 1))),
        settings=f"window_months={window_months}",
    )


def headcount_at(latest: DataFrame, period: dt.date) -> DataFrame:
    """siren, periode, effectif, effectif_age at `period` from the state LATEST_CELL."""
    return _headcount(due_at(latest, period).withColumn(MONTH, F.lit(period)))


def months_at_threshold_at(window: DataFrame, period: dt.date, *, threshold: int, window_months: int) -> DataFrame:
    """siren, periode, mois_effectif_seuil at `period` from the state `window_cells`."""
    counted = due_at(window, period).where(
        F.col("mois").between(F.lit(add_months(period, -(window_months - 1))), F.lit(period))
        & (F.col("value.effectif") >= threshold)
    )
    return (
        counted.groupBy(KEY)
        .agg(F.count(F.lit(1)).cast("int").alias("mois_effectif_seuil"))
        .select(KEY, F.lit(period).alias(MONTH), "mois_effectif_seuil")
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
    # A month's versions in order (known, then line).
    version = _ordered(F.col("known"))
    reached, below = F.when(F.col("reached"), version), F.when(~F.col("reached"), version)
    sides = (
        cells.groupBy(KEY, "mois")
        .agg(
            F.min(reached).alias("first_reached"),
            F.max(reached).alias("last_reached"),
            F.min(below).alias("first_below"),
            F.max(below).alias("last_below"),
        )
        .where(F.col("first_reached").isNotNull())
    )
    # Most months never cross the threshold, or cross it once: their versions at or above it follow
    # each other, so they count from the first of them until the first version below that comes after.
    once = F.col("first_below").isNull() | (F.col("last_below") < F.col("first_reached"))
    down = F.col("last_reached") < F.col("first_below")
    crossing_once = sides.where(once | down).select(
        KEY,
        "mois",
        _first_month_of(F.col("first_reached"), 1).alias("known"),
        F.when(down, F.add_months(_first_month_of(F.col("first_below"), 1), -1)).alias("until"),
    )
    # Months crossing it back and forth (rare) need each version's successor.
    back_and_forth = sides.where(~(once | down)).select(KEY, "mois")
    crossed = cells.join(F.broadcast(back_and_forth), [KEY, "mois"], "left_semi")
    order = Window.partitionBy(KEY, "mois").orderBy("known", "line_number")
    versions = crossed.withColumn("until", F.add_months(F.lead("known").over(order), -1)).where(F.col("reached"))
    intervals = crossing_once.unionByName(versions.select(KEY, "mois", "known", "until")).where(
        F.col("until").isNull() | (F.col("until") >= F.col("known"))
    )
    # A version >= threshold counts at t while it is the known one and m is within the window of t.
    deltas = spread_deltas(
        intervals.withColumn("until", F.coalesce(F.col("until"), F.lit(end))),
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
