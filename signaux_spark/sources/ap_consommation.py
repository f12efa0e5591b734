"""ap_consommation: short-time work hours consumed (SOURCES.md section 7)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "ap_consommation"
FILE_NAME = "consommation_ap.csv"
RAW_COLUMNS = [
    "ID_DA", "ETAB_SIRET", "HEURES", "MONTANTS", "EFFECTIFS", "MOIS",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("id_demande", StringType(), True),
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("periode", DateType(), False),
    StructField("heures_consommees", DoubleType(), False),
    StructField("montant", DoubleType(), True),
    StructField("effectif", IntegerType(), True),
)
