"""Benchmark on real data: the public Taiwanese bankruptcy table (/work/shared/data/real/README.md)
through the generic-table settings only, our two estimators tuned by the training job's own
`train()` against untuned peers fitted in the same run on the same rows.

    .venv/bin/python bench/bench_real.py [--folds 4] [--trials 8] [--estimators gbt,xgboost] [KEY=VALUE ...]

The table has no time dimension: each firm gets a synthetic month, 2015-01 + (7919 x row + 12 x fold)
mod 48, so each fold rotates the months by a year and every firm is a test row in exactly one of 4
folds. With `--as-of 2018-12`, `horizon_months=0`, `gap_months=1` (blocks side by side) and 12-month
blocks: test = 2018 (25 %), validation = 2017 then 2016 (the two validation blocks), training = the
months before each. Peers are fitted on the rows of 2015-2017 (train + validation) and scored on
the same test rows: xgboost in-process with fixed parameters (eta 0.02, depth 11, subsample 0.9,
colsample 0.5, min_child_weight 5; 200 and 1000 rounds) and scikit-learn's
HistGradientBoostingClassifier (defaults). AP is step-wise (scikit-learn's average_precision_score,
the same definition as ours). Results go to bench/results/real-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signaux_spark.config import CONF_DIR, load_settings  # noqa: E402
from signaux_spark.io import Lake  # noqa: E402
from signaux_spark.model.real_tables import taiwan  # noqa: E402
from signaux_spark.model.training import train  # noqa: E402
from signaux_spark.progress import setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402

TAIWAN_CONF = str(CONF_DIR / "taiwan.yaml")  # the table's key, period, label and split
AS_OF = pd.Timestamp("2018-12-01").date()
TEST_FROM = pd.Timestamp("2018-01-01").date()


def peers(table: pd.DataFrame, features: list[str]) -> dict[str, dict[str, float]]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, roc_auc_score
    from xgboost import XGBClassifier

    fit, test = table[table["period"] < TEST_FROM], table[table["period"] >= TEST_FROM]
    x, y, xt, yt = fit[features], fit["bankrupt"], test[features], test["bankrupt"]
    fixed = dict(learning_rate=0.02, max_depth=11, subsample=0.9, colsample_bytree=0.5, min_child_weight=5)
    models = {
        "xgboost_200": XGBClassifier(n_estimators=200, random_state=1, n_jobs=2, **fixed),
        "xgboost_1000": XGBClassifier(n_estimators=1000, random_state=1, n_jobs=2, **fixed),
        "sklearn_hgb": HistGradientBoostingClassifier(random_state=1),
    }
    out = {}
    for name, model in models.items():
        t0 = time.monotonic()
        p = model.fit(x, y).predict_proba(xt)[:, 1]
        out[name] = {
            "ap": float(average_precision_score(yt, p)),
            "roc_auc": float(roc_auc_score(yt, p)),
            "seconds": time.monotonic() - t0,
            "test_rows": len(yt),
        }
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="/tmp/real-bench")
    p.add_argument("--folds", type=int, default=4)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--estimators", default="gbt,xgboost")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args()
    setup_logging()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    generic = [
        f"paths.root={args.root}",
        f"model.tuning.max_evals={args.trials}",
        f"model.tuning.early_stop_trials={args.trials}",  # the same budget for every estimator
        f"model.tuning.trials_dir={args.root}/trials/{stamp}",
    ]
    settings = load_settings([TAIWAN_CONF], overrides=generic + args.overrides)
    spark = build_session("signaux_spark-bench-real", settings)
    report: dict = {
        "machine": f"{platform.node()}, {spark.sparkContext.defaultParallelism} cores",
        "settings": [f"--conf {TAIWAN_CONF}", *generic, *args.overrides],
        "folds": [],
    }
    for fold in range(args.folds):
        table = taiwan(fold)
        features = [c for c in table.columns if c not in ("firm_id", "period", "bankrupt")]
        Lake(settings).write(spark.createDataFrame(table), "other/taiwan")
        row = {"fold": fold, "peers": peers(table, features)}
        for estimator in args.estimators.split(","):
            run_settings = load_settings(
                [TAIWAN_CONF],
                overrides=generic
                + args.overrides
                + [f"model.estimator={estimator}", f"mlflow.model_name=real_{estimator}"],
            )
            t0 = time.monotonic()
            result = train(spark, run_settings, AS_OF)
            row[estimator] = {
                "ap": result.test["ap"],
                "roc_auc": result.test["roc_auc"],
                "valid_ap": result.valid["ap"],
                "seconds": time.monotonic() - t0,
                "trials": result.trials,
                "test_rows": result.test["rows"],
                "best_params": result.best_params,
            }
        report["folds"].append(row)
        print(json.dumps(row, default=str), flush=True)
    names = [e for e in args.estimators.split(",")] + list(report["folds"][0]["peers"])
    summary = {}
    for name in names:
        values = [f[name] if name in f else f["peers"][name] for f in report["folds"]]
        summary[name] = {
            metric: {
                "mean": statistics.mean(v[metric] for v in values),
                "sd": statistics.stdev(v[metric] for v in values) if len(values) > 1 else 0.0,
            }
            for metric in ("roc_auc", "ap")
        }
    report["summary"] = summary
    out = ROOT / "bench" / "results" / f"real-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print("| model | ROC AUC | AP |\n| --- | --- | --- |")
    for name, s in summary.items():
        print(
            f"| {name} | {s['roc_auc']['mean']:.3f} +- {s['roc_auc']['sd']:.3f} | "
            f"{s['ap']['mean']:.3f} +- {s['ap']['sd']:.3f} |"
        )
    print(f"results: {out}; {np.round(list(__import__('os').getloadavg()), 2).tolist()} load average at the end")


if __name__ == "__main__":
    main()
