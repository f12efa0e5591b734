"""Payment plans in force at each month, their amount and remaining days, from their batch."""

from chispa import assert_df_equality

from signaux_spark.features.delais import monthly_plans
from tests.features.features_kit import bronze, d

A = "812345676"


def plan(number, created, due, amount, stage, batch, siren=A):
    return dict(
        siret=siren + "00017",
        siren=siren,
        numero_compte="827000000004512361",
        numero_contentieux=number,
        date_creation=created,
        date_echeance=due,
        montant_echeancier=amount,
        stade=stage,
        action="DELAI",
        batch=batch,
    )


def test_plans_in_force(spark):
    rows = [
        plan("7410000321457", "2024-03-12", "2024-09-12", 4021.00, "APPROB", "2024-03"),
        # A second plan, rejected from its second version (June) on.
        plan("7410000321458", "2024-04-02", "2024-05-31", 1000.00, "DEBUT", "2024-04"),
        plan("7410000321458", "2024-04-02", "2024-05-31", 1000.00, "REJ", "2024-05"),
        # Created in April, delivered in June: unknown before June.
        plan("7410000321459", "2024-04-20", "2024-07-01", 500.00, "APPROB", "2024-06"),
    ]
    out = monthly_plans(bronze(spark, "urssaf_delai", rows), start=d("2024-02"), end=d("2024-10"))
    # Remaining days: due date - last day of the month, floor 0 (12 Sep - 31 Mar = 165 ...).
    expected = spark.createDataFrame(
        [
            (A, d("2024-03"), 1, 4021.00, 165),
            (A, d("2024-04"), 1, 5021.00, 135),
            (A, d("2024-06"), 1, 4521.00, 74),
            (A, d("2024-05"), 1, 4021.00, 104),
            (A, d("2024-07"), 1, 4521.00, 43),
            (A, d("2024-08"), 1, 4021.00, 12),
            (A, d("2024-09"), 1, 4021.00, 0),
        ],
        "siren string, periode date, delai_en_cours int, delai_montant double, delai_jours_restants int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
