"""altares_paydex: supplier payment behaviour: paydex and FPI (SOURCES.md section 9)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "altares_paydex"

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("siret", StringType(), True),
    StructField("etat_organisation", StringType(), True),
    StructField("code_paydex", StringType(), True),
    StructField("paydex", IntegerType(), True),
    StructField("nb_fournisseurs", IntegerType(), True),
    StructField("encours_etudies", DoubleType(), True),
    StructField("encours_echus", DoubleType(), True),
    StructField("fpi_30", DoubleType(), True),
    StructField("fpi_90", DoubleType(), True),
    StructField("date_valeur", DateType(), False),
    StructField("file_kind", StringType(), False),
)
