"""urssaf_debit: social-contribution debts and their history steps (SOURCES.md section 2)."""

from __future__ import annotations

from pyspark.sql.types import BooleanType, DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "urssaf_debit"
FILE_NAME = "sigfaible_debits.csv"
RAW_COLUMNS = [
    "Urssaf_gestion", "Dep", "num_cpte", "Siren", "Siret", "Dt_immat", "Etat_cpte", "Cd_pro_col",
    "Periode", "Num_Ecn", "Num_Hist_Ecn", "Dt_trt_ecn", "Mt_PO", "Mt_PP", "Cd_op_ecn", "Motif_ecn",
    "Recours_en_cours",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("numero_compte", StringType(), False),
    StructField("periode_debut", DateType(), False),
    StructField("periode_fin", DateType(), False),
    StructField("numero_ecart_negatif", IntegerType(), False),
    StructField("numero_historique", IntegerType(), False),
    StructField("date_traitement", DateType(), False),
    StructField("periode_prise_en_compte", DateType(), False),
    StructField("dette_ouvriere", DoubleType(), False),
    StructField("dette_patronale", DoubleType(), False),
    StructField("etat_compte", IntegerType(), True),
    StructField("code_procedure_collective", IntegerType(), True),
    StructField("code_operation", IntegerType(), True),
    StructField("code_motif", IntegerType(), True),
    StructField("recours", BooleanType(), True),
)
