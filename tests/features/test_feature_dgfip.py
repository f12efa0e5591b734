"""Financial statements: known from the filing date and batch, latest filing per fiscal year,
latest fiscal year wins, every ratio by hand, null (not an error) on a zero denominator."""

import pytest

from signaux_spark.features.dgfip import RATIOS, monthly_statements
from tests.features.features_kit import bronze, d

A = "812345676"
# The first example line of SOURCES.md section 8.
FIELDS = dict(
    d_actf_stk_march_net=18500,
    d_actf_stk_mat1e_net=42300,
    d_cr_250_expl_salaire=512000,
    d_cr_252_expl_ch_soc=201000,
    d_cr_260_expl_dt_syndic=0,
    d_dvs_376_nbr_pers=14,
    d_passf_120_k=50000,
    d_passf_142_k_propres=238400,
    rto_invest_ca=3.1,
    rto_af_solidite_financiere=27.4,
    mnt_af_bfonc_actif_circ_expl=310200,
    mnt_af_bfonc_actif_circ_h_expl=12500,
    mnt_af_bfonc_bfr=111700,
    mnt_af_bfonc_passif_circ_expl=185400,
    mnt_af_bfonc_passif_circ_h_expl=25600,
    mnt_af_bfonc_tresorerie=64300,
    mnt_af_ca=1684000,
    mnt_af_endettement_net=66900,
    mnt_af_sig_ebe_ret=121500,
    mnt_af_sig_va_ret=860000,
    nbr_af_jours_creance_cli=52.0,
    nbr_af_jours_reglt_fourn=61.0,
    rto_af_endettement_a_terme=1.82,
    rto_af_rent_eco=6.9,
    rto_6=98400.0,
    rto_56=1.24,
)


def filing(year, filed, batch, ocfi="7401000", **changes):
    return dict(
        siren=A,
        no_ocfi=ocfi,
        annee_exercice=year,
        date_deb_exercice=f"{year}-01-01",
        date_fin_exercice=f"{year}-12-31",
        dte_depot=filed,
        batch=batch,
        **{**FIELDS, **changes},
    )


@pytest.fixture(scope="module")
def statements(spark):
    rows = [
        filing(2022, "2023-05-10", "2023-07"),
        filing(2023, "2024-05-03", "2024-07"),
        # An amended 2023 return filed in September (delivered in October), turnover now zero.
        filing(2023, "2024-09-20", "2024-10", mnt_af_ca=0),
        # Delivered in October but filed on 2 November: known from November only.
        filing(2021, "2024-11-02", "2024-10"),
    ]
    out = monthly_statements(bronze(spark, "dgfip_liasses", rows), start=d("2023-06"), end=d("2024-11"))
    return {r["periode"]: r for r in out.collect()}


def test_every_ratio_of_the_example_by_hand(statements):
    row = statements[d("2024-07")]
    expected = {
        "dette_nette_sur_caf": 66900 / 98400,
        "dette_a_terme_sur_k_propres": 1 / 1.82,
        "ebe_sur_ca": 121500 / 1684000,
        "va_sur_effectif": 860000 / 14,
        "charges_personnel_sur_va": (512000 + 201000 + 0) / 860000,
        "stocks_sur_ca": 18500 / 1684000,
        "liquidite_absolue": (310200 + 12500) / (185400 + 25600),
        "liquidite_generale": 64300 / (310200 + 12500),
        "liquidite_reduite": 1.24,
        "delai_paiement_sur_delai_encaissement": 61 / 52,
        "k_propres_sur_k_social": 238400 / 50000,
        "bfr_sur_k_propres": 111700 / 238400,
        "taux_investissement": 3.1,
        "rentabilite_economique": 6.9,
        "solidite_financiere": 27.4,
    }
    assert set(expected) == set(RATIOS)
    assert {k: row[k] for k in RATIOS} == pytest.approx(expected)
    assert row["liasse_age"] == 7  # 2024-07 - 2023-12


def test_known_from_filing_date_and_batch(statements):
    assert d("2023-06") not in statements  # 2022 filed in May, delivered in July
    assert statements[d("2023-07")]["liasse_age"] == 7  # the 2022 statement
    assert statements[d("2024-06")]["liasse_age"] == 18  # still 2022: 2023 delivered in July
    # The amended 2023 return wins from October; its zero turnover gives null ratios, no error.
    assert statements[d("2024-09")]["ebe_sur_ca"] == pytest.approx(121500 / 1684000)
    assert statements[d("2024-10")]["ebe_sur_ca"] is None and statements[d("2024-10")]["stocks_sur_ca"] is None
    # The 2021 return filed late never replaces the latest fiscal year.
    assert statements[d("2024-11")]["liasse_age"] == 11


def test_missing_input_gives_null(spark):
    rows = [filing(2023, "2024-05-03", "2024-07", rto_6=None, d_cr_260_expl_dt_syndic=None, d_passf_120_k=0)]
    row = monthly_statements(bronze(spark, "dgfip_liasses", rows), start=d("2024-07"), end=d("2024-07")).first()
    assert row["dette_nette_sur_caf"] is None and row["charges_personnel_sur_va"] is None
    assert row["k_propres_sur_k_social"] is None and row["ebe_sur_ca"] == pytest.approx(121500 / 1684000)
