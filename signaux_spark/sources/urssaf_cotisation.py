"""urssaf_cotisation: social contributions due (SOURCES.md section 1)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "urssaf_cotisation"
FILE_NAME = "sigfaible_cotisdues.csv"
RAW_COLUMNS = [
    "Urssaf_gestion",
    "Dep",
    "Siret",
    "Compte",
    "periode",
    "mer",
    "enc_direct",
    "cotis_due",
]
LAYOUT = Layout(
    encoding="utf-8",
    sep=";",
    quoting="lazy",
    kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),),
    ignored_columns=frozenset({"periode_debit", "ecn"}),
)  # older layouts
EXTRACTION_DAY = 20

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
# Rows are additive: the record is the whole line; the same line in a later batch is the same record.
RECORD_KEY = ["siret", "compte", "periode_debut", "periode_fin", "mer", "encaisse", "cotisation_due"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "n_mois_1_3_12": "n_mois IN (1, 3, 12)",
    "periode_fin_after_debut": "periode_fin = add_months(periode_debut, n_mois)",
}


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    periode, periode_fin, n_mois = v.urssaf_period(raw("periode"))
    df, p = stage(
        df,
        siret=v.require(raw("Siret"), v.siret(raw("Siret"), pseudo=True)),
        compte=v.require(raw("Compte"), v.Parsed(raw("Compte"))),
        periode=v.in_range(v.require(raw("periode"), periode), context.history_start, v.batch_month(df.batch)),
        periode_fin=v.Parsed(periode_fin),
        n_mois=v.Parsed(n_mois),
        due=v.require(raw("cotis_due"), v.decimal(raw("cotis_due"))),
        mer=v.attribute(v.decimal(raw("mer")), "mer"),
        encaisse=v.attribute(v.decimal(raw("enc_direct")), "encaisse"),
    )
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "compte": p.compte.value,
            "periode_debut": p.periode.value,
            "periode_fin": p.periode_fin.value,
            "n_mois": p.n_mois.value,
            "mer": p.mer.value,
            "encaisse": p.encaisse.value,
            "cotisation_due": p.due.value,
        },
        rules=[on("Siret", p.siret), on("Compte", p.compte), on("periode", p.periode), on("cotis_due", p.due)],
        flags=[*p.siret.flags, *p.mer.flags, *p.encaisse.flags],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
