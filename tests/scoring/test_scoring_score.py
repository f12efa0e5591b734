"""Scoring a month with a tiny registered model: who is scored, levels from the model's thresholds,
proceedings listed but not alerted, ranks per region, explanations additive and matching Spark's
own margin, the same rows when a month is scored again, and clear failures on bad input."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from pyspark.ml.classification import GBTClassifier
from pyspark.ml.feature import VectorAssembler, VectorIndexer
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F

from signaux_spark import cli, tables
from signaux_spark.config import ConfigError, load_settings
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.scoring.score import (
    FORT,
    MODERE,
    NO_ALERT,
    PROCEEDING,
    alert_level,
    score_month,
    score_period,
    with_region_rank,
)
from signaux_spark.scoring.trees import UnsupportedTree, forest_of
from tests.helpers import job_main as job
from tests.scoring.scoring_kit import RISKY, SAFE, features_frame, settings_for, tiny_model

PERIOD, OTHER = dt.date(2020, 3, 1), dt.date(2020, 2, 1)
MID = {"dette_sociale": 3000.0, "dette_ratio": 1.0, "marge": 0.0, "paydex": 40.0}
ROWS = [
    {"siren": "000000001", **RISKY},
    {"siren": "000000002", **MID},
    {"siren": "000000003", **SAFE},
    {"siren": "000000004", **RISKY, "in_proceeding": True, "proceeding_state": "Redressement judiciaire"},
    {"siren": "000000005", **RISKY, "in_perimeter": False, "perimeter_exclusion": "naf_exclu"},
    {"siren": "000000006", **RISKY, "region": "11", "departement": "75", "dette_ratio": 2.0},
    {
        "siren": "000000007",
        **SAFE,
        "region": "11",
        "departement": "75",
        "marge": None,
        "paydex": None,
        "paydex_missing": 1,
    },
    {"siren": "000000008", **MID, "region": "94", "departement": "2A"},
]


@pytest.fixture(scope="module")
def model(spark, tmp_path_factory):
    return tiny_model(spark, tmp_path_factory)


@pytest.fixture(scope="module")
def scored(spark, tmp_path_factory, model):
    """The month scored by the library, then again by jobs/score.py; another month beside it."""
    mlflow_dir, _ = model
    root = tmp_path_factory.mktemp("score")
    settings = settings_for(root, mlflow_dir)
    lake = Lake(settings)
    features = features_frame(spark, ROWS, PERIOD).unionByName(features_frame(spark, ROWS[:3], OTHER))
    lake.write(features, tables.FEATURES, partition_by=["periode"])
    counts = score_period(spark, settings, OTHER)
    counts = score_period(spark, settings, PERIOD)
    first = lake.read(spark, tables.SCORES).orderBy("periode", "siren").collect()
    code = cli.run(
        job("score"),
        [
            "--period",
            "2020-03",
            f"paths.root={root}",
            f"paths.mlflow={mlflow_dir}",
            "spark.master=local[2]",
            "spark.shuffle_partitions=2",
        ],
    )
    second = lake.read(spark, tables.SCORES).orderBy("periode", "siren").collect()
    return {
        "settings": settings,
        "counts": counts,
        "first": first,
        "second": second,
        "code": code,
        "rows": {r["siren"]: r for r in first if r["periode"] == PERIOD},
        "features": features,
    }


def test_every_firm_of_the_perimeter_is_scored_once(scored):
    rows = scored["rows"]
    assert sorted(rows) == ["000000001", "000000002", "000000003", "000000004", "000000006", "000000007", "000000008"]
    c = scored["counts"]
    assert (c["perimeter"], c["scored"], c["in_proceeding"]) == (7, 6, 1)
    assert c["fort"] + c["modere"] + c["no_alert"] == 6
    assert c["explained"] == c["fort"] + c["modere"] > 0  # by default, the alerts are explained
    for r in rows.values():
        assert (r["contributions"] is not None) == (r["alert_level"] in (FORT, MODERE))


def test_alert_levels_come_from_the_models_thresholds(scored, model):
    _, m = model
    for r in scored["rows"].values():
        assert (r["model_name"], r["model_version"]) == (m.name, m.version)
        assert (r["threshold_fort"], r["threshold_modere"]) == (m.fort, m.modere)
        if r["probability"] is not None:
            expected = FORT if r["probability"] >= m.fort else MODERE if r["probability"] >= m.modere else NO_ALERT
            assert r["alert_level"] == expected
    levels = {s: r["alert_level"] for s, r in scored["rows"].items()}
    assert (levels["000000001"], levels["000000002"], levels["000000003"]) == (FORT, MODERE, NO_ALERT)


def test_a_firm_in_a_proceeding_is_listed_with_its_state_not_alerted(scored):
    r = scored["rows"]["000000004"]
    assert (r["alert_level"], r["proceeding_state"], r["in_proceeding"]) == (
        PROCEEDING,
        "Redressement judiciaire",
        True,
    )
    assert (r["probability"], r["region_rank"], r["contributions"], r["top_factors"]) == (None, None, None, None)


def test_ranks_follow_the_probability_within_each_region(scored):
    rows = [r for r in scored["rows"].values() if r["probability"] is not None]
    for region in {r["region"] for r in rows}:
        ranked = sorted((r for r in rows if r["region"] == region), key=lambda r: r["region_rank"])
        assert [r["region_rank"] for r in ranked] == list(range(1, len(ranked) + 1))
        assert [r["probability"] for r in ranked] == sorted((r["probability"] for r in ranked), reverse=True)
    assert {r["region"] for r in rows} == {"84", "11", "94"}


def test_probabilities_are_those_of_the_registered_pipeline(spark, scored, model):
    _, m = model
    month = scored["features"].where(F.col("periode") == PERIOD)
    expected = {r["siren"]: r["probability_calibrated"] for r in m.loaded.score(month).collect()}
    for siren, r in scored["rows"].items():
        if r["probability"] is not None:
            assert r["probability"] == pytest.approx(expected[siren], abs=1e-12)


@pytest.fixture(scope="module")
def everyone(scored, model):
    """The month scored with every firm explained (`score.explain: all`)."""
    month = scored["features"].where(F.col("periode") == PERIOD)
    return {r["siren"]: r for r in score_month(month, model[1], explain_rows="all", partitions=2).collect()}


def test_contributions_add_up_to_the_log_odds_of_the_model(everyone, model):
    _, m = model
    assert len([r for r in everyone.values() if r["contributions"] is not None]) == 6
    for r in everyone.values():
        if r["probability"] is None:
            continue
        total = r["base_log_odds"] + sum(r["contributions"].values())
        assert total == pytest.approx(r["log_odds"], abs=1e-9)
        assert total == pytest.approx(math.log(r["probability_raw"] / (1 - r["probability_raw"])), abs=1e-9)
        assert set(r["contributions"]) == set(m.topics.values())
        factors = r["top_factors"]
        assert len(factors) <= 3 and all(f["contribution"] > 0 for f in factors)
        assert [f["contribution"] for f in factors] == sorted((f["contribution"] for f in factors), reverse=True)
    risky = {f["feature"]: f for f in everyone["000000001"]["top_factors"]}
    assert risky and all(m.topics[name] == f["topic"] for name, f in risky.items())
    values = {**RISKY, "region": "84", "paydex_missing": 0, "effectif": 3}
    for name, f in risky.items():
        assert (f["level"] if name in m.categorical else f["value"]) == values[name]
    missing = {f["feature"]: f for f in everyone["000000007"]["top_factors"]}
    assert all(missing[name]["value"] is None for name in ("marge", "paydex") if name in missing)


def test_explanations_run_in_the_workers_not_on_the_driver(spark, scored, model):
    """Building a month's explained scores runs no Spark job (nothing of the country is collected
    to the driver); the SHAP values are computed by Python workers (MapInPandas in the plan)."""
    month = scored["features"].where(F.col("periode") == PERIOD)
    sc = spark.sparkContext
    sc.setJobGroup("sf-score-lazy", "building the scores")
    try:
        scores = score_month(month, model[1], explain_rows="all", partitions=2)
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert sc.statusTracker().getJobIdsForGroup("sf-score-lazy") == []
    assert "MapInPandas" in scores._jdf.queryExecution().executedPlan().toString()


def test_trees_read_on_the_driver_give_sparks_margin_and_additive_shap(spark, scored, model):
    _, m = model
    month = scored["features"].where(F.col("periode") == PERIOD)
    out = (
        m.loaded.classifier.transform(m.loaded.preprocessing.transform(month))
        .select(vector_to_array(m.loaded.features_col).alias("x"), vector_to_array("rawPrediction")[1].alias("margin"))
        .collect()
    )
    x, margin = np.array([r["x"] for r in out]), np.array([r["margin"] for r in out])
    forest = forest_of(m.loaded.classifier)
    assert np.allclose(forest.margin(x), margin, atol=1e-12)
    import shap

    explainer = shap.TreeExplainer(forest.shap_model())
    phi = explainer.shap_values(x)
    assert np.allclose(phi.sum(axis=1) + np.ravel(explainer.expected_value)[0], margin, atol=1e-9)


def test_scoring_a_month_again_gives_the_same_rows_and_leaves_other_months(scored, spark):
    assert scored["code"] == 0
    assert len(scored["first"]) == len(scored["second"])
    for a, b in zip(scored["first"], scored["second"], strict=True):  # explanations equal up to rounding
        a, b = a.asDict(recursive=True), b.asDict(recursive=True)
        factors_a, factors_b = a.pop("top_factors"), b.pop("top_factors")
        contributions_a, contributions_b = a.pop("contributions"), b.pop("contributions")
        assert a == b
        assert contributions_a == (contributions_b if contributions_b is None else pytest.approx(contributions_b))
        assert (factors_a is None) == (factors_b is None)
        for x, y in zip(factors_a or [], factors_b or [], strict=True):
            assert x == pytest.approx(y)
    assert {r["periode"] for r in scored["second"]} == {OTHER, PERIOD}
    history = Lake(scored["settings"]).table(spark, tables.SCORES).history().select("operationParameters").collect()
    assert sum("periode = '2020-03-01'" in str(h[0]) for h in history) == 2


def test_explaining_every_firm_changes_nothing_else(scored, everyone):
    drop = ("base_log_odds", "contributions", "top_factors")
    for siren, r in scored["rows"].items():
        assert {k: v for k, v in r.asDict().items() if k not in drop} == {
            k: v for k, v in everyone[siren].asDict().items() if k not in drop
        }
        if r["contributions"] is not None:  # equal up to rounding (matrix products of other batch sizes)
            assert r["contributions"] == pytest.approx(everyone[siren]["contributions"], rel=1e-12, abs=1e-15)


def test_alert_level_thresholds_are_inclusive_and_proceedings_win(spark):
    df = spark.createDataFrame(
        [(0.2, False), (0.19999, False), (0.1, False), (0.09999, False), (0.9, True)], "p double, proceeding boolean"
    )
    levels = [r[0] for r in df.select(alert_level(F.col("p"), F.col("proceeding"), fort=0.2, modere=0.1)).collect()]
    assert levels == [FORT, MODERE, MODERE, NO_ALERT, PROCEEDING]


def test_rank_ties_are_broken_by_raw_probability_then_siren(spark):
    df = spark.createDataFrame(
        [
            ("b", "84", 0.5, 0.6),
            ("a", "84", 0.5, 0.6),
            ("c", "84", 0.5, 0.7),
            ("d", "84", None, None),
            ("e", "11", 0.1, 0.1),
        ],
        "siren string, region string, probability double, probability_raw double",
    )
    ranks = {r["siren"]: r["region_rank"] for r in with_region_rank(df).collect()}
    assert ranks == {"c": 1, "a": 2, "b": 3, "d": None, "e": 1}


def test_bad_inputs_fail_clearly(spark, scored, model, tmp_path):
    settings = scored["settings"]
    with pytest.raises(JobError, match="no rows of gold/features for 2019-01"):
        score_period(spark, settings, dt.date(2019, 1, 1))
    _, m = model
    with pytest.raises(JobError, match="lack columns .* paydex"):
        score_month(scored["features"].drop("paydex"), m)
    duplicated = Lake(settings_for(tmp_path / "dup", settings.path("mlflow")))
    duplicated.write(features_frame(spark, [ROWS[0], ROWS[0]], PERIOD), tables.FEATURES, partition_by=["periode"])
    with pytest.raises(JobError, match="1 duplicate siren rows for 2020-03"):
        score_period(spark, settings_for(tmp_path / "dup", settings.path("mlflow")), PERIOD)
    no_model = settings_for(tmp_path / "no_model", tmp_path / "empty_mlflow")
    Lake(no_model).write(features_frame(spark, ROWS[:2], PERIOD), tables.FEATURES, partition_by=["periode"])
    with pytest.raises(JobError, match="no model signaux_faibles with alias 'champion'"):
        score_period(spark, no_model, PERIOD)
    strict = settings_for(tmp_path / "no_model", settings.path("mlflow"), ["score.additivity_tolerance=-1"])
    with pytest.raises(JobError, match="explanations are not additive for 2020-03"):
        score_period(spark, strict, PERIOD)
    assert not Lake(no_model).exists(spark, tables.SCORES)  # nothing written by a failed scoring


@pytest.mark.parametrize(
    "override, message",
    [
        ("score.explain=some", "score.explain' must be one of all, alerts"),
        ("score.top_factors=0", "score.top_factors' must be >= 1"),
    ],
)
def test_score_settings_are_checked(override, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides=[override])


def test_a_gbt_with_categorical_splits_cannot_be_explained(spark):
    # the label is 1 for the middle level of c only: one categorical split {1} | {0, 2} separates it
    df = spark.createDataFrame(
        [(float(i % 3), float(i % 2), float(i % 3 == 1)) for i in range(30)], "c double, v double, label double"
    )
    vectors = VectorAssembler(inputCols=["c", "v"], outputCol="raw").transform(df)
    indexed = VectorIndexer(inputCol="raw", outputCol="features", maxCategories=3).fit(vectors).transform(vectors)
    gbt = GBTClassifier(maxIter=1, maxDepth=1, seed=1).fit(indexed)
    with pytest.raises(UnsupportedTree, match="categorical split"):
        forest_of(gbt)
