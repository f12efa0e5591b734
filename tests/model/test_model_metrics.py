"""Metrics, calibration and thresholds on tiny tables worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import functions as F
from sklearn.metrics import average_precision_score

from signaux_spark.model import calibration, metrics, thresholds

# score, label: groups by decreasing score are 0.9 (1/1), 0.8 (1/2), 0.5 (0/1), 0.3 (1/1), 0.1 (0/1)
ROWS = [(0.9, 1), (0.8, 0), (0.8, 1), (0.5, 0), (0.3, 1), (0.1, 0)]


@pytest.fixture
def scored(spark):
    return spark.createDataFrame(ROWS, "score double, label int")


@pytest.fixture
def groups(scored):
    return metrics.score_groups(scored, score="score", label="label")


def test_groups_are_distinct_scores_by_decreasing_score(groups):
    assert groups["score"].tolist() == [0.9, 0.8, 0.5, 0.3, 0.1]
    assert groups["pos"].tolist() == [1, 1, 0, 1, 0]
    assert groups["n"].tolist() == [1, 2, 1, 1, 1]


def test_average_precision_is_step_wise_with_ties_together(groups):
    # precision at each positive's score: 1/1, 2/3 (the tie at 0.8 counts both rows), 3/5
    assert metrics.average_precision(groups) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert metrics.average_precision(groups) == pytest.approx(
        average_precision_score([y for _, y in ROWS], [s for s, _ in ROWS])
    )


def test_roc_auc_counts_ties_as_half(groups):
    # negatives at 0.8, 0.5, 0.1 are beaten by 1 + tie/2, 2 and 3 positives of 3
    assert metrics.roc_auc(groups) == pytest.approx((1.5 + 2 + 3) / 9)


def test_brier_and_log_loss(groups):
    assert metrics.brier(groups) == pytest.approx((0.01 + 0.04 + 0.49 + 0.64 + 0.25 + 0.01) / 6)
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.3) + math.log(0.2) + math.log(0.5) + math.log(0.9)) / 6
    assert metrics.log_loss(groups) == pytest.approx(expected)


def test_precision_recall_at_threshold_includes_the_threshold(groups):
    assert metrics.at_threshold(groups, 0.8) == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "alert_share": 0.5})
    assert math.isnan(metrics.at_threshold(groups, 0.95)["precision"])


def test_spark_area_under_pr_uses_every_score(scored):
    # trapezoids through (0, 1), (1/3, 1), (2/3, 2/3), (2/3, 1/2), (1, 3/5), (1, 1/2)
    expected = (1 / 3) * 1 + (1 / 3) * (1 + 2 / 3) / 2 + (1 / 3) * (0.5 + 0.6) / 2
    assert metrics.spark_area_under_pr(scored, score="score", label="label") == pytest.approx(expected)


def test_ranking_metrics_agree_with_spark_and_sklearn_on_random_rows(spark):
    rng = np.random.default_rng(3)
    labels = (rng.random(400) < 0.2).astype(int)
    scores = np.round(rng.random(400) * 0.5 + labels * 0.3, 2)  # rounded: many ties
    df = spark.createDataFrame(pd.DataFrame({"score": scores, "label": labels}))
    g = metrics.score_groups(df, score="score", label="label")
    spark_auc = BinaryClassificationEvaluator(
        rawPredictionCol="score", labelCol="label", metricName="areaUnderROC", numBins=0
    ).evaluate(df)
    assert metrics.roc_auc(g) == pytest.approx(spark_auc, abs=1e-12)
    assert metrics.average_precision(g) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)


def test_reliability_bins_have_equal_counts():
    g = pd.DataFrame(
        {"score": [0.9, 0.7, 0.5, 0.3], "pos": [2, 1, 0, 0], "n": [2, 2, 2, 2], "cal": [0.8, 0.6, 0.2, 0.1]}
    )
    table = metrics.reliability(g, bins=2)
    assert table["rows"].tolist() == [4, 4]
    assert table["predicted"].tolist() == pytest.approx([0.15, 0.7])
    assert table["observed"].tolist() == pytest.approx([0.0, 0.75])
    # ECE: half the rows off by 0.15, half by 0.05
    assert metrics.expected_calibration_error(table) == pytest.approx(0.10)


def test_region_lists_take_the_top_of_each_region_and_month(spark):
    rows = [  # region, month, key, score, label
        ("A", "2021-01-01", "a1", 0.9, 1),
        ("A", "2021-01-01", "a2", 0.8, 0),
        ("A", "2021-01-01", "a3", 0.7, 1),
        ("A", "2021-01-01", "a4", 0.2, 0),
        ("A", "2021-01-01", "a5", 0.1, 1),
        ("A", "2021-02-01", "a1", 0.5, 1),
        ("A", "2021-02-01", "a2", 0.6, 0),
        ("B", "2021-01-01", "b1", 0.3, 0),
        ("B", "2021-01-01", "b2", 0.3, 1),
        ("B", "2021-01-01", "b3", 0.05, 1),
    ]
    df = spark.createDataFrame(rows, "region string, periode string, siren string, score double, label int")
    table = metrics.region_lists(
        df, score="score", label="label", key="siren", period="periode", region="region", share=0.4, sizes={"B": 1}
    )
    a, b = table.iloc[0], table.iloc[1]
    # A: Jan keeps ceil(0.4 * 5) = 2 (a1 caught, a2), Feb ceil(0.8) = 1 (a2, missed)
    assert (a["region"], a["listed"], a["caught"], a["positives"]) == ("A", 3, 1, 4)
    assert a["precision"] == pytest.approx(1 / 3) and a["recall"] == pytest.approx(1 / 4)
    # B: fixed size 1; the tie at 0.3 goes to the first key, b1 (not a failure)
    assert (b["region"], b["listed"], b["caught"], b["positives"]) == ("B", 1, 0, 2)


def test_evaluate_reports_rows_without_strong_signal_separately(spark):
    rows = [(0.9, 1, True), (0.8, 0, True), (0.6, 1, False), (0.4, 0, False), (0.2, 0, False), (0.1, 1, False)]
    df = spark.createDataFrame(rows, "score double, label int, strong boolean").withColumn("cal", F.col("score") / 2)
    ev = metrics.evaluate(
        df,
        score="score",
        calibrated="cal",
        label="label",
        thresholds={"fort": 0.35},
        key="score",
        period="score",
        strong="strong",
    )
    assert ev.metrics["rows"] == 6 and ev.metrics["nosignal_rows"] == 4
    # without the strong rows: 0.6 (1), 0.4, 0.2, 0.1 (1) -> precisions 1 and 2/4
    assert ev.metrics["nosignal_ap"] == pytest.approx((1 + 0.5) / 2)
    assert ev.metrics["precision_fort"] == pytest.approx(1 / 2)  # cal >= 0.35: scores 0.9, 0.8
    assert ev.metrics["nosignal_alert_share_fort"] == 0
    # calibration in the large: the mean calibrated probability (scores sum to 3, halved, 6 rows), the base rate 3 / 6
    assert ev.metrics["mean_probability"] == pytest.approx(3.0 / 12) and ev.metrics["base_rate"] == 0.5
    assert ev.metrics["ece"] >= abs(ev.metrics["mean_probability"] - ev.metrics["base_rate"]) - 1e-12


def test_platt_recovers_a_known_mapping(spark):
    scores = np.linspace(0.02, 0.98, 49)
    logit = np.log(scores / (1 - scores))
    rate = 1 / (1 + np.exp(-(0.8 * logit - 1.5)))
    n = np.full(49, 20_000)
    g = pd.DataFrame({"score": scores, "pos": np.round(rate * n), "n": n})
    fitted = calibration.fit(g, "platt")
    assert fitted.params["a"] == pytest.approx(0.8, abs=0.01) and fitted.params["b"] == pytest.approx(-1.5, abs=0.01)
    df = spark.createDataFrame(pd.DataFrame({"raw": [0.0, 0.05, 0.5, 0.99, 1.0]}))
    in_spark = [r[0] for r in df.select(fitted.column(F.col("raw"))).collect()]
    assert in_spark == pytest.approx(list(fitted.apply(np.array([0.0, 0.05, 0.5, 0.99, 1.0]))), abs=1e-12)


def test_platt_stays_finite_on_separable_scores():
    g = pd.DataFrame({"score": [0.9, 0.1], "pos": [5, 0], "n": [5, 5]})
    fitted = calibration.fit(g, "platt")
    assert np.isfinite([fitted.params["a"], fitted.params["b"]]).all()
    assert 0.5 < fitted.apply(np.array([0.9]))[0] < 1


def test_isotonic_pools_violators_and_interpolates(spark):
    g = pd.DataFrame({"score": [0.4, 0.3, 0.2, 0.1], "pos": [5, 2, 3, 1], "n": [10, 10, 10, 10]})
    fitted = calibration.fit(g, "isotonic")
    # rates 0.1, 0.3, 0.2, 0.5 by increasing score: 0.3 and 0.2 pool to 0.25
    assert fitted.params == {"x": [0.1, 0.2, 0.3, 0.4], "y": [0.1, 0.25, 0.25, 0.5]}
    points = [0.05, 0.15, 0.25, 0.35, 0.9]
    assert list(fitted.apply(np.array(points))) == pytest.approx([0.1, 0.175, 0.25, 0.375, 0.5])
    df = spark.createDataFrame(pd.DataFrame({"raw": points}))
    assert [r[0] for r in df.select(fitted.column(F.col("raw"))).collect()] == pytest.approx(
        [0.1, 0.175, 0.25, 0.375, 0.5]
    )
    assert calibration.Calibration.from_dict(fitted.to_dict()) == fitted


def test_thresholds_maximise_f05_and_f2(groups):
    chosen = thresholds.choose(groups)
    # F0.5: 0.714 at 0.9 (P 1, R 1/3) is the best; F2: 0.882 at 0.3 (P 3/5, R 1)
    assert (chosen.fort, chosen.modere) == (0.9, 0.3)
    assert thresholds.best_fbeta(groups, 2.0)[1] == pytest.approx(5 * 0.6 / (4 * 0.6 + 1))


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5), st.integers(1, 6)), min_size=1, max_size=12))
def test_fort_is_never_below_modere(cells):
    g = pd.DataFrame([{"score": s / 20, "cal": s / 20, "pos": min(p, n), "n": n} for s, p, n in cells])
    g = metrics.collapse(g.groupby("score", as_index=False).agg(pos=("pos", "sum"), n=("n", "sum"), cal=("cal", "max")))
    chosen = thresholds.choose(g)
    assert chosen.fort >= chosen.modere
    assert thresholds.best_fbeta(g, 0.5)[0] == chosen.fort  # the order holds without forcing it
