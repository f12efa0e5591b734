"""The training job on another table, declared in conf only: the public Taiwanese bankruptcy data
(6,819 firms, 95 financial ratios; /work/shared/data/real/README.md) with its own key, period and
label names, the label in the feature table, no perimeter, exclusion, region or strong-signal column.

The data has no time dimension: each firm gets a synthetic month (2015-01 + 7919 x row mod 48),
which spreads firms evenly over 48 months, so the time split becomes a split of independent firms;
with no label horizon, `horizon_months=0` and `gap_months=1` (blocks side by side). The features
are `all` the columns but the key, period and label.
"""

from __future__ import annotations

import datetime as dt

import pytest
from mlflow import MlflowClient

from signaux_spark import cli
from signaux_spark.config import CONF_DIR
from signaux_spark.io import Lake
from signaux_spark.model.real_tables import taiwan
from signaux_spark.model.registry import load_model
from signaux_spark.tracking import configure_mlflow
from tests.helpers import job_main

pytestmark = pytest.mark.slow  # tunes a model on the Taiwan table: make test-fast leaves it out


def test_train_on_a_real_table_declared_in_conf(spark, settings, capsys):
    table = taiwan()
    features = [c for c in table.columns if c not in ("firm_id", "period", "bankrupt", "liability_assets_flag")]
    Lake(settings).write(spark.createDataFrame(table), "other/taiwan")
    args = [
        "--as-of",
        "2018-12",
        "--promote",
        "--conf",
        str(CONF_DIR / "taiwan.yaml"),  # the table declared: key, period, label, every other column a feature
        f"paths.root={settings.paths.root}",
        "spark.master=local[2]",
        "spark.shuffle_partitions=2",
        "model.tuning.max_evals=1",
        "model.tuning.space.max_iter=[6, 8]",
        "model.tuning.space.max_depth=[3, 4]",
        "model.tuning.space.positive_weight=[5, 20]",
        "model.tuning.space.min_leaf_share=[0.001, 0.015]",
        "model.calibration=isotonic",
    ]
    assert cli.run(job_main("train"), args) == 0
    out = capsys.readouterr().out
    assert "version 1" in out and "(champion)" in out

    configure_mlflow(settings)
    run = MlflowClient().get_run(load_model(settings, alias="champion").run_id)
    params, metrics = run.data.params, run.data.metrics
    assert (
        params["split_train_end"],
        params["split_valid_start"],
        params["split_test_start"],
        params["split_test_end"],
    ) == ("2016-12", "2017-01", "2018-01", "2018-12")
    expected = {
        b: int(((table["period"] >= dt.date(*start)) & (table["period"] <= dt.date(*end))).sum())
        for b, start, end in (("valid", (2017, 1, 1), (2017, 12, 1)), ("test", (2018, 1, 1), (2018, 12, 1)))
    }
    assert metrics["valid_rows"] == expected["valid"] and metrics["test_rows"] == expected["test"]
    assert metrics["test_roc_auc"] > 0.85  # published tree ensembles: 0.93-0.95 with far larger models
    assert "test_list_precision" not in metrics and "test_nosignal_ap" not in metrics
    model = load_model(settings, alias="challenger")
    assert model.calibration.method == "isotonic"
    assert model.features == features + ["liability_assets_flag"]
    assert model.slot_features["liability_assets_flag=1"] == "liability_assets_flag"
    assert set(model.topics.values()) == {"autre"}
