"""urssaf_delai: payment plans granted by URSSAF (SOURCES.md section 4)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "urssaf_delai"
FILE_NAME = "sigfaible_delais.csv"
RAW_COLUMNS = [
    "Urssaf_gestion", "Dep", "Siret", "Numero_compte_externe", "Numero_structure", "Date_creation",
    "Date_echeance", "Duree_delai", "Denomination_premiere_ligne", "Indic_6M", "Annee_creation",
    "Montant_global_echeancier", "Code_externe_stade", "Code_externe_action",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("numero_compte", StringType(), False),
    StructField("numero_contentieux", StringType(), False),
    StructField("date_creation", DateType(), False),
    StructField("date_echeance", DateType(), False),
    StructField("duree_delai", IntegerType(), True),
    StructField("montant_echeancier", DoubleType(), False),
    StructField("stade", StringType(), True),
    StructField("action", StringType(), True),
    StructField("indic_6m", StringType(), True),
)
