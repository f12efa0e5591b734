"""Contributions due: pro rata spreading, known from the batch, regularisations, missing months."""

import pytest
from chispa import assert_df_equality

from signaux_spark.features.cotisation import monthly_cotisation
from tests.features.features_kit import bronze, d

A, B = "812345676", "042112359"


def line(siren, start, end, n, due, batch):
    return dict(
        siret=siren + "00017",
        siren=siren,
        compte="827000000004512361",
        periode_debut=start,
        periode_fin=end,
        n_mois=n,
        cotisation_due=due,
        batch=batch,
    )


@pytest.fixture(scope="module")
def result(spark):
    rows = [
        # A monthly payer: January and February 2024, February redelivered in April (one line).
        line(A, "2024-01", "2024-02", 1, 15230.40, "2024-02"),
        line(A, "2024-02", "2024-03", 1, 15230.40, "2024-03"),
        line(A, "2024-02", "2024-03", 1, 15230.40, "2024-04"),
        # A quarterly payer (Q2 2024, delivered in July) and a negative yearly regularisation of 2024
        # arriving in August: it changes the months of 2024 only from August.
        line(B, "2024-04", "2024-07", 3, 300.00, "2024-07"),
        line(B, "2024-01", "2025-01", 12, -1200.00, "2024-08"),
    ]
    out = monthly_cotisation(bronze(spark, "urssaf_cotisation", rows), start=d("2024-01"), end=d("2024-09"))
    return out.where("periode <= '2024-09-01'")


def test_spread_pro_rata_and_known_from_the_batch(spark, result):
    # B by hand, at t the months t-k .. t-1 known at t:
    # 2024-07: Apr, May, Jun = 100 each -> cotisation (Jun) 100, means 100.
    # 2024-08: the regularisation adds -100 to each month of 2024 up to July: Jul = -100;
    #          mean3m (May 0, Jun 0, Jul -100) = -33.33; mean12m (Jan..Jul, 7 months known) = -400 / 7.
    # 2024-09: Aug = -100; mean3m (Jun 0, Jul -100, Aug -100) = -66.67; mean12m = -500 / 8.
    expected = spark.createDataFrame(
        [
            (B, d("2024-07"), 100.0, 100.0, 100.0, 100.0, 0),
            (B, d("2024-08"), -100.0, -100 / 3, -50.0, -400 / 7, 1),
            (B, d("2024-09"), -100.0, -200 / 3, -50.0, -62.5, 1),
        ],
        "siren string, periode date, cotisation double, cotisation_mean3m double, cotisation_mean6m double, "
        "cotisation_mean12m double, cotisation_negative int",
    )
    assert_df_equality(
        result.where(f"siren = '{B}'"), expected, ignore_row_order=True, ignore_nullable=True, allow_nan_equality=True
    )


def test_unknown_month_stays_missing_and_redelivery_counts_once(spark, result):
    # A: January known from February; February (delivered twice) once; March never delivered.
    expected = spark.createDataFrame(
        [
            (A, d("2024-02"), 15230.40, 15230.40, 15230.40, 15230.40, 0),
            (A, d("2024-03"), 15230.40, 15230.40, 15230.40, 15230.40, 0),
            (A, d("2024-04"), None, 15230.40, 15230.40, 15230.40, 0),
            (A, d("2024-05"), None, 15230.40, 15230.40, 15230.40, 0),
            (A, d("2024-06"), None, None, 15230.40, 15230.40, 0),
            (A, d("2024-07"), None, None, 15230.40, 15230.40, 0),
            (A, d("2024-08"), None, None, 15230.40, 15230.40, 0),
            (A, d("2024-09"), None, None, None, 15230.40, 0),
        ],
        "siren string, periode date, cotisation double, cotisation_mean3m double, cotisation_mean6m double, "
        "cotisation_mean12m double, cotisation_negative int",
    )
    assert_df_equality(result.where(f"siren = '{A}'"), expected, ignore_row_order=True, ignore_nullable=True)
