"""The second estimator (`model.estimator: xgboost`) through training, the registry and scoring: a
tiny XGBoost model trained by `train()` on two validation blocks with early stopping, registered,
loaded back, and scored with explanations that add up to its log-odds on every row."""

from __future__ import annotations

import datetime as dt

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from pyspark.sql import functions as F
from xgboost.spark import SparkXGBClassifierModel

from signaux_spark.model.registry import load_model
from signaux_spark.model.toy_tables import firm_months
from signaux_spark.scoring.explain import BASE, CONTRIBUTIONS
from signaux_spark.scoring.score import additivity_error, score_month
from signaux_spark.tracking import configure_mlflow
from tests.scoring.scoring_kit import settings_for, tiny_model


@pytest.fixture(scope="module")
def model(spark, tmp_path_factory):
    return tiny_model(spark, tmp_path_factory, estimator="xgboost")


@pytest.fixture(scope="module")
def month(spark):
    """A month of the tiny model's table (in its test block), with its nulls (marge, paydex)."""
    features, _, _ = firm_months(spark, firms=300, start=dt.date(2018, 1, 1), months=15, intercept=-2.5)
    month = features.where(F.col("periode") == dt.date(2019, 2, 1))
    return month.withColumn("proceeding_state", F.lit("In bonis")).cache()


def test_the_registered_model_is_xgboost_with_native_missing_values(model):
    _, m = model
    loaded = m.loaded
    assert loaded.estimator == "xgboost" and loaded.log_odds_per_margin == 1.0
    assert isinstance(loaded.classifier, SparkXGBClassifierModel)
    # no missing flag and no Imputer: nulls reach XGBoost as NaN
    assert not any(s.endswith(":missing") for s in loaded.slots)
    assert [type(s).__name__ for s in loaded.preprocessing.stages] == ["SQLTransformer", "VectorAssembler"]
    assert loaded.classifier.get_booster().num_features() == len(loaded.slots)
    requirements = mlflow.artifacts.load_text(f"runs:/{loaded.run_id}/model/requirements.txt")
    assert "xgboost==" in requirements


def test_training_stopped_early_on_each_validation_block_and_refit_with_the_latest_rounds(model):
    mlflow_dir, m = model
    configure_mlflow(settings_for(mlflow_dir, mlflow_dir))
    client = MlflowClient()
    run = client.get_run(m.loaded.run_id)
    trials = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{m.loaded.run_id}'"
    )
    assert len(trials) == 1
    trial = trials[0].data.metrics
    for block in (1, 2):
        assert 0 <= trial[f"valid_ap_block{block}"] <= 1 and 1 <= trial[f"rounds_block{block}"] <= 20
    assert trial["valid_ap"] == pytest.approx((trial["valid_ap_block1"] + trial["valid_ap_block2"]) / 2)
    assert int(run.data.params["final.rounds"]) == trial["rounds_block1"]
    assert m.forest.tree_count == trial["rounds_block1"]
    assert run.data.params["split_fold1_valid_end"] == "2018-08"  # block 2 ends where block 1 starts


def test_scores_are_the_log_odds_of_the_raw_probability_and_match_a_reload(spark, model, month, tmp_path):
    mlflow_dir, m = model
    scored = score_month(month, m, explain_rows="all", partitions=2).toPandas()
    assert len(scored) == month.where(F.col("in_perimeter")).count()
    raw = scored["probability_raw"].to_numpy()
    np.testing.assert_allclose(scored["log_odds"], np.log(raw / (1 - raw)), atol=1e-5)
    again = load_model(settings_for(tmp_path, mlflow_dir), version=m.version)
    reloaded = again.score(month.where(F.col("in_perimeter"))).orderBy("siren").toPandas()
    np.testing.assert_allclose(
        reloaded["probability_raw"].to_numpy(), scored.sort_values("siren")["probability_raw"].to_numpy()
    )


def test_explanations_add_up_to_the_log_odds_on_every_row(spark, model, month):
    _, m = model
    scored = score_month(month, m, explain_rows="all", partitions=2)
    summary = scored.agg(
        F.count("*").alias("rows"), F.count(BASE).alias("explained"), additivity_error().alias("error")
    ).first()
    assert summary["explained"] == summary["rows"] > 0
    assert summary["error"] < 1e-5  # XGBoost computes in float32
    rows = scored.select(CONTRIBUTIONS, BASE, "log_odds").toPandas()
    assert set(rows[CONTRIBUTIONS].iloc[0]) == {"contexte", "dettes_sociales", "effectif", "sante_financiere"}
    assert rows[BASE].nunique() == 1  # the base is the model's, the same for every firm
    assert rows[CONTRIBUTIONS].map(lambda c: c["dettes_sociales"]).std() > 0
