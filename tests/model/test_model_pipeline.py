"""Preprocessing stages: missing flags, imputation, one-hot levels, and the slot -> feature map."""

from __future__ import annotations

import pytest
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F

from signaux_spark.config import load_settings
from signaux_spark.model import estimators, pipeline

SCHEMA = "x double, y int, z double, z_missing int, w double, `ratio (%)` double, c string"
NUMERIC = ["x", "y", "z", "z_missing", "w", "ratio (%)"]


@pytest.fixture
def train(spark):
    return spark.createDataFrame(
        [
            (1.0, 5, 0.5, 0, None, 0.1, "a"),
            (None, 6, None, 1, None, 0.2, "a"),
            (2.0, 7, 1.5, 0, None, 0.3, "b"),
            (10.0, 8, 2.5, 0, None, 0.4, "a"),
            (float("nan"), 9, 3.5, 0, None, 0.5, "b"),
            (4.0, 10, 4.5, 0, None, 0.6, "it's"),
        ],
        SCHEMA,
    )


def test_slots_flag_missing_values_drop_empty_features_and_one_hot_levels(train):
    prof = pipeline.profile(train, numeric=NUMERIC, categorical=["c"], max_categories=2)
    assert prof.rows == 6 and prof.non_null["x"] == 4 and prof.non_null["w"] == 0
    assert prof.levels == {"c": ["a", "b"]}  # the 2 most frequent; "it's" is left out
    prep = pipeline.preprocessing(prof, numeric=NUMERIC, categorical=["c"], imputation="median")
    assert prep.dropped == ["w"]
    # x has nulls -> a flag; z has nulls but the table already has z_missing -> no second flag
    assert [(s.name, s.feature, s.kind) for s in prep.slots] == [
        ("x", "x", "value"),
        ("x:missing", "x", "missing"),
        ("y", "y", "value"),
        ("z", "z", "value"),
        ("z_missing", "z_missing", "value"),
        ("ratio (%)", "ratio (%)", "value"),
        ("c=a", "c", "level"),
        ("c=b", "c", "level"),
    ]


def test_assembled_vectors_impute_the_training_median(spark, train):
    prof = pipeline.profile(train, numeric=NUMERIC, categorical=["c"], max_categories=2)
    prep = pipeline.preprocessing(prof, numeric=NUMERIC, categorical=["c"], imputation="median")
    fitted = prep.fit(train)
    new = spark.createDataFrame([(None, 1, None, 1, 7.0, 0.9, "zz"), (3.0, 2, 1.0, 0, None, None, "b")], SCHEMA)
    got = [r[0] for r in fitted.transform(new).select(vector_to_array(pipeline.FEATURES)).collect()]
    # medians in training: x of 1, 2, 4, 10 -> 2; z of 0.5 .. 4.5 -> 2.5; ratio of 0.1 .. 0.6 -> 0.3
    assert got[0] == [2.0, 1.0, 1.0, 2.5, 1.0, 0.9, 0.0, 0.0]  # unseen level "zz": every level slot 0
    assert got[1] == [3.0, 0.0, 2.0, 1.0, 0.0, 0.3, 0.0, 1.0]


def test_fitted_classifier_gives_a_probability_per_row(train):
    rows = train.withColumn("label", (F.col("y") % 2).cast("double")).withColumn("_w", F.lit(1.0))
    prof = pipeline.profile(rows, numeric=NUMERIC, categorical=["c"], max_categories=5)
    vectors = (
        pipeline.preprocessing(prof, numeric=NUMERIC, categorical=["c"], imputation="mean").fit(rows).transform(rows)
    )
    weighted = pipeline.with_fit_weight(vectors, label="label", weight="_w", positive_weight=3.0)
    assert sorted({r[0] for r in weighted.select(pipeline.FIT_WEIGHT).collect()}) == [1.0, 3.0]
    params = {
        "max_depth": 2,
        "max_iter": 2,
        "step_size": 0.1,
        "subsampling_rate": 1.0,
        "min_leaf_share": 1e-9,
        "feature_subset": "all",
    }
    model = load_settings(overrides=["model.label_column=label", "model.max_bins=8"]).model
    gbt = estimators.classifier(params, model, seed=1, fit_rows=estimators.FitRows(1, 0, 0), workers=2).fit(weighted)
    scored = pipeline.score(gbt, vectors)
    assert scored.columns == vectors.columns + [pipeline.RAW]
    assert all(0 < r[0] < 1 for r in scored.select(pipeline.RAW).collect())


def test_native_missing_keeps_nulls_as_nan_without_flags_or_imputation(spark, train):
    prof = pipeline.profile(train, numeric=NUMERIC, categorical=["c"], max_categories=2)
    prep = pipeline.preprocessing(prof, numeric=NUMERIC, categorical=["c"], imputation="median", native_missing=True)
    assert [s.kind for s in prep.slots].count("missing") == 0 and len(prep.slots) == 7
    new = spark.createDataFrame([(None, 1, None, 1, 7.0, float("nan"), "zz")], SCHEMA)
    (got,) = [r[0] for r in prep.fit(train).transform(new).select(vector_to_array(pipeline.FEATURES)).collect()]
    assert [v if v == v else "nan" for v in got] == ["nan", 1.0, "nan", 1.0, "nan", 0.0, 0.0]


def test_leaf_shares_become_a_row_count_for_the_gbt_and_a_hessian_for_xgboost():
    rows = estimators.FitRows(rows=10_000, positives=100.0, negative_weight=9_900.0)
    assert rows.min_instances(0.001) == 10 and rows.min_instances(1e-9) == 1
    # weight 3: W = 300 + 9,900, p = 300 / W; hessian of 10 % of the rows = 0.1 W p (1 - p)
    assert rows.min_child_weight(0.1, 3.0) == pytest.approx(0.1 * 300 * 9_900 / 10_200)
