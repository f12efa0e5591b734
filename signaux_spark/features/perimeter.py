"""Who is scored at month t (SOURCES.md section 13.1), with the first rule that failed.

Rules, in order: size (a headcount known at t reached the threshold in the last 36 months), legal
category not excluded, legal unit's NAF not excluded, a French head office, the head office active
on the first day of t. Registry values are those known at t.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

EXCLUSIONS = ["effectif_insuffisant", "categorie_juridique_exclue", "naf_exclu", "siege_hors_france", "siege_inactif"]


def with_perimeter(df: DataFrame, *, excluded_legal_categories: list[str], excluded_naf: list[str]) -> DataFrame:
    """Add in_perimeter and perimeter_exclusion (null when in) from mois_effectif_seuil,
    categorie_juridique, naf, siege_francais, siege_actif."""
    failed = [
        F.coalesce(F.col("mois_effectif_seuil"), F.lit(0)) <= 0,
        F.col("categorie_juridique").isin(excluded_legal_categories),
        F.col("naf").isin(excluded_naf),
        ~F.coalesce(F.col("siege_francais"), F.lit(False)),
        ~F.coalesce(F.col("siege_actif"), F.lit(False)),
    ]
    exclusion = F.lit(None).cast("string")
    for rule, name in reversed(list(zip(failed, EXCLUSIONS, strict=True))):
        exclusion = F.when(F.coalesce(rule, F.lit(False)), F.lit(name)).otherwise(exclusion)
    return df.withColumn("perimeter_exclusion", exclusion).withColumn(
        "in_perimeter", F.col("perimeter_exclusion").isNull()
    )
