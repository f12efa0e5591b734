"""Financial statements (SOURCES.md section 8): ratios of the latest statement filed by month t.

A filing is known at t when it was filed by the end of t (`dte_depot`) and delivered (batch <= t).
For a fiscal year the latest filing wins (ties: fewest empty fields, then the smallest tax office);
at t the firm's statement is the known one with the latest fiscal year end, never the fiscal year
that covers t. Ratios use safe division: a missing input or a zero denominator gives null.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, carry_forward, months_between


def _ratio(numerator, denominator):
    return F.try_divide(numerator.cast("double"), denominator.cast("double"))


def ratios() -> dict:
    """The statement ratios of SOURCES.md section 8, by feature name (the names of RATIOS)."""
    c = F.col
    actif_circulant = c("mnt_af_bfonc_actif_circ_expl") + c("mnt_af_bfonc_actif_circ_h_expl")
    passif_circulant = c("mnt_af_bfonc_passif_circ_expl") + c("mnt_af_bfonc_passif_circ_h_expl")
    charges_personnel = c("d_cr_250_expl_salaire") + c("d_cr_252_expl_ch_soc") + c("d_cr_260_expl_dt_syndic")
    return {
        "dette_nette_sur_caf": _ratio(c("mnt_af_endettement_net"), c("rto_6")),
        "dette_a_terme_sur_k_propres": _ratio(F.lit(1.0), c("rto_af_endettement_a_terme")),
        "ebe_sur_ca": _ratio(c("mnt_af_sig_ebe_ret"), c("mnt_af_ca")),
        "va_sur_effectif": _ratio(c("mnt_af_sig_va_ret"), c("d_dvs_376_nbr_pers")),
        "charges_personnel_sur_va": _ratio(charges_personnel, c("mnt_af_sig_va_ret")),
        "stocks_sur_ca": _ratio(c("d_actf_stk_march_net"), c("mnt_af_ca")),
        "liquidite_absolue": _ratio(actif_circulant, passif_circulant),
        "liquidite_generale": _ratio(c("mnt_af_bfonc_tresorerie"), actif_circulant),
        "liquidite_reduite": c("rto_56").cast("double"),
        "delai_paiement_sur_delai_encaissement": _ratio(c("nbr_af_jours_reglt_fourn"), c("nbr_af_jours_creance_cli")),
        "k_propres_sur_k_social": _ratio(c("d_passf_142_k_propres"), c("d_passf_120_k")),
        "bfr_sur_k_propres": _ratio(c("mnt_af_bfonc_bfr"), c("d_passf_142_k_propres")),
        "taux_investissement": c("rto_invest_ca").cast("double"),
        "rentabilite_economique": c("rto_af_rent_eco").cast("double"),
        "solidite_financiere": c("rto_af_solidite_financiere").cast("double"),
    }


RATIOS = [
    "dette_nette_sur_caf",
    "dette_a_terme_sur_k_propres",
    "ebe_sur_ca",
    "va_sur_effectif",
    "charges_personnel_sur_va",
    "stocks_sur_ca",
    "liquidite_absolue",
    "liquidite_generale",
    "liquidite_reduite",
    "delai_paiement_sur_delai_encaissement",
    "k_propres_sur_k_social",
    "bfr_sur_k_propres",
    "taux_investissement",
    "rentabilite_economique",
    "solidite_financiere",
]


def monthly_statements(liasses: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, the ratios, liasse_age (months since the fiscal year end; null: none known)."""
    fields = [f for f in liasses.columns if f.startswith(("d_", "mnt_", "nbr_", "rto_"))]
    empty_fields = sum(F.col(f).isNull().cast("int") for f in fields)
    tie = Window.partitionBy(KEY, "date_fin_exercice", "dte_depot").orderBy(
        empty_fields, F.col("no_ocfi").asc_nulls_last()
    )
    events = liasses.select(
        KEY,
        F.greatest(batch_month(), F.trunc("dte_depot", "month")).alias(MONTH),
        F.struct(
            "date_fin_exercice",
            "dte_depot",
            (-F.dense_rank().over(tie)).alias("tie"),
            "batch",
            "line_number",
            *[v.alias(k) for k, v in ratios().items()],
        ).alias("value"),
    )
    return carry_forward(events, "value", start=start, end=end).select(
        KEY,
        MONTH,
        *[F.col(f"value.{k}").alias(k) for k in RATIOS],
        months_between(F.col(MONTH), F.col("value.date_fin_exercice")).alias("liasse_age"),
    )
