"""Headcount: last known value and its age, revisions from their batch, the size rule."""

from chispa import assert_df_equality

from signaux_spark.features.effectif import LATEST_CELL, headcount_at, last_known_headcount, months_at_threshold
from signaux_spark.features.states import fold
from tests.features.features_kit import bronze, d

A = "812345676"


def cell(month, value, batch, siren=A):
    return dict(siren=siren, periode=month, effectif=value, batch=batch)


def test_last_known_value_carried_forward_with_its_age(spark):
    rows = [
        cell("2024-01", 14, "2024-04"),
        cell("2024-02", 14, "2024-04"),
        cell("2024-03", 9, "2024-04"),
        # July delivery: March revised to 15 (applies from July), April and May new, June blank.
        cell("2024-01", 14, "2024-07"),
        cell("2024-02", 14, "2024-07"),
        cell("2024-03", 15, "2024-07"),
        cell("2024-04", 15, "2024-07"),
        cell("2024-05", 16, "2024-07"),
    ]
    out = last_known_headcount(bronze(spark, "urssaf_effectif_ent", rows), start=d("2024-03"), end=d("2024-08"))
    expected = spark.createDataFrame(
        [
            (A, d("2024-04"), 9, 1),
            (A, d("2024-05"), 9, 2),
            (A, d("2024-06"), 9, 3),
            (A, d("2024-07"), 16, 2),
            (A, d("2024-08"), 16, 3),
        ],
        "siren string, periode date, effectif int, effectif_age int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_cells_usable_from_the_same_month_take_the_later_batch_before_the_line(spark):
    # Two batches deliver June, at or ahead of their batch month (SOURCES.md stops at M-1, yet the
    # result must not depend on the order of the lines): both are usable from June, the later batch wins.
    rows = [
        dict(cell("2024-06", 20, "2024-05"), line_number=9),
        dict(cell("2024-06", 30, "2024-06"), line_number=1),
    ]
    effectifs = bronze(spark, "urssaf_effectif_ent", rows)
    expected = spark.createDataFrame(
        [(A, d("2024-06"), 30, 0)], "siren string, periode date, effectif int, effectif_age int"
    )
    signal = last_known_headcount(effectifs, start=d("2024-06"), end=d("2024-06"))
    assert_df_equality(signal, expected, ignore_nullable=True)
    state = fold(LATEST_CELL, None, LATEST_CELL.events(effectifs), d("2024-06"))
    assert_df_equality(headcount_at(state, d("2024-06")), expected, ignore_nullable=True)


def test_size_rule_uses_the_values_known_at_t_over_36_months(spark):
    rows = [
        cell("2021-01", 12, "2021-04"),  # >= 10, leaves the window in 2024-01
        cell("2023-06", 9, "2023-07"),
        cell("2023-06", 10, "2023-10"),  # revised up: counts from 2023-10
        cell("2023-07", 11, "2023-10"),
        cell("2023-07", 8, "2024-01"),
    ]  # revised down: stops in 2024-01
    out = months_at_threshold(
        bronze(spark, "urssaf_effectif_ent", rows), start=d("2023-09"), end=d("2024-02"), threshold=10, window_months=36
    )
    # 2023-09: Jan 2021 only; 2023-10..12: Jan 2021, Jun 2023, Jul 2023; 2024-01: Jan 2021 has left
    # the window (t-35 = 2021-02) and July was revised to 8: June only.
    expected = spark.createDataFrame(
        [
            (A, d("2023-09"), 1),
            (A, d("2023-10"), 3),
            (A, d("2023-11"), 3),
            (A, d("2023-12"), 3),
            (A, d("2024-01"), 1),
            (A, d("2024-02"), 1),
        ],
        "siren string, periode date, mois_effectif_seuil int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_size_rule_follows_a_month_revised_back_and_forth_and_the_last_line_of_a_batch(spark):
    rows = [
        cell("2023-06", 12, "2023-07"),
        cell("2023-06", 8, "2023-10"),  # revised below: stops in 2023-10
        cell("2023-06", 11, "2024-01"),  # and back above: counts again from 2024-01
        cell("2023-08", 12, "2023-10"),
        cell("2023-08", 7, "2023-10"),  # a later line of the same batch wins: never counts
    ]
    out = months_at_threshold(
        bronze(spark, "urssaf_effectif_ent", rows), start=d("2023-07"), end=d("2024-02"), threshold=10, window_months=36
    )
    counts = {
        **{m: 1 for m in ("2023-07", "2023-08", "2023-09", "2024-01", "2024-02")},
        **{m: 0 for m in ("2023-10", "2023-11", "2023-12")},
    }
    expected = spark.createDataFrame(
        [(A, d(m), n) for m, n in counts.items()], "siren string, periode date, mois_effectif_seuil int"
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
