"""jobs/train.py and jobs/evaluate.py end to end on a small firm-month table written in the test:
registration with everything scoring needs, reproducibility, promotion, the oracle check."""

from __future__ import annotations

import datetime as dt

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from pyspark.ml.classification import GBTClassificationModel
from pyspark.sql import functions as F

from signaux_spark import cli, tables
from signaux_spark.io import Lake
from signaux_spark.model.pipeline import CALIBRATED, RAW
from signaux_spark.model.registry import load_model
from signaux_spark.model.toy_tables import CATEGORICAL, FEATURE_GROUPS, firm_months
from signaux_spark.tracking import configure_mlflow
from tests.helpers import job_main as job
from tests.helpers import make_settings

pytestmark = pytest.mark.slow  # tunes and trains models: make test-fast leaves it out

FEATURES = [c for cols in FEATURE_GROUPS.values() for c in cols if c not in CATEGORICAL]
SMALL = [
    "model.horizon_months=6",
    "model.gap_months=6",
    "model.test_months=6",
    "model.validation_months=6",
    f"model.features={FEATURES}",
    f"model.categorical={CATEGORICAL}",
    "model.list_share=0.05",
    "model.tuning.max_evals=2",
    "model.tuning.space.max_iter=[3, 5]",
    "model.tuning.space.max_depth=[2, 3]",
    "model.tuning.space.min_leaf_share=[0.0005, 0.01]",
    "model.negative_sample_rate=0.7",
    "model.tuning.max_fit_rows=800",
]


@pytest.fixture(scope="module")
def trained(spark, tmp_path_factory):
    """Two trainings with the same data, conf and seed and auto-promotion on: the first becomes
    champion (there is none yet), the second only ties with it on the same test rows."""
    root = tmp_path_factory.mktemp("train")
    settings = make_settings(root)
    base = [f"paths.root={root}", "spark.master=local[2]", "spark.shuffle_partitions=2"] + SMALL
    features, labels, truth = firm_months(spark, firms=120, start=dt.date(2018, 1, 1), months=42, unlabelled_months=6)
    lake = Lake(settings)
    lake.write(features, tables.FEATURES)
    lake.write(labels, tables.LABELS)
    truth.write.parquet(str(root / "truth" / "firm_months"))
    base.append("model.auto_promote=true")
    assert cli.run(job("train"), ["--as-of", "2021-06"] + base) == 0
    assert cli.run(job("train"), ["--as-of", "2021-06"] + base) == 0
    configure_mlflow(settings)
    runs = mlflow.search_runs(
        filter_string="tags.mlflow.runName = 'train-2021-06'", order_by=["start_time ASC"], output_format="list"
    )
    return {"root": root, "settings": settings, "args": base, "runs": runs}


