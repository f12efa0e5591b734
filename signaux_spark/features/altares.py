"""Altares supplier payment behaviour (SOURCES.md section 9): paydex (average days late) and the
FPI 30+/90+ scores, carried forward from the latest value date known at t, with their age.

For a value date the latest batch wins (then the last line); values are usable from their batch.
FPI are clipped to [0, 100] and turned into shares.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, carry_forward, months_between
from signaux_spark.features.states import DUE, VALUE, Carried, due_at

SOURCE = "altares_paydex"


def _share(col: str):
    return F.least(F.greatest(F.col(col).cast("double"), F.lit(0.0)), F.lit(100.0)) / 100


def _values(paydex: DataFrame) -> DataFrame:
    """(siren, periode: the month the value is known from, value struct ordered by value date,
    then batch, then line)."""
    return paydex.select(
        KEY,
        F.greatest(batch_month(), F.trunc("date_valeur", "month")).alias(MONTH),
        F.struct(
            "date_valeur",
            "batch",
            "line_number",
            F.col("paydex").cast("double").alias("paydex"),
            _share("fpi_30").alias("fpi_30"),
            _share("fpi_90").alias("fpi_90"),
        ).alias("value"),
    )


def _signal(known: DataFrame) -> DataFrame:
    return known.select(
        KEY,
        MONTH,
        "value.paydex",
        "value.fpi_30",
        "value.fpi_90",
        months_between(F.col(MONTH), F.col("value.date_valeur")).alias("paydex_age"),
    )


def monthly_paydex(paydex: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, paydex, fpi_30, fpi_90, paydex_age (months since the value date)."""
    return _signal(carry_forward(_values(paydex), "value", start=start, end=end))


# The monthly run's state (features/states.py): each firm's greatest value known, so a month reads
# its own batch and not the 4 M paydex rows of a region's history.
LATEST_VALUE = Carried(
    "altares_latest",
    SOURCE,
    (KEY,),
    lambda paydex: _values(paydex).select(KEY, F.col(MONTH).alias(DUE), F.col("value").alias(VALUE)),
)


def paydex_at(latest: DataFrame, period: dt.date) -> DataFrame:
    """monthly_paydex at `period` alone, from the state LATEST_VALUE."""
    return _signal(due_at(latest, period).withColumn(MONTH, F.lit(period)))
