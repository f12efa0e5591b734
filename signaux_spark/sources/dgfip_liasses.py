"""dgfip_liasses: yearly financial statements, one row per filing (SOURCES.md section 8)."""

from __future__ import annotations

from pyspark.sql.types import DateType, DoubleType, IntegerType, LongType, StringType, StructField

from signaux_spark.sources.common import bronze_schema

SOURCE = "dgfip_liasses"
FILE_NAME = "dgfip_liasses.csv"
RAW_COLUMNS = [
    "siren", "no_ocfi", "annee_exercice", "date_deb_exercice", "date_fin_exercice", "dte_depot",
    "d_actf_stk_march_net", "d_actf_stk_mat1e_net", "d_cr_250_expl_salaire", "d_cr_252_expl_ch_soc",
    "d_cr_260_expl_dt_syndic", "d_dvs_376_nbr_pers", "d_passf_120_k", "d_passf_142_k_propres",
    "rto_invest_ca", "rto_af_solidite_financiere", "mnt_af_bfonc_actif_circ_expl",
    "mnt_af_bfonc_actif_circ_h_expl", "mnt_af_bfonc_bfr", "mnt_af_bfonc_passif_circ_expl",
    "mnt_af_bfonc_passif_circ_h_expl", "mnt_af_bfonc_tresorerie", "mnt_af_ca",
    "mnt_af_endettement_net", "mnt_af_sig_ebe_ret", "mnt_af_sig_va_ret", "nbr_af_jours_creance_cli",
    "nbr_af_jours_reglt_fourn", "rto_af_endettement_a_terme", "rto_af_rent_eco", "rto_6", "rto_56",
]

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
