"""Paydex and FPI: latest value date known at t, clipped FPI shares, age, availability by batch."""

from chispa import assert_df_equality

from signaux_spark.features.altares import monthly_paydex
from tests.features.features_kit import bronze, d

A = "812345676"


def value(day, paydex, fpi30, fpi90, batch, kind="increment"):
    return dict(siren=A, paydex=paydex, fpi_30=fpi30, fpi_90=fpi90, date_valeur=day, file_kind=kind, batch=batch)


def test_latest_value_carried_with_its_age(spark):
    rows = [
        value("2024-03-15", 21, 35.0, 5.0, "2024-04", "retro"),
        value("2024-03-31", 30, 120.0, -3.0, "2024-04"),  # later in the month: wins; FPI clipped
        value("2024-04-30", 45, 50.0, 10.0, "2024-06"),  # late delivery: known from June
        value("2024-03-31", 29, 40.0, 2.0, "2024-07"),
    ]  # revised value date: latest batch wins
    out = monthly_paydex(bronze(spark, "altares_paydex", rows), start=d("2024-04"), end=d("2024-07"))
    expected = spark.createDataFrame(
        [
            (A, d("2024-04"), 30.0, 1.0, 0.0, 1),
            (A, d("2024-05"), 30.0, 1.0, 0.0, 2),
            (A, d("2024-06"), 45.0, 0.5, 0.1, 2),
            (A, d("2024-07"), 45.0, 0.5, 0.1, 3),
        ],
        "siren string, periode date, paydex double, fpi_30 double, fpi_90 double, paydex_age int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
