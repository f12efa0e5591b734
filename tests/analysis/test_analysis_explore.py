"""Coverage, rejects, feature profiles by outcome and missingness on hand-made frames."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from signaux_spark.analysis.explore import (
    batch_coverage,
    delivery_status,
    labelled_rows,
    missingness,
    most_missing,
    outcome_profile,
    outcome_sample,
    rejects_by_reason,
    separation,
)

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def test_batch_coverage_counts_rows_and_distinct_firms(spark):
    cotisation = spark.createDataFrame(
        [("111", "2024-01"), ("111", "2024-01"), ("222", "2024-01"), ("111", "2024-02")], "siren string, batch string"
    )
    paydex = spark.createDataFrame([("333", "2024-02")], "siren string, batch string")
    got = [tuple(r) for r in batch_coverage({"urssaf_cotisation": cotisation, "altares_paydex": paydex}).collect()]
    assert got == [
        ("altares_paydex", "2024-02", 1, 1),
        ("urssaf_cotisation", "2024-01", 3, 2),
        ("urssaf_cotisation", "2024-02", 1, 1),
    ]


def test_rejects_by_reason_and_delivery_status(spark):
    rejects = spark.createDataFrame(
        [
            ("urssaf_debit", "2024-01", "invalid_siren"),
            ("urssaf_debit", "2024-02", "invalid_siren"),
            ("urssaf_debit", "2024-02", "invalid_date"),
            ("ap_demande", "2024-01", "invalid_siren"),
        ],
        "source string, batch string, reason string",
    )
    assert [tuple(r) for r in rejects_by_reason(rejects).collect()] == [
        ("urssaf_debit", "invalid_siren", 2, 2),
        ("ap_demande", "invalid_siren", 1, 1),
        ("urssaf_debit", "invalid_date", 1, 1),
    ]
    report = spark.createDataFrame(
        [
            ("dgfip_liasses", "loaded"),
            ("dgfip_liasses", "no_delivery"),
            ("dgfip_liasses", "no_delivery"),
            ("urssaf_debit", "missing"),
        ],
        "source string, status string",
    )
    status = delivery_status(report).toPandas().set_index("source")
    assert status.loc["dgfip_liasses"].to_dict() == {"loaded": 1, "missing": 0, "no_delivery": 2}
    assert status.loc["urssaf_debit"].to_dict() == {"loaded": 0, "missing": 1, "no_delivery": 0}


@pytest.fixture
def rows(spark):
    # outcome 0: x = 1, 3, missing; outcome 1: x = 10, missing (y always known)
    return spark.createDataFrame(
        [
            ("a", JAN, 0, True, False, 1.0, 5),
            ("b", JAN, 0, True, None, 3.0, 5),
            ("c", FEB, 0, True, False, None, 6),
            ("d", FEB, 1, True, False, 10.0, 8),
            ("e", FEB, 1, True, False, None, 8),
            ("f", FEB, None, True, False, 7.0, 1),
            ("g", FEB, 1, False, False, 7.0, 1),
            ("h", FEB, 1, True, True, 7.0, 1),
        ],
        "siren string, periode date, failure int, in_perimeter boolean, excluded boolean, x double, y int",
    )


def test_labelled_rows_keeps_the_labelled_perimeter_without_the_excluded(rows):
    kept = labelled_rows(rows, label="failure", perimeter="in_perimeter", exclude="excluded")
    assert sorted(r["siren"] for r in kept.collect()) == ["a", "b", "c", "d", "e"]
    assert rows.transform(labelled_rows, label="failure").count() == 7


def test_outcome_profile_and_separation(rows):
    kept = labelled_rows(rows, label="failure", perimeter="in_perimeter", exclude="excluded")
    profile = outcome_profile(kept, ["x", "y"], label="failure").set_index(["feature", "outcome"])
    assert profile.loc[("x", 0), "rows"] == 3 and profile.loc[("x", 1), "rows"] == 2
    assert profile.loc[("x", 0), "missing_share"] == pytest.approx(1 / 3)
    assert profile.loc[("x", 1), "missing_share"] == pytest.approx(1 / 2)
    assert profile.loc[("x", 0), "mean"] == pytest.approx(2.0) and profile.loc[("x", 0), "std"] == pytest.approx(2**0.5)
    assert profile.loc[("x", 1), "mean"] == pytest.approx(10.0) and math.isnan(profile.loc[("x", 1), "std"])
    assert profile.loc[("y", 0), "median"] == 5 and profile.loc[("y", 1), "median"] == 8
    gaps = separation(profile.reset_index())
    # y: means 16/3 and 8, stds sqrt(1/3) and 0: gap = (8 - 16/3) / sqrt((1/3 + 0) / 2); x: no std for outcome 1
    assert list(gaps.index) == ["y", "x"]
    assert gaps.loc["y", "gap"] == pytest.approx((8 - 16 / 3) / math.sqrt(1 / 6))
    assert math.isnan(gaps.loc["x", "gap"])
    assert gaps.loc["x", "missing_share_1"] == pytest.approx(0.5) and gaps.loc["x", "mean_1"] == pytest.approx(10.0)


def test_missingness_per_month_and_most_missing(rows):
    table = missingness(rows, ["x", "y"], by="periode")
    assert list(table.columns) == [JAN, FEB] and list(table.index) == ["x", "y"]
    assert table.loc["x", JAN] == 0 and table.loc["x", FEB] == pytest.approx(2 / 6) and table.loc["y"].sum() == 0
    top = most_missing(table, top=1)
    assert list(top.index) == ["x"] and top.loc["x", "mean"] == pytest.approx(1 / 6)


def test_outcome_sample_caps_each_outcome(rows):
    kept = labelled_rows(rows, label="failure", perimeter="in_perimeter", exclude="excluded")
    everything = outcome_sample(kept, ["x"], label="failure", per_outcome=10)
    assert sorted(everything["failure"]) == [0, 0, 0, 1, 1] and list(everything.columns) == ["failure", "x"]
    assert isinstance(outcome_sample(kept.limit(0), ["x"], label="failure", per_outcome=5), pd.DataFrame)
