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


def _share(col: str):
    return F.least(F.greatest(F.col(col).cast("double"), F.lit(0.0)), F.lit(100.0)) / 100


def monthly_paydex(paydex: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, paydex, fpi_30, fpi_90, paydex_age (months since the value date)."""
    events = paydex.select(
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
    return carry_forward(events, "value", start=start, end=end).select(
        KEY,
        MONTH,
        "value.paydex",
        "value.fpi_30",
        "value.fpi_90",
        months_between(F.col(MONTH), F.col("value.date_valeur")).alias("paydex_age"),
    )
