"""sirene_etablissement: INSEE registry of establishments (SOURCES.md section 11)."""

from __future__ import annotations

from pyspark.sql.types import BooleanType, DateType, StringType, StructField, TimestampType

from signaux_spark.sources.common import bronze_schema

SOURCE = "sirene_etablissement"
FILE_NAME = "StockEtablissement_utf8.csv"
RAW_COLUMNS = [
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement",
    "dateDernierTraitementEtablissement", "etablissementSiege", "codePostalEtablissement",
    "libelleCommuneEtablissement", "codeCommuneEtablissement", "codePaysEtrangerEtablissement",
    "dateDebut", "etatAdministratifEtablissement", "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("nic", StringType(), False),
    StructField("date_creation", DateType(), True),
    StructField("date_dernier_traitement", TimestampType(), True),
    StructField("est_siege", BooleanType(), True),
    StructField("code_postal", StringType(), True),
    StructField("commune", StringType(), True),
    StructField("code_commune", StringType(), True),
    StructField("code_pays_etranger", StringType(), True),
    StructField("departement", StringType(), True),
    StructField("region", StringType(), True),
    StructField("date_debut_etat", DateType(), True),
    StructField("est_actif", BooleanType(), True),
    StructField("naf", StringType(), True),
    StructField("caractere_employeur", StringType(), True),
)
