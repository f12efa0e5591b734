"""The registry (SOURCES.md sections 10-12): firms, their head office and where they are.

Each SIRENE version is known from its batch (latest batch wins, then the last line). At month t
the unit and its establishments are those known at t; the head office is the establishment flagged
`est_siege`, or, when none or several are, the one whose NIC is the unit's head-office NIC. The
department comes from the head office's commune code (Corsica 2A/2B, overseas on 3 characters, an
old `20` resolved by the postal code), the region and labels from the reference tables.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, carry_forward, months_between

UNIT_FIELDS = [
    "date_creation",
    "est_active",
    "date_debut_etat",
    "nom",
    "prenom",
    "denomination",
    "categorie_juridique",
    "naf",
    "nic_siege",
    "unite_purgee",
]
SIEGE_FIELDS = [
    "siret",
    "nic",
    "est_siege",
    "code_commune",
    "code_postal",
    "commune",
    "code_pays_etranger",
    "date_creation",
    "est_actif",
    "date_debut_etat",
]
CORSICA = "94"


def departement(code_commune: Column, code_postal: Column) -> Column:
    """Department code of a commune code: 3 characters overseas, `2A`/`2B` as they are, an old
    Corsican `20` resolved with the postal code (null when it cannot be)."""
    postal = code_postal.try_cast("int")
    return (
        F.when(code_commune.rlike("^9[78]"), F.substring(code_commune, 1, 3))
        .when(
            F.substring(code_commune, 1, 2) == "20",
            F.when(postal.between(20000, 20199), F.lit("2A")).when(postal.between(20200, 20699), F.lit("2B")),
        )
        .otherwise(F.substring(code_commune, 1, 2))
    )


def unit_states(units: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, unit (struct of the unit version known at t), from its first batch to `end`."""
    events = units.select(
        KEY,
        batch_month().alias(MONTH),
        F.struct(batch_month().alias("known"), "line_number", *UNIT_FIELDS).alias("unit"),
    )
    return carry_forward(events, "unit", start=start, end=end)


def head_office_states(
    etablissements: DataFrame, units: DataFrame, *, start: dt.date, end: dt.date, unit_months: DataFrame
) -> DataFrame:
    """siren, periode, siege (struct of the head office known at t), siege_incoherent."""
    nic_siege = units.select(KEY, F.col("nic_siege").alias("nic")).where(F.col("nic").isNotNull()).distinct()
    flagged = etablissements.where(F.col("est_siege")).select(KEY, "nic").distinct()
    candidates = etablissements.join(nic_siege.unionByName(flagged).distinct(), [KEY, "nic"], "left_semi")
    events = candidates.select(
        "siret",
        batch_month().alias(MONTH),
        F.struct(batch_month().alias("known"), "line_number", KEY, *[c for c in SIEGE_FIELDS if c != "siret"]).alias(
            "etab"
        ),
    )
    etabs = carry_forward(events, "etab", start=start, end=end, key="siret").select(
        "siret", MONTH, F.col("etab.siren").alias(KEY), "etab"
    )
    nics = unit_months.select(KEY, MONTH, F.col("unit.nic_siege").alias("nic_siege"))
    flagged = F.coalesce(F.col("etab.est_siege"), F.lit(False))
    per_month = (
        etabs.join(nics, [KEY, MONTH], "left")
        .groupBy(KEY, MONTH)
        .agg(
            F.sum(flagged.cast("int")).alias("flagged"),
            F.first(F.when(flagged, F.struct("siret", "etab.*")), ignorenulls=True).alias("flagged_siege"),
            F.first(
                F.when(F.col("etab.nic") == F.col("nic_siege"), F.struct("siret", "etab.*")), ignorenulls=True
            ).alias("unit_siege"),
        )
    )
    return per_month.select(
        KEY,
        MONTH,
        F.when(F.col("flagged") == 1, F.col("flagged_siege")).otherwise(F.col("unit_siege")).alias("siege"),
        (F.col("flagged") != 1).alias("siege_incoherent"),
    )


def registry(units: DataFrame, etablissements: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode and the registry facts known at t, for every month from the unit's first
    batch (or `start`) to `end`, with `alive` (created and not ceased on the first day of t)."""
    unit_months = unit_states(units, start=start, end=end)
    sieges = head_office_states(etablissements, units, start=start, end=end, unit_months=unit_months)
    u = lambda c: F.col(f"unit.{c}")  # noqa: E731
    s = lambda c: F.col(f"siege.{c}")  # noqa: E731

    def ended(active: Column, since: Column) -> Column:
        """Ceased or closed on the first day of the month (a state without a date counts as ended;
        an unknown state, e.g. a purged unit, does not)."""
        return F.coalesce((active == F.lit(False)) & (since.isNull() | (since <= F.col(MONTH))), F.lit(False))

    ceased = ended(u("est_active"), u("date_debut_etat"))
    siege_closed = ended(s("est_actif"), s("date_debut_etat"))
    return unit_months.join(sieges, [KEY, MONTH], "left").select(
        KEY,
        MONTH,
        (~ceased & (u("date_creation").isNull() | (u("date_creation") <= F.last_day(MONTH)))).alias("alive"),
        F.coalesce(u("denomination"), F.nullif(F.concat_ws(" ", u("prenom"), u("nom")), F.lit(""))).alias(
            "raison_sociale"
        ),
        u("categorie_juridique").alias("categorie_juridique"),
        u("naf").alias("naf"),
        u("date_creation").alias("date_creation"),
        u("est_active").alias("est_active"),
        F.when(u("est_active") == F.lit(False), u("date_debut_etat")).alias("date_cessation"),
        s("siret").alias("siret_siege"),
        s("commune").alias("commune"),
        s("code_commune").alias("code_commune"),
        s("code_postal").alias("code_postal"),
        s("code_pays_etranger").alias("code_pays_etranger"),
        s("date_creation").alias("date_debut_activite"),
        F.when(s("est_actif") == F.lit(False), s("date_debut_etat")).alias("date_fin_activite"),
        (s("siret").isNotNull() & s("code_commune").isNotNull()).alias("siege_francais"),
        (
            s("siret").isNotNull()
            & ~siege_closed
            & (s("date_creation").isNull() | (s("date_creation") <= F.col(MONTH)))
        ).alias("siege_actif"),
        F.coalesce(F.col("siege_incoherent"), F.lit(True)).alias("siege_incoherent"),
        months_between(F.col(MONTH), u("date_creation")).alias("age_entreprise"),
    )


def with_places(df: DataFrame, departements: DataFrame, sections: DataFrame) -> DataFrame:
    """Add naf_section, libelle_section (from `naf`) and departement, libelle_departement, region,
    libelle_region (from the head office's commune; codes absent from the table stay null)."""
    deps = departements.select(
        F.col("departement").alias("_code"), "libelle_departement", F.col("region").alias("_region")
    )
    regions = departements.select("region", "libelle_region").distinct()
    old_corsica = F.substring(F.col("code_commune"), 1, 2) == "20"
    return (
        df.withColumn("_code", departement(F.col("code_commune"), F.col("code_postal")))
        .withColumn("division", F.substring("naf", 1, 2))
        .join(F.broadcast(sections.withColumnRenamed("section", "naf_section")), "division", "left")
        .join(F.broadcast(deps), "_code", "left")
        .withColumn("departement", F.when(F.col("libelle_departement").isNotNull(), F.col("_code")))
        .withColumn("region", F.coalesce(F.col("_region"), F.when(old_corsica, F.lit(CORSICA))))
        .join(F.broadcast(regions), "region", "left")
        .drop("_code", "_region", "division")
    )
