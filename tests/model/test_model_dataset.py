"""Rows, exclusions and the time split of the model's data set."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from signaux_spark.config import ConfigError, load_settings
from signaux_spark.errors import JobError
from signaux_spark.model import dataset
from signaux_spark.model.dataset import BLOCK, STRONG, WEIGHT
from signaux_spark.months import add_months

D = dt.date


def model_settings(**overrides):
    return load_settings(overrides=[f"model.{k}={v}" for k, v in overrides.items()]).model


def test_split_with_the_default_18_month_gaps():
    split = dataset.time_split(D(2024, 12, 1), model_settings())
    assert split.params() == {
        "split_as_of": "2024-12",
        "split_train_start": "all",
        "split_train_end": "2018-08",
        "split_valid_start": "2020-02",
        "split_valid_end": "2021-01",
        "split_test_start": "2022-07",
        "split_test_end": "2023-06",
        # the second validation block: the 12 months before the first, trained up to 18 months before it
        "split_fold1_train_end": "2017-08",
        "split_fold1_valid_start": "2019-02",
        "split_fold1_valid_end": "2020-01",
    }


@pytest.mark.parametrize("gap", [1, 18])
def test_validation_blocks_sit_side_by_side_each_with_its_gap_before_it(gap):
    s = dataset.time_split(D(2024, 12, 1), model_settings(validation_blocks=3, gap_months=gap, train_months=24))
    folds = s.folds
    assert len(folds) == 3 and folds[0].valid_start == s.valid_start and folds[0].train_end == s.train_end
    for later, earlier in zip(folds, folds[1:], strict=False):
        assert add_months(earlier.valid_end, 1) == later.valid_start
    for fold in folds:
        assert add_months(fold.train_end, gap) == fold.valid_start
        assert add_months(fold.valid_start, 11) == fold.valid_end
        assert add_months(fold.train_start, 23) == fold.train_end


@pytest.mark.parametrize("horizon,gap,test,valid,train", [(18, 18, 12, 12, 0), (6, 6, 3, 4, 24), (0, 1, 1, 1, 1)])
def test_no_training_label_window_reaches_the_next_block(horizon, gap, test, valid, train):
    s = dataset.time_split(
        D(2024, 5, 1),
        model_settings(
            horizon_months=horizon, gap_months=gap, test_months=test, validation_months=valid, train_months=train
        ),
    )
    # a label at month m looks at (m, m + horizon]: with gap >= horizon it ends before the next block
    assert add_months(s.train_end, gap) == s.valid_start
    assert add_months(s.valid_end, gap) == s.test_start
    assert add_months(s.test_end, horizon) == s.as_of
    assert add_months(s.valid_start, valid - 1) == s.valid_end
    assert (s.train_start is None) == (train == 0)


def test_bad_month_settings_are_refused():
    with pytest.raises(ConfigError, match="gap_months"):
        model_settings(gap_months=0)
    with pytest.raises(ConfigError, match="negative_sample_rate"):
        model_settings(negative_sample_rate=0)


SCHEMA = (
    "siren string, periode date, in_perimeter boolean, in_proceeding_known boolean, failure int, "
    "region string, dette_sociale double, x double"
)


def rows_frame(spark):
    return spark.createDataFrame(
        [
            ("A", D(2021, 1, 1), True, False, 0, "84", 0.0, 1.0),  # train
            ("B", D(2021, 1, 1), False, False, 1, "84", 0.0, 1.0),  # out of the perimeter
            ("C", D(2021, 1, 1), True, True, 1, "84", 0.0, 1.0),  # already in a proceeding
            ("D", D(2021, 1, 1), True, False, None, "84", 0.0, 1.0),  # unlabelled
            ("E", D(2021, 2, 1), True, False, 1, "84", 0.0, 1.0),  # gap, and the second validation block
            ("F", D(2021, 3, 1), True, False, 1, "11", 500.0, 2.0),  # validation
            ("G", D(2021, 4, 1), True, False, 0, "11", 0.0, 1.0),  # gap between validation and test
            ("H", D(2021, 5, 1), True, False, 1, "11", None, None),  # test
            ("I", D(2021, 6, 1), True, False, 0, "11", 0.0, 1.0),  # after the test months
            ("J", D(2020, 6, 1), True, None, 1, "84", 0.0, 3.0),  # exclusion unknown: kept, train
            ("K", D(2021, 1, 1), None, False, 0, "84", 0.0, 1.0),  # perimeter unknown: out
        ],
        SCHEMA,
    )


SMALL = dict(horizon_months=1, gap_months=2, test_months=1, validation_months=1)
SPEC = dataset.FeatureSpec(numeric=["x", "dette_sociale"], categorical=[], topics={})


def test_modelling_rows_keep_labelled_perimeter_rows_of_each_block(spark):
    split = dataset.time_split(D(2021, 6, 1), model_settings(**SMALL))
    rows = dataset.modelling_rows(rows_frame(spark), model=model_settings(**SMALL), spec=SPEC, split=split)
    got = {r["siren"]: (r[BLOCK], r[STRONG], r["failure"]) for r in rows.collect()}
    assert got == {
        "A": ("train", False, 0.0),
        "J": ("train", False, 1.0),
        "E": ("earlier", False, 1.0),
        "F": ("valid", True, 1.0),
        "H": ("test", False, 1.0),
    }
    assert rows.columns == ["siren", "periode", "failure", "region", STRONG, BLOCK, "x", "dette_sociale"]
    counts = dataset.block_counts(rows, "failure")
    assert counts["train"] == {"rows": 2, "positives": 1, "bad_labels": 0}


def test_a_label_other_than_0_or_1_fails_clearly(spark):
    split = dataset.time_split(D(2021, 6, 1), model_settings(**SMALL))
    frame = rows_frame(spark).withColumn("failure", F.when(F.col("siren") == "A", 2).otherwise(F.col("failure")))
    rows = dataset.modelling_rows(frame, model=model_settings(**SMALL), spec=SPEC, split=split)
    counts = dataset.block_counts(rows, "failure")
    assert counts["train"]["bad_labels"] == 1 and counts["train"]["rows"] == 2
    with pytest.raises(JobError, match="1 labelled rows have a label other than 0 or 1"):
        dataset.check_blocks(counts, split)


def test_a_block_with_one_class_only_fails_clearly():
    split = dataset.time_split(D(2021, 6, 1), model_settings(**SMALL))
    counts = {
        "train": {"rows": 5, "positives": 2},
        "valid": {"rows": 3, "positives": 0},
        "test": {"rows": 4, "positives": 1},
    }
    with pytest.raises(JobError, match=r"the valid block \(2021-03 to 2021-03\) has 3 labelled rows and 0 positives"):
        dataset.check_blocks(counts, split)


def test_each_earlier_validation_block_is_counted_and_needs_both_classes(spark):
    model = model_settings(**SMALL)
    split = dataset.time_split(D(2021, 6, 1), model)
    rows = dataset.modelling_rows(rows_frame(spark), model=model, spec=SPEC, split=split)
    counts = dataset.fold_counts(rows, split, label="failure", period="periode")
    # block 2 = 2021-02 (row E, a positive), trained on months up to 2020-12 (row J, a positive)
    assert counts == [{"train_rows": 1, "train_positives": 1, "valid_rows": 1, "valid_positives": 1}]
    with pytest.raises(JobError, match=r"validation block 2 \(2021-02 to 2021-02\) has 1 labelled train rows"):
        dataset.check_folds(counts, split)
    dataset.check_folds([{"train_rows": 2, "train_positives": 1, "valid_rows": 2, "valid_positives": 1}], split)


def test_missing_columns_and_a_non_date_period_fail_clearly(spark):
    split = dataset.time_split(D(2021, 6, 1), model_settings(**SMALL))
    spec = dataset.FeatureSpec(numeric=["x", "paydex"], categorical=[], topics={})
    with pytest.raises(JobError, match="has no column.s. paydex"):
        dataset.modelling_rows(rows_frame(spark), model=model_settings(**SMALL), spec=spec, split=split)
    as_text = rows_frame(spark).withColumn("periode", F.col("periode").cast("string"))
    with pytest.raises(JobError, match="period column periode must be a DATE"):
        dataset.modelling_rows(as_text, model=model_settings(**SMALL), spec=SPEC, split=split)


def test_a_strong_signal_rule_on_an_unknown_column_fails_clearly(spark):
    model = model_settings(**SMALL, strong_signal="dette_urssaf > 0")
    with pytest.raises(JobError, match="model.strong_signal 'dette_urssaf > 0' cannot be evaluated"):
        dataset.modelling_rows(
            rows_frame(spark), model=model, spec=SPEC, split=dataset.time_split(D(2021, 6, 1), model)
        )


def test_an_outcome_column_cannot_be_a_feature():
    spec = dataset.FeatureSpec(numeric=["x", "next_opening"], categorical=[], topics={})
    with pytest.raises(ConfigError, match="next_opening"):
        dataset.check_features(spec, {"failure", "next_opening", "in_proceeding_known"})


def test_feature_list_from_the_features_stage_or_from_the_model_settings():
    settings = load_settings()
    settings.features.groups = {"dettes_sociales": ["dette_sociale", "dette_ratio"], "contexte": ["region"]}
    settings.features.categorical = ["region", "naf_section"]
    spec = dataset.feature_spec(settings)
    assert spec.numeric == ["dette_sociale", "dette_ratio"] and spec.categorical == ["region", "naf_section"]
    assert spec.topics == {
        "dette_sociale": "dettes_sociales",
        "dette_ratio": "dettes_sociales",
        "region": "contexte",
        "naf_section": "autre",
    }
    settings.model.features, settings.model.categorical = ["ratio_a", "dette_sociale"], []
    spec = dataset.feature_spec(settings)
    assert spec.columns == ["ratio_a", "dette_sociale"] and spec.categorical == []
    assert spec.topics == {"ratio_a": "autre", "dette_sociale": "dettes_sociales"}
    settings.model.features, settings.features.groups = [], {}
    with pytest.raises(ConfigError, match="no features"):
        dataset.feature_spec(settings)


def test_all_features_but_keys_outcomes_and_the_excluded_ones(spark):
    settings = load_settings(overrides=["model.features=all", "model.exclude_features=[x]", "model.categorical=[y]"])
    schema = rows_frame(spark).withColumn("y", F.lit(1)).withColumn("next_opening", F.lit(D(2020, 1, 1))).schema
    spec = dataset.feature_spec(settings, schema, outcomes={"failure", "in_proceeding_known", "next_opening"})
    # siren, periode, in_perimeter, the outcomes: out; region (a string) and y: categorical; x: excluded
    assert spec.numeric == ["dette_sociale"] and spec.categorical == ["y", "region"]
    with pytest.raises(ConfigError, match="must be a list of column names or 'all'"):
        load_settings(overrides=["model.features=everything"])


def test_negative_sampling_keeps_positives_and_reweights_negatives(spark):
    df = spark.range(4000).select(
        F.col("id").cast("string").alias("siren"),
        F.lit(D(2020, 1, 1)).alias("periode"),
        (F.col("id") % 10 == 0).cast("double").alias("failure"),
    )
    sampled = dataset.sample_negatives(df, label="failure", key="siren", period="periode", rate=0.25, seed=7)
    stats = (
        sampled.groupBy("failure").agg(F.count("*").alias("n"), F.sum(WEIGHT).alias("w")).orderBy("failure").collect()
    )
    negatives, positives = stats
    assert positives["n"] == 400 and positives["w"] == 400
    assert 3600 * 0.25 * 0.85 < negatives["n"] < 3600 * 0.25 * 1.15
    assert negatives["w"] == pytest.approx(negatives["n"] * 4)
    again = dataset.sample_negatives(
        df.repartition(7), label="failure", key="siren", period="periode", rate=0.25, seed=7
    )
    assert sorted(r[0] for r in again.select("siren").collect()) == sorted(
        r[0] for r in sampled.select("siren").collect()
    )
    assert (
        dataset.sample_negatives(df, label="failure", key="siren", period="periode", rate=1.0, seed=7).count() == 4000
    )


def test_the_tuning_cap_lowers_the_negative_share_only_when_needed():
    cap = dataset.capped_negative_rate
    # 643k rows, 6k positives, capped at 100k: 94k of the 637k negatives kept
    assert cap(643_000, 6_000, rate=1.0, max_rows=100_000) * 637_000 == pytest.approx(94_000)
    # already under the cap at the model's own rate, or no cap: that rate
    assert cap(643_000, 6_000, rate=0.1, max_rows=100_000) == 0.1
    assert cap(90_000, 6_000, rate=1.0, max_rows=100_000) == 1.0
    assert cap(643_000, 6_000, rate=1.0, max_rows=0) == 1.0
    # positives near the cap: as many negatives as positives, the cap exceeded rather than the classes upturned
    assert cap(1_000_000, 60_000, rate=1.0, max_rows=100_000) * 940_000 == pytest.approx(60_000)
    with pytest.raises(ConfigError, match="max_fit_rows"):
        load_settings(overrides=["model.tuning.max_fit_rows=-1"])
