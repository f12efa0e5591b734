"""Short-time work (SOURCES.md sections 6 and 7): hours authorised for month t and hours consumed
in month t-1, as known at t.

Requests: a version is known from its batch; the version in force is the greatest by
(`date_statut`, batch, line) among the known ones. Only motifs 1-5 give authorised hours. A day's
hours are the maximum of the daily rates of the requests covering it (`sum` on demand), so renewals
and amendments do not add up. Consumption: the latest batch wins for (request, SIRET, month); a
month not reported while a known request covered it is not yet known (null), otherwise zero.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, latest_per_key, month_sequence

MOTIFS_KEPT = [1, 2, 3, 4, 5]


def request_versions(demandes: DataFrame, *, end: dt.date) -> DataFrame:
    """One row per request and batch where its version in force changes: the request's columns plus
    `known` (first month in force) and `until` (last month, before the next version)."""
    order = F.struct(F.col("date_statut"), F.col("batch"), F.col("line_number"))
    rows = demandes.withColumn("known", batch_month()).where(F.col("known") <= F.lit(end)).withColumn("order", order)
    per_batch = latest_per_key(rows, ["id_demande", "known"], ["order"])
    by_batch = Window.partitionBy("id_demande").orderBy("known")
    best = per_batch.withColumn("best", F.max("order").over(by_batch.rowsBetween(Window.unboundedPreceding, 0)))
    # Keep the batches where the best version changes; it stays in force until the next change.
    changed = best.where(F.col("order").eqNullSafe(F.col("best")))
    return changed.withColumn("until", F.coalesce(F.add_months(F.lead("known").over(by_batch), -1), F.lit(end)))


def authorised_hours(demandes: DataFrame, *, start: dt.date, end: dt.date, policy: str = "max") -> DataFrame:
    """siren, periode, ap_heures_autorisees for the months with authorised hours (no row: zero)."""
    if policy not in ("max", "sum"):
        raise ValueError(f"ap_overlap_policy must be 'max' or 'sum', got {policy!r}")
    versions = request_versions(demandes, end=end).where(F.col("motif_recours").isin(MOTIFS_KEPT))
    rate = F.try_divide(F.col("heures_autorisees"), (F.datediff("date_fin", "date_debut") + 1).cast("double"))
    months = versions.select(
        "siret",
        KEY,
        "date_debut",
        "date_fin",
        rate.alias("rate"),
        F.explode(
            month_sequence(
                F.greatest(F.col("known"), F.trunc("date_debut", "month"), F.lit(start)),
                F.least(F.col("until"), F.trunc("date_fin", "month"), F.lit(end)),
            )
        ).alias(MONTH),
    )
    days = months.select(
        "siret",
        KEY,
        MONTH,
        "rate",
        F.explode(
            F.sequence(F.greatest(F.col("date_debut"), F.col(MONTH)), F.least(F.col("date_fin"), F.last_day(MONTH)))
        ).alias("jour"),
    )
    combine = F.max if policy == "max" else F.sum
    per_day = days.groupBy("siret", KEY, MONTH, "jour").agg(combine("rate").alias("rate"))
    return per_day.groupBy(KEY, MONTH).agg(F.round(F.sum("rate"), 3).alias("ap_heures_autorisees"))


def consumed_hours(consommations: DataFrame, demandes: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, ap_heures_consommees (month t-1 as known at t), ap_attendue (true when a
    known request covered t-1 and nothing was reported yet); no row: no short-time work (zero)."""
    reported = (
        consommations.withColumn("known", batch_month())
        .withColumn(MONTH, F.add_months(F.col(MONTH), 1))
        .where((F.col("known") <= F.col(MONTH)) & F.col(MONTH).between(F.lit(start), F.lit(end)))
    )
    latest = latest_per_key(reported, ["id_demande", "siret", MONTH], ["known", "line_number"])
    hours = latest.groupBy(KEY, MONTH).agg(F.round(F.sum("heures_consommees"), 3).alias("heures"))
    covered = (
        request_versions(demandes, end=end)
        .select(
            KEY,
            F.explode(
                month_sequence(
                    F.greatest(F.col("known"), F.add_months(F.trunc("date_debut", "month"), 1), F.lit(start)),
                    F.least(F.col("until"), F.add_months(F.trunc("date_fin", "month"), 1), F.lit(end)),
                )
            ).alias(MONTH),
        )
        .distinct()
        .withColumn("covered", F.lit(True))
    )
    # `ap_attendue`: a known request covered t-1 and nothing is reported yet (null, not zero).
    return hours.join(covered, [KEY, MONTH], "full").select(
        KEY,
        MONTH,
        F.col("heures").alias("ap_heures_consommees"),
        (F.col("heures").isNull() & F.col("covered")).alias("ap_attendue"),
    )
