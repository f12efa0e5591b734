"""dgfip_liasses: yearly financial statements, one row per filing (SOURCES.md section 8)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, IntegerType, LongType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import assemble, default_constraints, on, raw, rule, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "dgfip_liasses"
FILE_NAME = "dgfip_liasses.csv"
RAW_COLUMNS = [
    "siren",
    "no_ocfi",
    "annee_exercice",
    "date_deb_exercice",
    "date_fin_exercice",
    "dte_depot",
    "d_actf_stk_march_net",
    "d_actf_stk_mat1e_net",
    "d_cr_250_expl_salaire",
    "d_cr_252_expl_ch_soc",
    "d_cr_260_expl_dt_syndic",
    "d_dvs_376_nbr_pers",
    "d_passf_120_k",
    "d_passf_142_k_propres",
    "rto_invest_ca",
    "rto_af_solidite_financiere",
    "mnt_af_bfonc_actif_circ_expl",
    "mnt_af_bfonc_actif_circ_h_expl",
    "mnt_af_bfonc_bfr",
    "mnt_af_bfonc_passif_circ_expl",
    "mnt_af_bfonc_passif_circ_h_expl",
    "mnt_af_bfonc_tresorerie",
    "mnt_af_ca",
    "mnt_af_endettement_net",
    "mnt_af_sig_ebe_ret",
    "mnt_af_sig_va_ret",
    "nbr_af_jours_creance_cli",
    "nbr_af_jours_reglt_fourn",
    "rto_af_endettement_a_terme",
    "rto_af_rent_eco",
    "rto_6",
    "rto_56",
]
LAYOUT = Layout(
    encoding="utf-8", sep="|", quoting="strict", kinds=(FileKind("main", re.escape(FILE_NAME), tuple(RAW_COLUMNS)),)
)
EXTRACTION_DAY = 15
MAX_FISCAL_YEAR_MONTHS = 24

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("no_ocfi", StringType(), True),
    StructField("annee_exercice", IntegerType(), True),
    StructField("date_deb_exercice", DateType(), False),
    StructField("date_fin_exercice", DateType(), False),
    StructField("dte_depot", DateType(), False),
    StructField("d_actf_stk_march_net", LongType(), True),
    StructField("d_actf_stk_mat1e_net", LongType(), True),
    StructField("d_cr_250_expl_salaire", LongType(), True),
    StructField("d_cr_252_expl_ch_soc", LongType(), True),
    StructField("d_cr_260_expl_dt_syndic", LongType(), True),
    StructField("d_dvs_376_nbr_pers", LongType(), True),
    StructField("d_passf_120_k", LongType(), True),
    StructField("d_passf_142_k_propres", LongType(), True),
    StructField("rto_invest_ca", DoubleType(), True),
    StructField("rto_af_solidite_financiere", DoubleType(), True),
    StructField("mnt_af_bfonc_actif_circ_expl", LongType(), True),
    StructField("mnt_af_bfonc_actif_circ_h_expl", LongType(), True),
    StructField("mnt_af_bfonc_bfr", LongType(), True),
    StructField("mnt_af_bfonc_passif_circ_expl", LongType(), True),
    StructField("mnt_af_bfonc_passif_circ_h_expl", LongType(), True),
    StructField("mnt_af_bfonc_tresorerie", LongType(), True),
    StructField("mnt_af_ca", LongType(), True),
    StructField("mnt_af_endettement_net", LongType(), True),
    StructField("mnt_af_sig_ebe_ret", LongType(), True),
    StructField("mnt_af_sig_va_ret", LongType(), True),
    StructField("nbr_af_jours_creance_cli", DoubleType(), True),
    StructField("nbr_af_jours_reglt_fourn", DoubleType(), True),
    StructField("rto_af_endettement_a_terme", DoubleType(), True),
    StructField("rto_af_rent_eco", DoubleType(), True),
    StructField("rto_6", DoubleType(), True),
    StructField("rto_56", DoubleType(), True),
)

# Every filing is kept: an amended return is a new record with a later dte_depot.
RECORD_KEY = ["siren", "date_deb_exercice", "date_fin_exercice", "no_ocfi", "dte_depot"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {
    "exercice_interval": "date_fin_exercice > date_deb_exercice",
    "depot_not_before_exercice": "dte_depot >= date_deb_exercice",
}
DATES = ("date_deb_exercice", "date_fin_exercice", "dte_depot")
AMOUNTS = [f.name for f in BRONZE_SCHEMA.fields if isinstance(f.dataType, LongType) and f.name != "line_number"]
RATIOS = [f.name for f in BRONZE_SCHEMA.fields if isinstance(f.dataType, DoubleType)]


def months_covered(debut, fin):
    """Length of a fiscal year in months (both days included): 12.0 for a calendar year."""
    return F.months_between(F.date_add(fin, 1), debut)


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    df = with_raw(records, RAW_COLUMNS)
    depot = v.require(raw("dte_depot"), v.date(raw("dte_depot")))
    df, p = stage(
        df,
        siren=v.require(raw("siren"), v.siren(raw("siren"))),
        debut=v.require(raw("date_deb_exercice"), v.date(raw("date_deb_exercice"))),
        fin=v.require(raw("date_fin_exercice"), v.date(raw("date_fin_exercice"))),
        depot=v.in_range(depot, context.history_start, v.extraction_date(df.batch, EXTRACTION_DAY)),
        annee=v.attribute(v.integer(raw("annee_exercice")), "annee_exercice"),
        **{c: v.attribute(v.integer(raw(c), "long"), c) for c in AMOUNTS},
        **{c: v.attribute(v.decimal(raw(c)), c) for c in RATIOS},
    )
    numbers = [getattr(p, c) for c in AMOUNTS + RATIOS]
    length = months_covered(p.debut.value, p.fin.value)
    exercice = F.concat_ws(" ", F.lit("exercice"), raw("date_deb_exercice"), raw("date_fin_exercice"))
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={
            "siren": p.siren.value,
            "no_ocfi": raw("no_ocfi"),
            "annee_exercice": p.annee.value,
            "date_deb_exercice": p.debut.value,
            "date_fin_exercice": p.fin.value,
            "dte_depot": p.depot.value,
            **{c: getattr(p, c).value for c in AMOUNTS + RATIOS},
        },
        rules=[
            on("siren", p.siren),
            on("date_deb_exercice", p.debut),
            on("date_fin_exercice", p.fin),
            on("dte_depot", p.depot),
            rule(p.fin.value <= p.debut.value, "invalid_interval", exercice),
            rule(
                length > MAX_FISCAL_YEAR_MONTHS, "invalid_interval", F.concat(exercice, F.lit(" longer than 24 months"))
            ),
            rule(
                p.depot.value < p.debut.value,
                "invalid_interval",
                F.concat_ws(
                    " ",
                    F.lit("dte_depot"),
                    raw("dte_depot"),
                    F.lit("before date_deb_exercice"),
                    raw("date_deb_exercice"),
                ),
            ),
        ],
        flags=[
            *p.siren.flags,
            *p.annee.flags,
            *(f for n in numbers for f in n.flags),
            v.flag_if(p.depot.value < p.fin.value, "depot_before_year_end"),
            v.flag_if(p.annee.value != F.year(p.fin.value), "inconsistent_annee_exercice"),
            v.flag_if(length != 12, "non_12_month_year"),
        ],
    )


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse)
