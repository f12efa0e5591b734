"""No leakage across the split: a planted feature that copies the label wherever the label is not
yet known at the training cut (its window ends after validation starts) cannot raise validation
metrics, because the gap keeps every such row out of training. With the gap reduced to nothing,
the same feature is learnt and validation AP jumps: the check can fail."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from signaux_spark.config import load_settings
from signaux_spark.model import dataset, estimators, metrics, pipeline
from signaux_spark.model.toy_tables import firm_months

PARAMS = {
    "max_depth": 3,
    "max_iter": 5,
    "step_size": 0.3,
    "subsampling_rate": 1.0,
    "min_leaf_share": 1e-9,  # leaves of 1 row
    "feature_subset": "all",
}
AS_OF = dt.date(2021, 6, 1)


@pytest.fixture(scope="module")
def table(spark):
    features, labels, _ = firm_months(spark, firms=120, start=dt.date(2018, 1, 1), months=42, unlabelled_months=6)
    frame = features.join(labels, ["siren", "periode"]).persist()
    frame.count()
    yield frame
    frame.unpersist()


def validation_ap(table, *, gap: int, features: list[str]) -> float:
    model = load_settings(
        overrides=[
            "model.horizon_months=6",
            f"model.gap_months={gap}",
            "model.test_months=6",
            "model.validation_months=6",
        ]
    ).model
    split = dataset.time_split(AS_OF, model)
    spec = dataset.FeatureSpec(numeric=features, categorical=[], topics={})
    rows = dataset.modelling_rows(table, model=model, spec=spec, split=split).withColumn(dataset.WEIGHT, F.lit(1.0))
    train, valid = rows.where(F.col(dataset.BLOCK) == "train"), rows.where(F.col(dataset.BLOCK) == "valid")
    prof = pipeline.profile(train, numeric=features, categorical=[], max_categories=10)
    prep = pipeline.preprocessing(prof, numeric=features, categorical=[], imputation="median").fit(train)
    fit = pipeline.with_fit_weight(prep.transform(train), label="failure", weight=dataset.WEIGHT, positive_weight=1.0)
    gbt = estimators.classifier(PARAMS, model, seed=1, fit_rows=estimators.FitRows(1, 0, 0), workers=2).fit(fit)
    scored = pipeline.score(gbt, prep.transform(valid))
    return metrics.average_precision(metrics.score_groups(scored, score=pipeline.RAW, label="failure"))


def test_a_feature_copying_labels_not_yet_known_at_the_cut_does_not_help(table):
    honest = dataset.time_split(
        AS_OF,
        load_settings(
            overrides=[
                "model.horizon_months=6",
                "model.gap_months=6",
                "model.test_months=6",
                "model.validation_months=6",
            ]
        ).model,
    )
    # label of month m covers (m, m + 6]: beyond the training cut for every m after train_end
    planted = table.withColumn(
        "leak", F.when(F.col("periode") > F.lit(honest.train_end), F.col("failure")).otherwise(F.lit(0)).cast("double")
    )
    base = ["dette_ratio", "marge", "paydex", "effectif"]
    without = validation_ap(planted, gap=6, features=base)
    with_leak = validation_ap(planted, gap=6, features=base + ["leak"])
    assert with_leak == pytest.approx(without, abs=1e-9)
    no_gap = validation_ap(planted, gap=1, features=base + ["leak"])  # training runs up to the month before validation
    assert no_gap > without + 0.3
