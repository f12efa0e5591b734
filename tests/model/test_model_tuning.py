"""tune(): plain Python values, reproducible, resumable from its trials file, stops early."""

from __future__ import annotations

import pytest

from signaux_spark.config import SearchSpace
from signaux_spark.model.tuning import tune


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
        assert isinstance(params["min_instances_per_node"], int)
        assert params["feature_subset"] in space.feature_subset
        for name in ("max_depth", "max_iter", "min_instances_per_node", "step_size", "positive_weight"):
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
