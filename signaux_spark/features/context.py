"""Sector and region context at month t: shares among the firms in the perimeter that month.

Each share only uses the rows of month t, which are themselves known at t.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import MONTH

CONTEXT_COLUMNS = [
    "secteur_part_dette_hausse",
    "region_part_dette_hausse",
    "secteur_part_procedure",
    "secteur_part_activite_partielle",
]
NEEDS = ["dette_sociale_diff3m"]


def _share(condition) -> F.Column:
    """Share of rows where the condition holds, among rows where it is known."""
    return F.avg(condition.cast("double"))


def with_context(df: DataFrame) -> DataFrame:
    """Add the CONTEXT_COLUMNS from naf_section, region, in_perimeter, dette_sociale_diff3m,
    in_proceeding and ap_heures_autorisees."""
    scored = df.where(F.col("in_perimeter"))
    sector = (
        scored.where(F.col("naf_section").isNotNull())
        .groupBy(MONTH, "naf_section")
        .agg(
            _share(F.col("dette_sociale_diff3m") > 0).alias("secteur_part_dette_hausse"),
            _share(F.col("in_proceeding")).alias("secteur_part_procedure"),
            _share(F.col("ap_heures_autorisees") > 0).alias("secteur_part_activite_partielle"),
        )
    )
    region = (
        scored.where(F.col("region").isNotNull())
        .groupBy(MONTH, "region")
        .agg(_share(F.col("dette_sociale_diff3m") > 0).alias("region_part_dette_hausse"))
    )
    return df.join(F.broadcast(sector), [MONTH, "naf_section"], "left").join(
        F.broadcast(region), [MONTH, "region"], "left"
    )
