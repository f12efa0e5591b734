"""ap_consommation: short-time work hours consumed (SOURCES.md section 7)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, IntegerType, StringType, StructField

from signaux_spark import tables
from signaux_spark.progress import step
from signaux_spark.sources import ap_demande
from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "ap_consommation"
FILE_NAME = "consommation_ap.csv"
RAW_COLUMNS = [
    "ID_DA",
    "ETAB_SIRET",
    "HEURES",
    "MONTANTS",
    "EFFECTIFS",
    "MOIS",
]
LAYOUT = Layout(
    encoding="utf-8", sep=",", quoting="rfc4180", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 5
ORPHAN_FLAG = "orphan_request"

BRONZE_SCHEMA = bronze_schema(
    StructField("id_demande", StringType(), True),
    StructField("siret", StringType(), False),
    StructField("siren", StringType(), False),
    StructField("periode", DateType(), False),
    StructField("heures_consommees", DoubleType(), False),
    StructField("montant", DoubleType(), True),
    StructField("effectif", IntegerType(), True),
)
RECORD_KEY = ["id_demande", "siret", "periode"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {"heures_not_negative": "heures_consommees >= 0"}


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    """A consumption whose request is not in bronze/ap_demande gets the `orphan_request` flag."""
    known = F.broadcast(known_requests(context).select(F.col("id_demande").alias("known_request")).distinct())
    df = with_raw(records, RAW_COLUMNS)
    df = df.join(known, raw("ID_DA") == F.col("known_request"), "left")
    heures = v.require(raw("HEURES"), v.decimal(raw("HEURES")))
    df, p = stage(
        df,
        siret=v.require(raw("ETAB_SIRET"), v.siret(raw("ETAB_SIRET"))),
        mois=v.in_range(
            v.require(raw("MOIS"), v.month(raw("MOIS"), month_year=True)),
            context.history_start,
            v.batch_month(df.batch),
        ),
        heures=v.check(heures, heures.value >= 0, "negative_not_allowed"),
        montant=v.attribute(v.decimal(raw("MONTANTS")), "montant"),
        effectif=v.attribute(v.headcount(raw("EFFECTIFS"), problem="invalid_number"), "effectif"),
    )
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "id_demande": raw("ID_DA"),
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "periode": p.mois.value,
            "heures_consommees": p.heures.value,
            "montant": p.montant.value,
            "effectif": p.effectif.value,
        },
        rules=[on("ETAB_SIRET", p.siret), on("MOIS", p.mois), on("HEURES", p.heures)],
        flags=[
            *p.siret.flags,
            *p.mois.flags,
            *p.montant.flags,
            *p.effectif.flags,
            v.flag_if(F.col("known_request").isNull(), ORPHAN_FLAG),
        ],
    )


def known_requests(context: ParseContext) -> DataFrame:
    """The request ids in bronze (column `id_demande`); none before the first load of ap_demande."""
    if context.lake.exists(context.spark, tables.bronze(ap_demande.SOURCE)):
        return context.lake.read(context.spark, tables.bronze(ap_demande.SOURCE)).select("id_demande")
    return context.spark.createDataFrame([], "id_demande string")


def refresh_orphan_flags(context: ParseContext, loaded: set[str], run_id: str) -> None:
    """Keep `orphan_request` true to the requests known in bronze once either AP source loaded:
    rewrite the consumption batches whose flag changed (requests delivered later, or reloaded out
    of order)."""
    lake, spark, table = context.lake, context.spark, tables.bronze(SOURCE)
    if not loaded & {SOURCE, ap_demande.SOURCE} or not lake.exists(spark, table):
        return
    known = F.broadcast(known_requests(context).select(F.col("id_demande").alias("known_request")).distinct())
    conso = lake.read(spark, table)
    checked = conso.join(known, F.col("id_demande") == F.col("known_request"), "left").withColumn(
        "orphan", F.col("known_request").isNull()
    )
    stale = sorted(
        r.batch
        for r in checked.filter(F.array_contains("quality_flags", ORPHAN_FLAG) != F.col("orphan"))
        .select("batch")
        .distinct()
        .collect()
    )
    if not stale:
        return
    with step(spark, f"ingest {SOURCE}: refresh {ORPHAN_FLAG} in {len(stale)} batch(es)"):
        without = F.array_remove("quality_flags", ORPHAN_FLAG)
        fixed = (
            checked.filter(F.col("batch").isin(stale))
            .withColumn(
                "quality_flags",
                F.when(F.col("orphan"), F.concat(without, F.array(F.lit(ORPHAN_FLAG)))).otherwise(without),
            )
            .select(*conso.columns)
        )
        lake.write(
            fixed,
            table,
            replace_where="batch IN (" + ", ".join(f"'{b}'" for b in stale) + ")",
            metadata={"run_id": run_id, "source": SOURCE, "batches": stale, "operation": f"refresh {ORPHAN_FLAG}"},
        )


SPEC = Source(
    SOURCE,
    FILE_NAME,
    LAYOUT,
    BRONZE_SCHEMA,
    RECORD_KEY,
    CONSTRAINTS,
    parse,
    reads=(ap_demande.SOURCE,),
    after_load=refresh_orphan_flags,
)