def test_each_training_is_one_parent_run_with_a_nested_run_per_trial(trained):
    first = trained["runs"][0]
    assert len(trained["runs"]) == 2
    params = first.data.params
    assert (
        params["split_train_end"],
        params["split_valid_start"],
        params["split_valid_end"],
        params["split_test_start"],
        params["split_test_end"],
    ) == ("2019-02", "2019-08", "2020-01", "2020-07", "2020-12")
    assert params["version.gold/features"] == "0" and params["version.gold/labels"] == "0"
    metrics = first.data.metrics
    for name in (
        "ap",
        "area_under_pr",
        "roc_auc",
        "brier",
        "log_loss",
        "recall_modere",
        "list_precision",
        "list_recall",
        "nosignal_ap",
        "nosignal_roc_auc",
        "ece",
        "nosignal_ece",
    ):
        assert 0 <= metrics[f"test_{name}"] <= 1 and f"valid_{name}" in metrics, name
    # precision at a threshold no test row reaches is undefined, not 0
    for level in ("fort", "modere"):
        alerts, precision = metrics[f"test_alert_share_{level}"], metrics[f"test_precision_{level}"]
        assert 0 <= precision <= 1 if alerts > 0 else np.isnan(precision)
    # negatives down-sampled at 0.7 for fitting, and further for the trials (800 rows at most, give or
    # take the draw); the final model is fitted on train + validation at 0.7, the trials' cap aside
    assert metrics["train_rows_fitted"] <= 800 * 1.1 < 0.7 * metrics["train_rows"]
    fitted, rows = metrics["final_rows_fitted"], metrics["train_rows"] + metrics["valid_rows"]
    assert 0.6 * rows < fitted < rows
    trials = MlflowClient().search_runs(
        [first.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{first.info.run_id}'"
    )
    assert len(trials) == 2 and all("valid_ap" in t.data.metrics and "max_depth" in t.data.params for t in trials)
    artifacts = {
        a.path
        for folder in ("plots", "tables")
        for a in mlflow.artifacts.list_artifacts(run_id=first.info.run_id, artifact_path=folder)
    }
    assert {
        "plots/pr_curve.png",
        "plots/calibration.png",
        "plots/importances.png",
        "plots/region_precision.png",
        "tables/test_reliability.json",
        "tables/test_region_lists.json",
    } <= artifacts


def test_same_data_conf_and_seed_give_the_same_parameters_and_metrics(trained):
    first, second = trained["runs"]
    chosen = {k: v for k, v in first.data.params.items() if k.startswith("best.")}
    assert chosen and chosen == {k: v for k, v in second.data.params.items() if k.startswith("best.")}
    evaluated = {k: v for k, v in first.data.metrics.items() if k.startswith(("valid_", "test_", "threshold_"))}
    np.testing.assert_equal(evaluated, {k: v for k, v in second.data.metrics.items() if k in evaluated})  # nan == nan


def test_auto_promotion_only_without_a_champion_or_for_a_better_model(trained):
    client = MlflowClient()
    name = trained["settings"].mlflow.model_name
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"
    first, second = trained["runs"]
    # compared on the same test rows: an identical model ties, which is not better
    assert second.data.metrics["champion_test_ap"] == first.data.metrics["test_ap"]
    assert (first.data.tags["promoted"], second.data.tags["promoted"]) == ("true", "false")


def test_the_registered_model_carries_what_scoring_needs(spark, trained):
    settings = trained["settings"]
    model = load_model(settings)
    assert (model.name, model.version) == ("signaux_faibles", "1")
    assert isinstance(model.classifier, GBTClassificationModel)
    assert model.features == FEATURES + CATEGORICAL
    assert len(model.slots) == model.classifier.numFeatures == len(model.slot_features)
    assert set(model.slot_features.values()) == set(model.features)
    assert model.slot_features["marge:missing"] == "marge" and model.slot_features["region=84"] == "region"
    assert model.topics["dette_sociale"] == "dettes_sociales" and model.topics["dette_ratio"] == "autre"
    assert model.calibration.method == "platt" and model.thresholds.fort >= model.thresholds.modere
    version = MlflowClient().get_model_version(settings.mlflow.model_name, "1")
    assert version.tags["threshold_fort"] == f"{model.thresholds.fort:.6f}" and version.tags["test_end"] == "2020-12"
    info = mlflow.models.get_model_info("models:/signaux_faibles/1")
    assert [c.name for c in info.signature.inputs.inputs] == model.features
    rows = Lake(settings).read(spark, tables.FEATURES).where(F.col("periode") == dt.date(2020, 7, 1))
    scored = model.score(rows).toPandas()
    assert len(scored) == rows.count()
    assert np.allclose(scored[CALIBRATED], model.calibration.apply(scored[RAW].to_numpy()))
    assert scored[RAW].corr(scored[CALIBRATED], method="spearman") == pytest.approx(1.0)


def test_evaluate_logs_the_oracle_beside_the_model(trained, capsys):
    assert cli.run(job("evaluate"), ["--alias", "challenger"] + trained["args"]) == 0
    second = trained["runs"][1]
    metrics = MlflowClient().get_run(second.info.run_id).data.metrics
    assert metrics["oracle_coverage"] == 1.0 and metrics["oracle_rows"] == second.data.metrics["test_rows"]
    assert metrics["oracle_model_test_ap"] == pytest.approx(second.data.metrics["test_ap"], abs=1e-12)
    assert metrics["oracle_ap_ratio"] == pytest.approx(metrics["oracle_model_test_ap"] / metrics["oracle_test_ap"])
    assert 0 < metrics["oracle_test_ap"] <= 1 and 0.5 < metrics["oracle_test_roc_auc"] <= 1
    assert "vs oracle" in capsys.readouterr().out


def test_evaluate_logs_what_knowing_the_hidden_state_alone_would_give(trained, spark, capsys):
    """A truth whose `state` is the label itself: the state-only score separates the rows perfectly."""
    folder = trained["root"] / "truth_with_state"
    labels = Lake(trained["settings"]).read(spark, tables.LABELS).select("siren", "periode", "failure")
    truth = spark.read.parquet(str(trained["root"] / "truth" / "firm_months"))
    truth.join(labels, ["siren", "periode"], "left").select(
        "siren",
        "periode",
        "p_failure_18m",
        F.when(F.col("failure") == 1, "critical").otherwise("sound").alias("state"),
    ).write.parquet(str(folder / "firm_months"))
    assert cli.run(job("evaluate"), ["--truth", str(folder)] + trained["args"]) == 0
    metrics = MlflowClient().get_run(trained["runs"][1].info.run_id).data.metrics
    assert metrics["state_only_test_ap"] == pytest.approx(1.0) and metrics["state_only_test_roc_auc"] == pytest.approx(
        1.0
    )
    assert metrics["state_only_ap_ratio"] == pytest.approx(1.0 / metrics["oracle_test_ap"])
    # the same on the rows without a strong signal (no social debt)
    assert metrics["nosignal_state_only_test_ap"] == pytest.approx(1.0)
    assert 0 < metrics["nosignal_oracle_model_test_ap"] <= 1
    assert metrics["nosignal_model_state_only_ap_ratio"] == pytest.approx(metrics["nosignal_oracle_model_test_ap"])
    assert "knowing only the hidden state: AP 1.0000" in capsys.readouterr().out


def test_evaluate_refuses_a_truth_table_without_the_oracle_column(trained, spark, capsys):
    bad = trained["root"] / "bad_truth"
    spark.createDataFrame([("000000001", dt.date(2020, 7, 1))], "siren string, periode date").write.parquet(
        str(bad / "firm_months")
    )
    assert cli.run(job("evaluate"), ["--truth", str(bad)] + trained["args"]) == 1
    assert "has no column(s) p_failure_18m" in capsys.readouterr().err


def test_train_fails_clearly_without_its_table(trained, capsys):
    assert cli.run(job("train"), ["--as-of", "2021-06", "model.feature_table=gold/nope"] + trained["args"]) == 1
    assert "table gold/nope not found" in capsys.readouterr().err
