"""urssaf_procol: collective-proceeding events, the source of the label (SOURCES.md section 5)."""

from __future__ import annotations

from pyspark.sql.types import DateType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "urssaf_procol"
FILE_NAME = "sigfaible_pcoll.csv"
RAW_COLUMNS = [
    "Siret", "Siren", "Dt_effet", "Cat_v2", "Lib_actx_stdx",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("date_effet", DateType(), False),
    StructField("action_procol", StringType(), False),
    StructField("stade_procol", StringType(), False),
    StructField("cat_v2", StringType(), True),
)
