"""urssaf_delai: payment plans granted by URSSAF (SOURCES.md section 4)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, rule, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "urssaf_delai"
FILE_NAME = "sigfaible_delais.csv"
RAW_COLUMNS = [
    "Urssaf_gestion",
    "Dep",
    "Siret",
    "Numero_compte_externe",
    "Numero_structure",
    "Date_creation",
    "Date_echeance",
    "Duree_delai",
    "Denomination_premiere_ligne",
    "Indic_6M",
    "Annee_creation",
    "Montant_global_echeancier",
    "Code_externe_stade",
    "Code_externe_action",
]
LAYOUT = Layout(
    encoding="utf-8", sep=";", quoting="strict", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 20
STADES = ("DEBUT", "APPROB", "REFUS", "REJ", "FIN")  # project convention
ACTIONS = ("DELAI",)
INDIC_6M = ("INF", "SUP")
SIX_MONTHS_DAYS = 183  # `SUP` when the plan lasts longer

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
RECORD_KEY = ["numero_compte", "numero_contentieux"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "echeance_not_before_creation": "date_echeance >= date_creation",
    "montant_positive": "montant_echeancier > 0",
}


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    montant = v.require(raw("Montant_global_echeancier"), v.decimal(raw("Montant_global_echeancier")))
    df, p = stage(
        df,
        siret=v.require(raw("Siret"), v.siret(raw("Siret"), pseudo=True)),
        compte=v.require(raw("Numero_compte_externe"), v.Parsed(raw("Numero_compte_externe"))),
        contentieux=v.require(raw("Numero_structure"), v.Parsed(raw("Numero_structure"))),
        creation=v.in_range(
            v.require(raw("Date_creation"), v.date(raw("Date_creation"), french=True)),
            context.history_start,
            v.extraction_date(df.batch, EXTRACTION_DAY),
        ),
        echeance=v.require(raw("Date_echeance"), v.date(raw("Date_echeance"), french=True)),
        montant=v.check(montant, montant.value > 0, "negative_not_allowed"),
        duree=v.attribute(v.integer(raw("Duree_delai")), "duree_delai"),
        annee=v.attribute(v.integer(raw("Annee_creation")), "annee_creation"),
    )
    days = F.datediff(p.echeance.value, p.creation.value)
    indic = raw("Indic_6M")
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "numero_compte": p.compte.value,
            "numero_contentieux": p.contentieux.value,
            "date_creation": p.creation.value,
            "date_echeance": p.echeance.value,
            "duree_delai": p.duree.value,
            "montant_echeancier": p.montant.value,
            "stade": raw("Code_externe_stade"),
            "action": raw("Code_externe_action"),
            "indic_6m": indic,
        },
        rules=[
            on("Siret", p.siret),
            on("Numero_compte_externe", p.compte),
            on("Numero_structure", p.contentieux),
            on("Date_creation", p.creation),
            on("Date_echeance", p.echeance),
            rule(
                p.echeance.value < p.creation.value,
                "invalid_interval",
                F.concat_ws(
                    " ",
                    F.lit("Date_echeance"),
                    raw("Date_echeance"),
                    F.lit("before Date_creation"),
                    raw("Date_creation"),
                ),
            ),
            on("Montant_global_echeancier", p.montant),
        ],
        flags=[
            *p.siret.flags,
            *p.duree.flags,
            *p.annee.flags,
            v.flag_if(F.abs(p.duree.value - days) > 1, "inconsistent_duree_delai"),
            v.flag_if(p.annee.value != F.year(p.creation.value), "inconsistent_annee_creation"),
            v.code(indic, INDIC_6M),
            v.flag_if(indic.isin(*INDIC_6M) & ((indic == "SUP") != (days > SIX_MONTHS_DAYS)), "inconsistent_indic_6m"),
            v.code(raw("Code_externe_stade"), STADES),
            v.code(raw("Code_externe_action"), ACTIONS),
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
