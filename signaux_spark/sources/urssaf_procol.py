"""urssaf_procol: collective-proceeding events, the source of the label (SOURCES.md section 5)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, rule, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "urssaf_procol"
FILE_NAME = "sigfaible_pcoll.csv"
RAW_COLUMNS = [
    "Siret",
    "Siren",
    "Dt_effet",
    "Cat_v2",
    "Lib_actx_stdx",
]
LAYOUT = Layout(
    encoding="utf-8", sep=";", quoting="strict", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 20
ACTIONS = ("liquidation", "redressement", "sauvegarde")
STAGES = (
    "ouverture",
    "plan_continuation",
    "conversion",
    "fin_procedure",
    "inclusion_autre_procedure",
    "abandon_procedure",
    "cloture_insuffisance_actif",
    "solde_procedure",
)

BRONZE_SCHEMA = bronze_schema(
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("date_effet", DateType(), False),
    StructField("action_procol", StringType(), False),
    StructField("stade_procol", StringType(), False),
    StructField("cat_v2", StringType(), True),
)
RECORD_KEY = ["siret", "date_effet", "action_procol", "stade_procol"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "action_procol_known": "action_procol IN ('liquidation', 'redressement', 'sauvegarde')",
}


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    """`context.procol_history_start` is the proceedings' own (2006-01-01 by default)."""
    tokens = F.filter(F.split(F.lower(raw("Lib_actx_stdx")), "_"), lambda t: t != "")
    df = (
        with_raw(records, RAW_COLUMNS)
        .withColumn("tokens", tokens)
        .withColumns(
            {
                "actions": F.filter("tokens", lambda t: t.isin(*ACTIONS)),
                "stage": F.array_join(F.filter("tokens", lambda t: ~t.isin(*ACTIONS)), "_"),
            }
        )
    )
    df, p = stage(
        df,
        siret=v.require(raw("Siret"), v.siret(raw("Siret"), pseudo=True)),
        siren=v.siren(raw("Siren")),
        effet=v.in_range(
            v.require(raw("Dt_effet"), v.procol_date(raw("Dt_effet"))),
            context.procol_history_start,
            v.extraction_date(df.batch, EXTRACTION_DAY),
        ),
        libelle=v.require(raw("Lib_actx_stdx"), v.Parsed(raw("Lib_actx_stdx"))),
    )
    actions, stade = F.col("actions"), F.col("stage")
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "date_effet": p.effet.value,
            "action_procol": F.get(actions, 0),
            "stade_procol": stade,
            "cat_v2": raw("Cat_v2"),
        },
        rules=[
            on("Siret", p.siret),
            on("Siren", p.siren),
            on("Dt_effet", p.effet),
            on("Lib_actx_stdx", p.libelle),
            rule(
                F.size(actions) == 0, "unknown_procol_action", F.concat(F.lit("Lib_actx_stdx="), raw("Lib_actx_stdx"))
            ),
            rule(
                F.size(actions) > 1, "ambiguous_procol_action", F.concat(F.lit("Lib_actx_stdx="), raw("Lib_actx_stdx"))
            ),
        ],
        flags=[*p.siret.flags, v.siren_mismatch(p.siren.value, p.siret.value), v.code(stade, STAGES)],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
