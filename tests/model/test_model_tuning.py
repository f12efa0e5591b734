"""tune(): plain Python values, reproducible, resumable from its trials file, stops early."""

from __future__ import annotations

import pytest

from signaux_spark.config import SearchSpace, XGBoostSpace
from signaux_spark.model.tuning import startup_trials, tune


def loss(params):
    return (params["max_depth"] - 4) ** 2 + abs(params["step_size"] - 0.1) + params["max_iter"] / 100


def test_objective_gets_plain_values_and_the_best_is_the_lowest_loss():
    seen = []

    def objective(params):
        seen.append(params)
        return loss(params)

    space = SearchSpace()
    result = tune(objective, space, max_evals=5, seed=1, early_stop=10)
    assert len(seen) == 5 and result.resumed == 0 and not result.stopped_early
    for params in seen:
        assert isinstance(params["max_depth"], int) and isinstance(params["max_iter"], int)
        assert isinstance(params["min_leaf_share"], float)
        assert params["feature_subset"] in space.feature_subset
        for name in ("max_depth", "max_iter", "min_leaf_share", "step_size", "positive_weight"):
            low, high = getattr(space, name)
            assert low <= params[name] <= high, name
    assert result.best_loss == min(loss(p) for p in seen)
    assert result.best_params == min(seen, key=loss)


def test_same_seed_same_trials_and_an_interrupted_tuning_resumes_identically(tmp_path):
    straight = tune(loss, SearchSpace(), max_evals=6, seed=5, early_stop=10)
    assert tune(loss, SearchSpace(), max_evals=6, seed=5, early_stop=10).history == straight.history

    class Interrupted(Exception):
        pass

    calls = []

    def crashing(params):
        calls.append(params)
        if len(calls) == 4:
            raise Interrupted
        return loss(params)

    trials_file = str(tmp_path / "t.trials")
    with pytest.raises(Interrupted):
        tune(crashing, SearchSpace(), max_evals=6, seed=5, early_stop=10, trials_file=trials_file)
    rerun = []
    resumed = tune(
        lambda p: rerun.append(p) or loss(p), SearchSpace(), max_evals=6, seed=5, early_stop=10, trials_file=trials_file
    )
    assert resumed.resumed == 3 and len(rerun) == 3  # only the trials not finished run again
    assert resumed.history == straight.history


def test_stops_when_the_best_loss_stops_improving():
    losses = iter([5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 2.0])
    result = tune(lambda p: next(losses), SearchSpace(), max_evals=7, seed=1, early_stop=3)
    assert [h[1] for h in result.history] == [5.0, 4.0, 4.5, 4.2, 4.1]  # 3 trials without beating 4.0
    assert result.stopped_early and result.best_loss == 4.0


def test_the_xgboost_space_is_searched_within_its_bounds():
    space = XGBoostSpace()
    seen = []
    tune(lambda p: seen.append(p) or p["learning_rate"], space, max_evals=6, seed=3, early_stop=10)
    assert len(seen) == 6 and all(isinstance(p["max_depth"], int) for p in seen)
    for name in ("max_depth", "learning_rate", "subsample", "colsample_bytree", "min_leaf_share", "reg_lambda"):
        low, high = getattr(space, name)
        assert all(low <= p[name] <= high for p in seen), name


def test_early_stopping_waits_for_the_start_up_trials_then_gives_tpe_its_patience():
    assert [startup_trials(n) for n in (1, 6, 20)] == [1, 2, 6]
    losses = iter([1.0] + [2.0] * 20)  # the first trial stays the best
    result = tune(lambda p: next(losses), SearchSpace(), max_evals=12, seed=1, early_stop=2)
    # 4 random start-up trials, then 2 of TPE's without progress (before: stopped after 3 trials)
    assert len(result.history) == 6 and result.stopped_early
