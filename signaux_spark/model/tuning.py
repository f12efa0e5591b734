"""Hyperparameter search behind one function, `tune()`, so another optimiser can replace Hyperopt.

Hyperopt TPE with plain `Trials` (Spark ML models cannot be pickled to workers, so trials run one
after the other on the driver, each fit being distributed by Spark). The trials are saved to a file
after each one: a tuning interrupted and started again with the same file resumes where it stopped
and proposes the same points as an uninterrupted one (the random stream is advanced past the
trials already done). It stops early when the best loss has not improved for `early_stop` trials.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe

from signaux_spark.config import SearchSpace

INTEGER_PARAMS = ("max_depth", "max_iter", "min_instances_per_node")


def search_space(space: SearchSpace) -> dict[str, Any]:
    """The Hyperopt space of the GBT parameters; log scales where the effect is multiplicative."""
    return {
        "max_depth": hp.quniform("max_depth", space.max_depth[0], space.max_depth[1], 1),
        "max_iter": hp.quniform("max_iter", space.max_iter[0], space.max_iter[1], 1),
        "step_size": hp.loguniform("step_size", math.log(space.step_size[0]), math.log(space.step_size[1])),
        "subsampling_rate": hp.uniform("subsampling_rate", space.subsampling_rate[0], space.subsampling_rate[1]),
        "min_instances_per_node": hp.qloguniform(
            "min_instances_per_node",
            math.log(space.min_instances_per_node[0]),
            math.log(space.min_instances_per_node[1]),
            1,
        ),
        "feature_subset": hp.choice("feature_subset", list(space.feature_subset)),
        "positive_weight": hp.loguniform(
            "positive_weight", math.log(space.positive_weight[0]), math.log(space.positive_weight[1])
        ),
    }


def decode(params: dict[str, Any]) -> dict[str, Any]:
    """Hyperopt's quantised values are floats: the integer parameters become ints."""
    return {k: int(round(v)) if k in INTEGER_PARAMS else v for k, v in params.items()}


@dataclass
class TuningResult:
    best_params: dict[str, Any]
    best_loss: float
    history: list[tuple[dict[str, Any], float]]  # (params, loss) per trial, in order
    resumed: int  # trials read back from the trials file
    stopped_early: bool


def tune(
    objective: Callable[[dict[str, Any]], float],
    space: SearchSpace,
    *,
    max_evals: int,
    seed: int,
    early_stop: int,
    trials_file: str | None = None,
) -> TuningResult:
    """Minimise `objective(params) -> loss` over `space`; `params` holds plain Python values."""
    hyperopt_space = search_space(space)
    trials = _load(trials_file)
    resumed = len(trials.trials)
    rstate = np.random.default_rng(seed)
    for _ in range(resumed):  # fmin draws one seed per trial: skip those already used
        rstate.integers(2**31 - 1)

    def run(params: dict[str, Any]) -> dict[str, Any]:
        return {"loss": float(objective(decode(params))), "status": STATUS_OK}

    stopped = _no_progress(trials, early_stop)[0]
    if not stopped and resumed < max_evals:
        fmin(
            run,
            hyperopt_space,
            algo=tpe.suggest,
            max_evals=max_evals,
            trials=trials,
            rstate=rstate,
            early_stop_fn=lambda t, *a: _no_progress(t, early_stop),
            show_progressbar=False,
            trials_save_file=trials_file or "",
        )
        stopped = len(trials.trials) < max_evals
    history = [(decode(space_eval(hyperopt_space, _values(t))), t["result"]["loss"]) for t in trials.trials]
    best = min(range(len(history)), key=lambda i: history[i][1])
    return TuningResult(
        best_params=history[best][0],
        best_loss=history[best][1],
        history=history,
        resumed=resumed,
        stopped_early=stopped,
    )


def _no_progress(trials: Trials, patience: int, *args) -> tuple[bool, list]:
    """Stateless early stop (so it survives a resume): the best trial is `patience` trials old."""
    losses = [t["result"]["loss"] for t in trials.trials if t["result"].get("status") == STATUS_OK]
    if not losses or patience <= 0:
        return False, []
    return len(losses) - 1 - int(np.argmin(losses)) >= patience, []


def _values(trial: dict) -> dict[str, Any]:
    return {k: v[0] for k, v in trial["misc"]["vals"].items() if v}


def _load(trials_file: str | None) -> Trials:
    if trials_file and os.path.exists(trials_file):
        import pickle

        with open(trials_file, "rb") as f:
            return pickle.load(f)
    return Trials()
