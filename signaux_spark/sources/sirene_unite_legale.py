"""sirene_unite_legale: INSEE registry of legal units (SOURCES.md section 10)."""

from __future__ import annotations

from pyspark.sql.types import BooleanType, DateType, StringType, StructField, TimestampType

from signaux_spark.sources.common import bronze_schema

SOURCE = "sirene_unite_legale"
FILE_NAME = "StockUniteLegale_utf8.csv"
RAW_COLUMNS = [
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale",
    "prenom1UniteLegale", "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale", "categorieEntreprise", "dateDebut",
    "etatAdministratifUniteLegale", "nomUniteLegale", "denominationUniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale", "nicSiegeUniteLegale",
    "caractereEmployeurUniteLegale",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("statut_diffusion", StringType(), True),
    StructField("unite_purgee", BooleanType(), True),
    StructField("date_creation", DateType(), True),
    StructField("tranche_effectif", StringType(), True),
    StructField("date_dernier_traitement", TimestampType(), True),
    StructField("categorie_entreprise", StringType(), True),
    StructField("date_debut_etat", DateType(), True),
    StructField("est_active", BooleanType(), True),
    StructField("nom", StringType(), True),
    StructField("prenom", StringType(), True),
    StructField("denomination", StringType(), True),
    StructField("categorie_juridique", StringType(), True),
    StructField("naf", StringType(), True),
    StructField("naf_section", StringType(), True),
    StructField("nic_siege", StringType(), True),
    StructField("siret_siege", StringType(), True),
)
