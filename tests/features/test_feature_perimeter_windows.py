"""Perimeter rules, windows on months (never on rows), missing flags, sector and region context."""

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from signaux_spark.features.context import with_context
from signaux_spark.features.perimeter import with_perimeter
from signaux_spark.features.windows import UnknownFeature, windows_at, with_windows
from tests.features.features_kit import d

EXCLUDED = dict(excluded_legal_categories=["7210"], excluded_naf=["84.11Z", "64.19Z"])


def test_first_failing_rule_is_named(spark):
    rows = [
        ("a", 3, "5499", "16.23Z", True, True),
        ("b", 0, "5499", "16.23Z", True, True),
        ("c", None, "7210", "84.11Z", False, False),
        ("d", 1, "7210", "16.23Z", True, True),
        ("e", 1, "5499", "64.19Z", True, True),
        ("f", 1, "5499", "64.20Z", False, True),
        ("g", 1, None, None, True, False),
    ]
    df = spark.createDataFrame(
        rows,
        "siren string, mois_effectif_seuil int, categorie_juridique string, naf string, "
        "siege_francais boolean, siege_actif boolean",
    )
    out = df.transform(with_perimeter, **EXCLUDED).select("siren", "in_perimeter", "perimeter_exclusion")
    expected = spark.createDataFrame(
        [
            ("a", True, None),
            ("b", False, "effectif_insuffisant"),
            ("c", False, "effectif_insuffisant"),
            ("d", False, "categorie_juridique_exclue"),
            ("e", False, "naf_exclu"),
            ("f", False, "siege_hors_france"),
            ("g", False, "siege_inactif"),
        ],
        "siren string, in_perimeter boolean, perimeter_exclusion string",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_windows_are_defined_on_months(spark):
    # March is absent (a gap in the grid) and May's value is unknown.
    rows = [
        ("a", d("2024-01"), 10.0),
        ("a", d("2024-02"), 20.0),
        ("a", d("2024-04"), 40.0),
        ("a", d("2024-05"), None),
        ("a", d("2024-06"), 60.0),
        ("b", d("2024-02"), 1.0),
    ]
    df = spark.createDataFrame(rows, "siren string, periode date, x double")
    out = with_windows(df, ["x_lag1m", "x_lag2m", "x_mean3m", "x_diff2m", "x_missing", "x"])
    expected = spark.createDataFrame(
        [
            ("a", d("2024-01"), 10.0, None, None, 10.0, None, 0),
            ("a", d("2024-02"), 20.0, 10.0, None, 15.0, None, 0),
            ("a", d("2024-04"), 40.0, None, 20.0, 30.0, 20.0, 0),  # lag1m: March has no row -> null
            ("a", d("2024-05"), None, 40.0, None, 40.0, None, 1),
            ("a", d("2024-06"), 60.0, None, 40.0, 50.0, 20.0, 0),  # mean of April, (May unknown), June
            ("b", d("2024-02"), 1.0, None, None, 1.0, None, 0),
        ],
        "siren string, periode date, x double, x_lag1m double, x_lag2m double, x_mean3m double, x_diff2m double, "
        "x_missing int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
    with pytest.raises(UnknownFeature, match="y_lag1m"):
        with_windows(df, ["y_lag1m"])


def test_one_month_windows_equal_the_window_frames(spark):
    """windows_at (the monthly run: one aggregation per firm) gives each month's rows of with_windows,
    gaps, unknown values, a firm absent that month and rows beyond the windows' reach included."""
    rows = [
        ("a", d("2023-01"), 99.0),
        ("a", d("2024-01"), 10.0),
        ("a", d("2024-02"), 20.0),
        ("a", d("2024-04"), 40.0),
        ("a", d("2024-05"), None),
        ("a", d("2024-06"), 60.0),
        ("b", d("2024-02"), 1.0),
        ("b", d("2024-05"), -3.0),
    ]
    df = spark.createDataFrame(rows, "siren string, periode date, x double")
    names = ["x_lag1m", "x_lag2m", "x_mean3m", "x_diff2m", "x_missing", "x_lag2m_missing", "x"]
    every = with_windows(df, names)
    for month in ("2024-01", "2024-03", "2024-04", "2024-05", "2024-06"):
        one = windows_at(df, names, d(month))
        assert one.columns == every.columns
        assert_df_equality(one, every.where(F.col("periode") == d(month)), ignore_row_order=True, ignore_nullable=True)


def test_context_shares_among_firms_in_the_perimeter(spark):
    rows = [
        ("a", "C", "84", True, 10.0, False, 0.0),
        ("b", "C", "84", True, -5.0, True, 12.0),
        ("c", "C", "11", True, None, False, 0.0),
        ("d", "C", "84", False, 50.0, False, 0.0),
        ("e", "F", "84", True, 1.0, False, 0.0),
    ]
    df = spark.createDataFrame(
        rows,
        "siren string, naf_section string, region string, in_perimeter boolean, "
        "dette_sociale_diff3m double, in_proceeding boolean, ap_heures_autorisees double",
    )
    out = {r["siren"]: r for r in with_context(df.withColumn("periode", F.lit(d("2024-01")))).collect()}
    # Sector C in the perimeter: a (debt up), b (down), c (unknown) -> 1 / 2; d is out of the perimeter.
    assert out["a"]["secteur_part_dette_hausse"] == 0.5 and out["d"]["secteur_part_dette_hausse"] == 0.5
    assert out["a"]["secteur_part_procedure"] == pytest.approx(1 / 3)
    assert out["a"]["secteur_part_activite_partielle"] == pytest.approx(1 / 3)
    # Region 84 in the perimeter: a (up), b (down), e (up) -> 2 / 3.
    assert out["b"]["region_part_dette_hausse"] == pytest.approx(2 / 3)
    assert out["e"]["secteur_part_dette_hausse"] == 1.0
