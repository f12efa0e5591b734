"""urssaf_effectif_ent: firm headcount, wide file unpivoted to siren x month (SOURCES.md section 3)."""

from __future__ import annotations

from pyspark.sql.types import DateType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "urssaf_effectif_ent"
FILE_NAME = "sigfaible_effectif_siren.csv"

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("periode", DateType(), False),
    StructField("effectif", IntegerType(), False),
    StructField("rais_soc", StringType(), True),
)
