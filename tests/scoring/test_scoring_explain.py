"""Distributed SHAP on a hand-made forest whose SHAP values are worked out by hand.

Tree 1 splits slot 0 (dette_sociale) at 0.5: left leaf -1.0 (cover 3), right leaf +1.0 (cover 1),
expectation -0.5. Tree 2 splits slot 2 (region=84) at 0.5: left +0.2, right -0.2 (covers 2 and 2),
expectation 0. A single split's SHAP value is the leaf reached minus the expectation, so (margin
units, x 2 for log-odds): base = 2 * (-0.5 + 0) = -1.0;
- row A, x = [1, 0, 1, 0]: dette_sociale 2 * 1.5 = +3.0, region 2 * (-0.2) = -0.4, margin 0.8;
- row B, x = [0, 1, 0, 0]: dette_sociale 2 * (-0.5) = -1.0, region 2 * 0.2 = +0.4, margin -0.8;
- row D, x = [1, 1, 0, 0]: dette_sociale +3.0, region +0.4, margin 1.2 (two factors, largest first).
Slots 1 and 2 are two levels of `region`: their contributions add up; effectif (slot 3) is used
by no tree and contributes 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.sql import types as T

from signaux_spark.scoring.explain import explain
from signaux_spark.scoring.trees import Forest


def stump(feature: int, left: float, right: float, left_cover: float, right_cover: float) -> dict:
    return {
        "children_left": np.array([1, -1, -1], dtype=np.int32),
        "children_right": np.array([2, -1, -1], dtype=np.int32),
        "children_default": np.array([1, -1, -1], dtype=np.int32),
        "features": np.array([feature, -1, -1], dtype=np.int32),
        "thresholds": np.array([0.5, 0.0, 0.0]),
        "values": np.array([[(left * left_cover + right * right_cover) / (left_cover + right_cover)], [left], [right]]),
        "node_sample_weight": np.array([left_cover + right_cover, left_cover, right_cover]),
    }


FOREST = Forest(trees=(stump(0, -1.0, 1.0, 3, 1), stump(2, 0.2, -0.2, 2, 2)), num_features=4)
SLOTS = ["dette_sociale", "region", "region", "effectif"]
TOPICS = {"dette_sociale": "dettes_sociales", "region": "contexte", "effectif": "effectif"}
SCHEMA = T.StructType(
    [
        T.StructField("siren", T.StringType()),
        T.StructField("dette_sociale", T.DoubleType()),
        T.StructField("region", T.StringType()),
        T.StructField("effectif", T.IntegerType()),
        T.StructField("vector", T.ArrayType(T.DoubleType())),
        T.StructField("wanted", T.BooleanType()),
    ]
)
ROWS = [
    ("A", 25000.0, "84", 12, [1.0, 0.0, 1.0, 0.0], True),
    ("B", 0.0, "11", None, [0.0, 1.0, 0.0, 0.0], True),
    ("C", 1.0, "84", 40, [1.0, 0.0, 1.0, 0.0], False),
    ("D", 30000.0, "11", 5, [1.0, 1.0, 0.0, 0.0], True),
]


def run(spark, **options):
    df = spark.createDataFrame(ROWS, SCHEMA).repartition(2)
    out = explain(df, FOREST, vector="vector", slot_features=SLOTS, topics=TOPICS, categorical=["region"], **options)
    return {r["siren"]: r for r in out.collect()}, out


@pytest.fixture(scope="module")
def explained(spark):
    return run(spark, when="wanted")


def test_forest_margin_walks_the_trees():
    x = np.array([r[4] for r in ROWS])
    assert np.allclose(FOREST.margin(x), [0.8, -0.8, 0.8, 1.2])


def test_contributions_per_topic_and_base_in_log_odds(explained):
    rows, out = explained
    assert [c for c in out.columns] == [
        "siren",
        "dette_sociale",
        "region",
        "effectif",
        "wanted",
        "base_log_odds",
        "contributions",
        "top_factors",
    ]
    a, b = rows["A"], rows["B"]
    assert a["base_log_odds"] == pytest.approx(-1.0) and b["base_log_odds"] == pytest.approx(-1.0)
    assert a["contributions"] == pytest.approx({"contexte": -0.4, "dettes_sociales": 3.0, "effectif": 0.0})
    assert b["contributions"] == pytest.approx({"contexte": 0.4, "dettes_sociales": -1.0, "effectif": 0.0})
    # additive: base + contributions = 2 * margin, never a sigmoid of a single contribution
    assert a["base_log_odds"] + sum(a["contributions"].values()) == pytest.approx(2 * 0.8)
    assert b["base_log_odds"] + sum(b["contributions"].values()) == pytest.approx(2 * -0.8)


def test_top_factors_are_the_features_raising_the_risk_with_their_values(explained):
    rows, _ = explained
    (a_factor,) = rows["A"]["top_factors"]
    assert (a_factor["feature"], a_factor["topic"], a_factor["value"], a_factor["level"]) == (
        "dette_sociale",
        "dettes_sociales",
        25000.0,
        None,
    )
    assert a_factor["contribution"] == pytest.approx(3.0)
    (b_factor,) = rows["B"]["top_factors"]  # dette_sociale lowers B's risk: not a factor
    assert (b_factor["feature"], b_factor["value"], b_factor["level"]) == ("region", None, "11")
    assert b_factor["contribution"] == pytest.approx(0.4)
    assert [(f["feature"], f["value"], f["level"]) for f in rows["D"]["top_factors"]] == [
        ("dette_sociale", 30000.0, None),
        ("region", None, "11"),
    ]


def test_only_the_rows_asked_for_are_explained_and_top_caps_the_factors(spark, explained):
    c = explained[0]["C"]
    assert (c["base_log_odds"], c["contributions"], c["top_factors"]) == (None, None, None)
    everyone, _ = run(spark, top=1)
    assert everyone["C"]["contributions"] == pytest.approx({"contexte": -0.4, "dettes_sociales": 3.0, "effectif": 0.0})
    assert [[f["feature"] for f in everyone[k]["top_factors"]] for k in "ABCD"] == [
        ["dette_sociale"],
        ["region"],
        ["dette_sociale"],
        ["dette_sociale"],
    ]


def test_slot_names_must_match_the_model_and_values_must_be_there(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    with pytest.raises(ValueError, match="3 slot names for a model of 4 features"):
        explain(df, FOREST, vector="vector", slot_features=SLOTS[:3], topics=TOPICS, categorical=["region"])
    with pytest.raises(ValueError, match="missing: effectif"):
        explain(
            df.drop("effectif"), FOREST, vector="vector", slot_features=SLOTS, topics=TOPICS, categorical=["region"]
        )
