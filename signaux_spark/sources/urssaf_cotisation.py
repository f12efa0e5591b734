"""urssaf_cotisation: social contributions due (SOURCES.md section 1)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "urssaf_cotisation"
FILE_NAME = "sigfaible_cotisdues.csv"
RAW_COLUMNS = [
    "Urssaf_gestion", "Dep", "Siret", "Compte", "periode", "mer", "enc_direct", "cotis_due",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("compte", StringType(), False),
    StructField("periode_debut", DateType(), False),
    StructField("periode_fin", DateType(), False),
    StructField("n_mois", IntegerType(), False),
    StructField("mer", DoubleType(), True),
    StructField("encaisse", DoubleType(), True),
    StructField("cotisation_due", DoubleType(), False),
)
