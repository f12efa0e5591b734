"""Debts: the worked example of SOURCES.md section 2, the day-20 rule, late steps, transfers."""

from chispa import assert_df_equality

from signaux_spark.features.debits import monthly_debts
from tests.features.features_kit import bronze, d

A, C = "812345676", "887654325"
SCHEMA = "siren string, periode date, dette_ouvriere double, dette_patronale double"


def step(siren, number, processed, po, pp, batch, debt=101, siret=None):
    return dict(
        siret=siret or siren + "00017",
        siren=siren,
        numero_compte="827000000004512361",
        periode_debut="2024-02",
        periode_fin="2024-03",
        numero_ecart_negatif=debt,
        numero_historique=number,
        date_traitement=processed,
        periode_prise_en_compte=processed[:7],
        dette_ouvriere=po,
        dette_patronale=pp,
        batch=batch,
    )


def test_worked_example_carried_forward_with_the_day_20_rule(spark):
    rows = [
        step(A, 1, "2024-03-18", 1206.30, 2814.70, "2024-03"),
        step(A, 2, "2024-04-26", 603.15, 1407.35, "2024-05"),  # after the 20th: counts for May
        step(A, 3, "2024-06-14", 0.0, 0.0, "2024-06"),
    ]
    out = monthly_debts(bronze(spark, "urssaf_debit", rows), start=d("2024-01"), end=d("2024-07"))
    # March 4,021.00; April 4,021.00 (carried); May 2,010.50; June 0.
    expected = spark.createDataFrame(
        [
            (A, d("2024-03"), 1206.30, 2814.70),
            (A, d("2024-04"), 1206.30, 2814.70),
            (A, d("2024-05"), 603.15, 1407.35),
            (A, d("2024-06"), 0.0, 0.0),
            (A, d("2024-07"), 0.0, 0.0),
        ],
        SCHEMA,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_late_step_counts_from_its_batch_and_highest_history_number_wins(spark):
    rows = [
        step(A, 1, "2024-03-05", 100.0, 200.0, "2024-03"),
        # Step 3 delivered before step 2: the highest number is the state, whatever the order.
        step(A, 3, "2024-04-10", 0.0, 0.0, "2024-04"),
        # Step 2 processed in March, recorded in June: it never beats step 3.
        step(A, 2, "2024-03-10", 50.0, 100.0, "2024-06"),
        # Another debt processed on 10 April but delivered in June: known from June only.
        step(A, 1, "2024-04-10", 10.0, 20.0, "2024-06", debt=201),
    ]
    out = monthly_debts(bronze(spark, "urssaf_debit", rows), start=d("2024-03"), end=d("2024-06"))
    expected = spark.createDataFrame(
        [
            (A, d("2024-03"), 100.0, 200.0),
            (A, d("2024-04"), 0.0, 0.0),
            (A, d("2024-05"), 0.0, 0.0),
            (A, d("2024-06"), 10.0, 20.0),
        ],
        SCHEMA,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_debt_moved_to_another_establishment_leaves_the_old_firm(spark):
    rows = [
        step(A, 1, "2024-03-05", 100.0, 200.0, "2024-03"),
        step(C, 2, "2024-05-05", 100.0, 200.0, "2024-05"),
    ]  # same debt key, successor SIRET of C
    out = monthly_debts(bronze(spark, "urssaf_debit", rows), start=d("2024-03"), end=d("2024-05"))
    expected = spark.createDataFrame(
        [
            (A, d("2024-03"), 100.0, 200.0),
            (A, d("2024-04"), 100.0, 200.0),
            (A, d("2024-05"), 0.0, 0.0),
            (C, d("2024-05"), 100.0, 200.0),
        ],
        SCHEMA,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
