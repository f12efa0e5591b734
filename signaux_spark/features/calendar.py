"""Months as values: month arithmetic, dense month grids, and the two ways a monthly signal is
made dense without looking ahead (carry the greatest known state forward; add up dated deltas).

Both keep events dated before the grid's first month by moving them to that month, so a signal at
month t never depends on where the grid starts: computing one month or the whole history in one
pass gives the same values.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

KEY = "siren"
MONTH = "periode"


def month_index(col: Column | str) -> Column:
    """Months since year 0 (an integer to do arithmetic and range windows on months)."""
    col = F.col(col) if isinstance(col, str) else col
    return F.year(col) * 12 + F.month(col) - 1


def month_of_index(index: Column) -> Column:
    """The first day of the month `month_index` numbers (its inverse)."""
    return F.make_date(F.floor(index / 12).cast("int"), (index % 12 + 1).cast("int"), F.lit(1))


def months_between(later: Column | str, earlier: Column | str) -> Column:
    """Whole months from the month of `earlier` to the month of `later`."""
    return month_index(later) - month_index(earlier)


def first_month_on_or_after(col: Column | str) -> Column:
    """The first month whose first day is on or after the date: a date counts from that month."""
    col = F.col(col) if isinstance(col, str) else col
    return F.when(F.dayofmonth(col) == 1, col).otherwise(F.add_months(F.trunc(col, "month"), 1))


def batch_month(col: Column | str = "batch") -> Column:
    """The `YYYY-MM` batch as the first day of its month."""
    col = F.col(col) if isinstance(col, str) else col
    return F.to_date(F.concat(col, F.lit("-01")))


def month_sequence(first: Column, last: Column) -> Column:
    """Array of the first days of the months from `first` to `last` (empty when first > last)."""
    return F.when(first <= last, F.sequence(first, last, F.expr("INTERVAL 1 MONTH"))).otherwise(
        F.array().cast("array<date>")
    )


def _clamped(events: DataFrame, start: dt.date, end: dt.date) -> DataFrame:
    return events.where(F.col(MONTH) <= F.lit(end)).withColumn(MONTH, F.greatest(F.col(MONTH), F.lit(start)))


def _until_next(rows: DataFrame, key: str, values: list[Column], end: dt.date) -> DataFrame:
    """Dense (key, periode, values...) from sparse rows: each row's values (window expressions over
    `key` ordered by month) hold from its month to the month before the key's next row, or `end`.
    The windows run over the sparse rows only and the dense months come from one explode, never
    from a join with a dense calendar."""
    following = Window.partitionBy(key).orderBy(MONTH)
    until = F.coalesce(F.add_months(F.lead(MONTH).over(following), -1), F.lit(end))
    spans = rows.select(key, MONTH, until.alias("_until"), *values)
    return spans.select(
        key,
        F.explode(month_sequence(F.col(MONTH), F.col("_until"))).alias(MONTH),
        *[c for c in spans.columns if c not in (key, MONTH, "_until")],
    )


def carry_forward(events: DataFrame, state: str, *, start: dt.date, end: dt.date, key: str = KEY) -> DataFrame:
    """Dense (key, periode, state) from events (key, periode, state struct), where periode is the
    month the state became known and the greatest state known so far is the one in force."""
    known = _clamped(events, start, end).groupBy(key, MONTH).agg(F.max(state).alias(state))
    so_far = Window.partitionBy(key).orderBy(MONTH).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return _until_next(known, key, [F.max(state).over(so_far).alias(state)], end)


def running_sum(deltas: DataFrame, columns: list[str], *, start: dt.date, end: dt.date) -> DataFrame:
    """Dense (siren, periode, columns...) where each column is the sum of its deltas dated up to the
    month. Deltas are integers, so adding and removing the same amount leaves exactly nothing."""
    summed = _clamped(deltas, start, end).groupBy(KEY, MONTH).agg(*[F.sum(c).alias(c) for c in columns])
    so_far = Window.partitionBy(KEY).orderBy(MONTH).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return _until_next(summed, KEY, [F.coalesce(F.sum(c).over(so_far), F.lit(0)).alias(c) for c in columns], end)


def interval_deltas(first: Column, last: Column, value: Column) -> Column:
    """Deltas that make `value` count for the months first..last once summed, as an array of
    (periode, delta): (first, +value) and (last + 1 month, -value); empty when first > last."""
    return F.when(
        first <= last,
        F.array(
            F.struct(first.alias(MONTH), value.alias("delta")),
            F.struct(F.add_months(last, 1).alias(MONTH), (-value).alias("delta")),
        ),
    ).otherwise(F.array().cast(f"array<struct<{MONTH}:date,delta:long>>"))


def spread_deltas(rows: DataFrame, deltas: dict[str, Column]) -> DataFrame:
    """(siren, periode, one column per name) from `interval_deltas` arrays named by column: one row
    per delta, zero in the other columns; `running_sum` adds them up."""

    # Two explodes rather than a lambda tagging each array (F.transform), evaluated value by value.
    named = F.array(*[F.struct(F.lit(name).alias("name"), arr.alias("deltas")) for name, arr in deltas.items()])
    exploded = (
        rows.select(KEY, F.explode(named).alias("n"))
        .select(KEY, "n.name", F.explode("n.deltas").alias("d"))
        .select(KEY, F.col(f"d.{MONTH}").alias(MONTH), "name", "d.delta")
    )
    zero = F.lit(0).cast("long")
    return exploded.select(
        KEY, MONTH, *[F.when(F.col("name") == name, F.col("delta")).otherwise(zero).alias(name) for name in deltas]
    )


def latest_per_key(df: DataFrame, keys: list[str], order: list[str]) -> DataFrame:
    """One row per key: the one greatest by `order` (e.g. batch then line number)."""
    rank = Window.partitionBy(*keys).orderBy(*[F.col(c).desc_nulls_last() for c in order])
    return df.withColumn("_rank", F.row_number().over(rank)).where("_rank = 1").drop("_rank")
