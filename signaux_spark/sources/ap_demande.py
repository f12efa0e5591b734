"""ap_demande: short-time work requests (SOURCES.md section 6)."""

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

SOURCE = "ap_demande"
FILE_NAME = "demande_ap.csv"
RAW_COLUMNS = [
    "ID_DA",
    "ETAB_SIRET",
    "EFF_ENT",
    "EFF_ETAB",
    "DATE_STATUT",
    "DATE_DEB",
    "DATE_FIN",
    "HTA",
    "MTA",
    "EFF_AUTO",
    "MOTIF_RECOURS_SE",
    "PERIMETRE_AP",
    "S_HEURE_CONSOM_TOT",
    "S_EFF_CONSOM_TOT",
    "S_MONTANT_CONSOM_TOT",
    "RECOURS_ANTERIEUR",
]
LAYOUT = Layout(
    encoding="utf-8", sep=",", quoting="rfc4180", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 5
MOTIFS = (1, 2, 3, 4, 5, 6, 7)
PERIMETRES = (1, 2, 3, 4)
RECOURS_ANTERIEUR = (1, 2, 3)

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
# Latest DATE_STATUT wins (null loses), then latest batch, then last line.
RECORD_KEY = ["id_demande"]
VERSION_ORDER = ["date_statut"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "fin_not_before_debut": "date_fin >= date_debut",
    "heures_not_negative": "heures_autorisees >= 0",
}


def count(name: str, column: str) -> v.Parsed:
    """A headcount attribute (float form and thousands separators accepted)."""
    return v.attribute(v.headcount(raw(name), problem="invalid_number"), column)


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    heures = v.decimal(raw("HTA"))
    df, p = stage(
        df,
        request=v.require(raw("ID_DA"), v.Parsed(raw("ID_DA"))),
        siret=v.require(raw("ETAB_SIRET"), v.siret(raw("ETAB_SIRET"))),
        statut=v.in_range(
            v.attribute(v.date(raw("DATE_STATUT"), french_short=True), "date_statut"),
            context.history_start,
            v.extraction_date(df.batch, EXTRACTION_DAY),
        ),
        debut=v.require(raw("DATE_DEB"), v.date(raw("DATE_DEB"), french_short=True)),
        fin=v.require(raw("DATE_FIN"), v.date(raw("DATE_FIN"), french_short=True)),
        heures=v.check(heures, ~(heures.value < 0), "negative_not_allowed"),
        montant=v.attribute(v.decimal(raw("MTA")), "montant_autorise"),
        motif=v.attribute(v.integer(raw("MOTIF_RECOURS_SE")), "motif_recours"),
        perimetre=v.attribute(v.integer(raw("PERIMETRE_AP")), "perimetre"),
        anterieur=v.attribute(v.integer(raw("RECOURS_ANTERIEUR")), "recours_anterieur"),
        entreprise=count("EFF_ENT", "effectif_entreprise"),
        etablissement=count("EFF_ETAB", "effectif_etablissement"),
        autorise=count("EFF_AUTO", "effectif_autorise"),
    )
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "id_demande": p.request.value,
            "siret": p.siret.value,
            "siren": v.siren_of(p.siret.value),
            "effectif_entreprise": p.entreprise.value,
            "effectif_etablissement": p.etablissement.value,
            "date_statut": p.statut.value,
            "date_debut": p.debut.value,
            "date_fin": p.fin.value,
            "heures_autorisees": F.coalesce(p.heures.value, F.lit(0.0)),
            "montant_autorise": p.montant.value,
            "effectif_autorise": p.autorise.value,
            "motif_recours": F.when(p.motif.value.isin(*MOTIFS), p.motif.value),
            "perimetre": p.perimetre.value,
            "recours_anterieur": p.anterieur.value,
        },
        rules=[
            on("ID_DA", p.request),
            on("ETAB_SIRET", p.siret),
            on("DATE_STATUT", p.statut),
            on("DATE_DEB", p.debut),
            on("DATE_FIN", p.fin),
            rule(
                p.fin.value < p.debut.value,
                "invalid_interval",
                F.concat_ws(" ", F.lit("DATE_FIN"), raw("DATE_FIN"), F.lit("before DATE_DEB"), raw("DATE_DEB")),
            ),
            on("HTA", p.heures),
        ],
        flags=[
            *p.siret.flags,
            *p.statut.flags,
            *p.montant.flags,
            *p.motif.flags,
            *p.perimetre.flags,
            *p.anterieur.flags,
            *p.entreprise.flags,
            *p.etablissement.flags,
            *p.autorise.flags,
            v.flag_if(raw("HTA").isNull(), "missing_hta"),
            v.code(p.motif.value, MOTIFS),
            v.code(p.perimetre.value, PERIMETRES),
            v.code(p.anterieur.value, RECOURS_ANTERIEUR),
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
