"""urssaf_debit: social-contribution debts and their history steps (SOURCES.md section 2)."""

from __future__ import annotations

import re
from dataclasses import replace

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "urssaf_debit"
FILE_NAME = "sigfaible_debits.csv"
RAW_COLUMNS = [
    "Urssaf_gestion",
    "Dep",
    "num_cpte",
    "Siren",
    "Siret",
    "Dt_immat",
    "Etat_cpte",
    "Cd_pro_col",
    "Periode",
    "Num_Ecn",
    "Num_Hist_Ecn",
    "Dt_trt_ecn",
    "Mt_PO",
    "Mt_PP",
    "Cd_op_ecn",
    "Motif_ecn",
    "Recours_en_cours",
]
LAYOUT = Layout(
    encoding="utf-8", sep=";", quoting="strict", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 20
# Steps processed after this day of the month count for the next month.
EFFECTIVE_MONTH_LAST_DAY = 20

ETAT_COMPTE = (1, 2, 3)
PROCEDURE_COLLECTIVE = (0, 1, 2, 9)
OPERATIONS = (1, 2, 3, 4, 5, 11, 12, 13, 14, 15)
MOTIFS = tuple(range(28))

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
# One history step of one debt; the debt itself is (numero_compte, periode_debut, numero_ecart_negatif).
RECORD_KEY = ["numero_compte", "periode_debut", "numero_ecart_negatif", "numero_historique"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "numero_historique_positive": "numero_historique >= 1",
    "periode_fin_after_debut": "periode_fin > periode_debut",
    "prise_en_compte_day_20_rule": (
        f"periode_prise_en_compte = CASE WHEN dayofmonth(date_traitement) <= {EFFECTIVE_MONTH_LAST_DAY} "
        "THEN trunc(date_traitement, 'MM') "
        "ELSE add_months(trunc(date_traitement, 'MM'), 1) END"
    ),
}


def effective_month(date_traitement):
    """The month a step counts for: its own month up to the 20th, the next month after."""
    start = F.trunc(date_traitement, "MM")
    return F.when(F.dayofmonth(date_traitement) <= EFFECTIVE_MONTH_LAST_DAY, start).otherwise(F.add_months(start, 1))


def code(name: str, column: str, known: tuple[int, ...], blank: int | None = None) -> v.Parsed:
    """A numeric code: unreadable -> null + `bad_<column>`, outside its table -> kept + `unknown_code`."""
    text = raw(name) if blank is None else F.coalesce(raw(name), F.lit(str(blank)))
    parsed = v.attribute(v.integer(text), column)
    return replace(parsed, flags=parsed.flags + (v.code(parsed.value, known),))


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    periode, periode_fin, _ = v.urssaf_period(raw("Periode"))
    historique = v.require(raw("Num_Hist_Ecn"), v.integer(raw("Num_Hist_Ecn")))
    df, p = stage(
        df,
        siret=v.require(raw("Siret"), v.siret(raw("Siret"), pseudo=True)),
        siren=v.siren(raw("Siren")),
        compte=v.require(raw("num_cpte"), v.Parsed(raw("num_cpte"))),
        periode=v.require(raw("Periode"), periode),
        periode_fin=v.Parsed(periode_fin),
        ecart=v.require(raw("Num_Ecn"), v.integer(raw("Num_Ecn"))),
        historique=v.check(historique, historique.value >= 1, "invalid_number"),
        traitement=v.in_range(
            v.require(raw("Dt_trt_ecn"), v.urssaf_date(raw("Dt_trt_ecn"))),
            context.history_start,
            v.extraction_date(df.batch, EXTRACTION_DAY),
        ),
        ouvriere=v.require(raw("Mt_PO"), v.centimes(raw("Mt_PO"))),
        patronale=v.require(raw("Mt_PP"), v.centimes(raw("Mt_PP"))),
        immatriculation=v.attribute(v.compact_date(raw("Dt_immat")), "dt_immat"),
        recours=v.attribute(v.boolean(raw("Recours_en_cours")), "recours"),
        etat=code("Etat_cpte", "etat_compte", ETAT_COMPTE),
        procol=code("Cd_pro_col", "code_procedure_collective", PROCEDURE_COLLECTIVE, blank=0),
        operation=code("Cd_op_ecn", "code_operation", OPERATIONS),
        motif=code("Motif_ecn", "code_motif", MOTIFS),
    )
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "numero_compte": p.compte.value,
            "periode_debut": p.periode.value,
            "periode_fin": p.periode_fin.value,
            "numero_ecart_negatif": p.ecart.value,
            "numero_historique": p.historique.value,
            "date_traitement": p.traitement.value,
            "periode_prise_en_compte": effective_month(p.traitement.value),
            "dette_ouvriere": p.ouvriere.value,
            "dette_patronale": p.patronale.value,
            "etat_compte": p.etat.value,
            "code_procedure_collective": p.procol.value,
            "code_operation": p.operation.value,
            "code_motif": p.motif.value,
            "recours": p.recours.value,
        },
        rules=[
            on("Siret", p.siret),
            on("Siren", p.siren),
            on("num_cpte", p.compte),
            on("Periode", p.periode),
            on("Num_Ecn", p.ecart),
            on("Num_Hist_Ecn", p.historique),
            on("Dt_trt_ecn", p.traitement),
            on("Mt_PO", p.ouvriere),
            on("Mt_PP", p.patronale),
        ],
        flags=[
            *p.siret.flags,
            v.siren_mismatch(p.siren.value, p.siret.value),
            v.flag_if((p.ouvriere.value < 0) | (p.patronale.value < 0), "negative_balance"),
            *p.immatriculation.flags,
            *p.recours.flags,
            *p.etat.flags,
            *p.procol.flags,
            *p.operation.flags,
            *p.motif.flags,
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
