"""ap_demande: short-time work requests (SOURCES.md section 6)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "ap_demande"
FILE_NAME = "demande_ap.csv"
RAW_COLUMNS = [
    "ID_DA", "ETAB_SIRET", "EFF_ENT", "EFF_ETAB", "DATE_STATUT", "DATE_DEB", "DATE_FIN", "HTA",
    "MTA", "EFF_AUTO", "MOTIF_RECOURS_SE", "PERIMETRE_AP", "S_HEURE_CONSOM_TOT", "S_EFF_CONSOM_TOT",
    "S_MONTANT_CONSOM_TOT", "RECOURS_ANTERIEUR",
]

BRONZE_SCHEMA = bronze_schema(
    StructField("id_demande", StringType(), False),
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("effectif_entreprise", IntegerType(), True),
    StructField("effectif_etablissement", IntegerType(), True),
    StructField("date_statut", DateType(), True),
    StructField("date_debut", DateType(), False),
    StructField("date_fin", DateType(), False),
    StructField("heures_autorisees", DoubleType(), False),
    StructField("montant_autorise", DoubleType(), True),
    StructField("effectif_autorise", IntegerType(), True),
    StructField("motif_recours", IntegerType(), True),
    StructField("perimetre", IntegerType(), True),
    StructField("recours_anterieur", IntegerType(), True),
)
