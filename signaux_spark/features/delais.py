"""Payment plans granted by URSSAF (SOURCES.md section 4): plans in force at each month.

A plan version is known from its batch until the next version of the same plan (latest batch
wins). It is in force at t when not refused or rejected, created by the end of t and ending on or
after the first day of t.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, latest_per_key, month_sequence

PLAN_KEY = ["numero_compte", "numero_contentieux"]
REFUSED = ["REFUS", "REJ"]


def monthly_plans(delais: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, delai_en_cours (1), delai_montant (EUR), delai_jours_restants, for the
    months with at least one plan in force (no row: no plan)."""
    versions = latest_per_key(delais.withColumn("known", batch_month()), PLAN_KEY + ["known"], ["line_number"])
    next_known = F.lead("known").over(Window.partitionBy(*PLAN_KEY).orderBy("known"))
    versions = versions.withColumn("until", F.coalesce(F.add_months(next_known, -1), F.lit(end)))
    first = F.greatest(F.col("known"), F.trunc("date_creation", "month"), F.lit(start))
    last = F.least(F.col("until"), F.trunc("date_echeance", "month"), F.lit(end))
    in_force = versions.where(~F.upper(F.trim(F.coalesce(F.col("stade"), F.lit("")))).isin(REFUSED)).select(
        KEY,
        "date_echeance",
        F.round(F.col("montant_echeancier") * 100).cast("long").alias("centimes"),
        F.explode(month_sequence(first, last)).alias(MONTH),
    )
    remaining = F.greatest(F.datediff(F.col("date_echeance"), F.last_day(MONTH)), F.lit(0))
    return in_force.groupBy(KEY, MONTH).agg(
        F.lit(1).alias("delai_en_cours"),
        (F.sum("centimes") / 100).alias("delai_montant"),
        F.max(remaining).alias("delai_jours_restants"),
    )
