"""Training runs side by side, from a hand-made `mlflow.search_runs` table."""

from __future__ import annotations

import math

import pandas as pd

from signaux_spark.analysis.models import changed_params, run_label, side_by_side, trainings, trials

RUNS = pd.DataFrame(
    [
        # two trainings (one with a different search space), a failed one, and the trials of the first
        {
            "run_id": "r1",
            "status": "FINISHED",
            "start_time": pd.Timestamp("2026-01-02"),
            "tags.mlflow.runName": "train-2024-10",
            "tags.mlflow.parentRunId": None,
            "tags.model_version": "2",
            "params.space.max_depth": "[2, 4]",
            "params.split_test_end": "2023-04",
            "params.max_depth": None,
            "metrics.test_ap": 0.30,
            "metrics.valid_ap": 0.2,
            "metrics.trial_seconds": None,
        },
        {
            "run_id": "r0",
            "status": "FINISHED",
            "start_time": pd.Timestamp("2026-01-01"),
            "tags.mlflow.runName": "train-2024-10",
            "tags.mlflow.parentRunId": None,
            "tags.model_version": "1",
            "params.space.max_depth": "[3, 3]",
            "params.split_test_end": "2023-04",
            "params.max_depth": None,
            "metrics.test_ap": 0.25,
            "metrics.valid_ap": 0.3,
            "metrics.trial_seconds": None,
        },
        {
            "run_id": "rx",
            "status": "FAILED",
            "start_time": pd.Timestamp("2026-01-03"),
            "tags.mlflow.runName": "train-2024-10",
            "tags.mlflow.parentRunId": None,
            "tags.model_version": None,
            "params.space.max_depth": "[9, 9]",
            "params.split_test_end": "2023-04",
            "params.max_depth": None,
            "metrics.test_ap": None,
            "metrics.valid_ap": None,
            "metrics.trial_seconds": None,
        },
        {
            "run_id": "t1",
            "status": "FINISHED",
            "start_time": pd.Timestamp("2026-01-02"),
            "tags.mlflow.runName": "trial-1",
            "tags.mlflow.parentRunId": "r1",
            "tags.model_version": None,
            "params.space.max_depth": None,
            "params.split_test_end": None,
            "params.max_depth": "2",
            "metrics.test_ap": None,
            "metrics.valid_ap": 0.1,
            "metrics.trial_seconds": 3.0,
        },
        {
            "run_id": "t2",
            "status": "FINISHED",
            "start_time": pd.Timestamp("2026-01-02"),
            "tags.mlflow.runName": "trial-2",
            "tags.mlflow.parentRunId": "r1",
            "tags.model_version": None,
            "params.space.max_depth": None,
            "params.split_test_end": None,
            "params.max_depth": "4",
            "metrics.test_ap": None,
            "metrics.valid_ap": 0.2,
            "metrics.trial_seconds": 5.0,
        },
    ]
)


def test_trainings_keep_finished_top_level_runs_newest_first():
    found = trainings(RUNS)
    assert list(found["run_id"]) == ["r1", "r0"]
    assert [run_label(r) for _, r in found.iterrows()] == ["v2 train-2024-10", "v1 train-2024-10"]
    assert run_label(RUNS.iloc[2]) == "train-2024-10"


def test_changed_params_and_side_by_side():
    found = trainings(RUNS)
    assert changed_params(found) == ["space.max_depth"]
    table = side_by_side(found, params=changed_params(found), metrics=["test_ap", "valid_ap", "test_brier"])
    assert list(table.columns) == ["v2 train-2024-10", "v1 train-2024-10"]
    assert list(table.index) == ["param space.max_depth", "test_ap", "valid_ap", "test_brier"]
    assert table.loc["param space.max_depth", "v2 train-2024-10"] == "[2, 4]"
    assert table.loc["test_ap", "v1 train-2024-10"] == 0.25
    assert math.isnan(table.loc["test_brier", "v1 train-2024-10"])


def test_trials_of_one_training_best_first():
    table = trials(RUNS, "r1")
    assert list(table["runName"]) == ["trial-2", "trial-1"]
    assert list(table["max_depth"]) == ["4", "2"] and list(table["valid_ap"]) == [0.2, 0.1]
    assert "space.max_depth" not in table and trials(RUNS, "r0").empty
