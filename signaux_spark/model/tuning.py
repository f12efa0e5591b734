"""Hyperparameter search behind one function, `tune()`, so another optimiser can replace Hyperopt.

Hyperopt TPE with plain `Trials` (Spark ML models cannot be pickled to workers, so trials run one
after the other on the driver, each fit being distributed by Spark). The trials are saved to a file
after each one: a tuning interrupted and started again with the same file resumes where it stopped
and proposes the same points as an uninterrupted one (the random stream is advanced past the
trials already done).

TPE draws its first trials at random (`startup_trials`: a third of the budget), then models the
losses seen. Early stopping only counts after those start-up trials: it stops when the best loss
has not improved for `early_stop` trials of TPE's own, so every search reaches TPE.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe

from signaux_spark.config import SearchSpace, XGBoostSpace

INTEGER_PARAMS = ("max_depth", "max_iter")
# Log scales where the effect is multiplicative; the rest uniform; a list of strings is a choice.
LOG_PARAMS = ("step_size", "learning_rate", "min_leaf_share", "reg_lambda", "positive_weight")


def search_space(space: SearchSpace | XGBoostSpace) -> dict[str, Any]:
    """The Hyperopt space of a search-space setting (one entry per field)."""
    out = {}
    for f in dataclasses.fields(space):
        name, bounds = f.name, getattr(space, f.name)
        if all(isinstance(b, str) for b in bounds):
            out[name] = hp.choice(name, list(bounds))
        elif name in INTEGER_PARAMS:
            out[name] = hp.quniform(name, bounds[0], bounds[1], 1)
        elif name in LOG_PARAMS:
            out[name] = hp.loguniform(name, math.log(bounds[0]), math.log(bounds[1]))
        else:
            out[name] = hp.uniform(name, bounds[0], bounds[1])
    return out


def startup_trials(max_evals: int) -> int:
    """TPE's random start-up trials: a third of the budget (Hyperopt's own default, 20, would leave
    TPE nothing to do on the budgets of a training)."""
    return max(1, max_evals // 3)


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
    space: SearchSpace | XGBoostSpace,
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

    startup = startup_trials(max_evals)
    stopped = _no_progress(trials, early_stop, startup)[0]
    if not stopped and resumed < max_evals:
        fmin(
            run,
            hyperopt_space,
            algo=partial(tpe.suggest, n_startup_jobs=startup),
            max_evals=max_evals,
            trials=trials,
            rstate=rstate,
            early_stop_fn=lambda t, *a: _no_progress(t, early_stop, startup),
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


def _no_progress(trials: Trials, patience: int, startup: int) -> tuple[bool, list]:
    """Stateless early stop (so it survives a resume): `patience` trials after the start-up trials
    and after the best one, none has done better."""
    losses = [t["result"]["loss"] for t in trials.trials if t["result"].get("status") == STATUS_OK]
    if not losses or patience <= 0:
        return False, []
    since = max(int(np.argmin(losses)), startup - 1)
    return len(losses) - 1 - since >= patience, []


def _values(trial: dict) -> dict[str, Any]:
    return {k: v[0] for k, v in trial["misc"]["vals"].items() if v}


def _load(trials_file: str | None) -> Trials:
    if trials_file and os.path.exists(trials_file):
        import pickle

        with open(trials_file, "rb") as f:
            return pickle.load(f)
    return Trials()
