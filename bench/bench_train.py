"""Benchmark of jobs/train.py with each estimator (`model.estimator`, the same trial budget): rows
trained on, time per trial, total tuning time, and test average precision against the oracle's and
the state-only reference's on the same rows (all rows, and the rows without a strong signal).

On a lake built by the pipeline (features at `region` size, truth from the generator):
    .venv/bin/python bench/bench_train.py --root DIR --as-of 2024-12 [--trials 20] [KEY=VALUE ...]
On a synthetic firm-month table of region-like size (signaux_spark.model.toy_tables), written first:
    .venv/bin/python bench/bench_train.py --synthetic --firms 12000 --months 120 [--trials 20]

Everything (lake, MLflow, checkpoints) lives under --root (default /tmp/model-bench). Early stopping is
off and the trials file is new, so that exactly --trials trials run. The oracle figures come from the
oracle check of jobs/evaluate.py (signaux_spark/model/oracle.py). Results go to
bench/results/train-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

import mlflow
from mlflow import MlflowClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signaux_spark import tables  # noqa: E402
from signaux_spark.config import load_settings  # noqa: E402
from signaux_spark.io import Lake  # noqa: E402
from signaux_spark.model.oracle import log_oracle_metrics, oracle_metrics  # noqa: E402
from signaux_spark.model.registry import load_model  # noqa: E402
from signaux_spark.model.toy_tables import CATEGORICAL, FEATURE_GROUPS, firm_months  # noqa: E402
from signaux_spark.model.training import train  # noqa: E402
from signaux_spark.months import add_months, parse_month  # noqa: E402
from signaux_spark.progress import setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="/tmp/model-bench")
    p.add_argument("--as-of", default=None, help="YYYY-MM (synthetic: the last month of the table)")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--synthetic", action="store_true")
    p.add_argument("--firms", type=int, default=12_000)
    p.add_argument("--months", type=int, default=120)
    p.add_argument("--noise-features", type=int, default=30)
    p.add_argument("--truth", help="generator truth folder (default: <root>/truth)")
    p.add_argument("--estimators", default="gbt,xgboost", help="comma-separated, trained one after the other")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args()
    setup_logging()
    start = dt.date(2015, 1, 1)
    # a fresh trials folder: a trials file left by an interrupted run would otherwise be resumed
    trials_dir = f"{args.root}/bench-trials/{time.strftime('%Y%m%dT%H%M%S')}"
    overrides = [
        f"paths.root={args.root}",
        f"model.tuning.max_evals={args.trials}",
        f"model.tuning.early_stop_trials={args.trials}",
        f"model.tuning.trials_dir={trials_dir}",
    ]
    if args.synthetic:
        features = [c for cols in FEATURE_GROUPS.values() for c in cols if c not in CATEGORICAL]
        features += [f"noise_{i}" for i in range(args.noise_features)]
        overrides += [f"model.features={features}", f"model.categorical={CATEGORICAL}"]
    settings = load_settings(overrides=overrides + args.overrides)
    spark = build_session("signaux_spark-bench-train", settings)
    truth_dir = args.truth or str(Path(settings.path("truth")))
    report: dict = {
        "machine": f"{platform.node()}, {spark.sparkContext.defaultParallelism} cores",
        "settings": overrides + args.overrides,
    }

    if args.synthetic:
        t0 = time.monotonic()
        feats, labels, truth = firm_months(
            spark,
            firms=args.firms,
            start=start,
            months=args.months,
            seed=11,
            noise_features=args.noise_features,
            unlabelled_months=18,
        )
        lake = Lake(settings)
        lake.write(feats, tables.FEATURES, partition_by=["periode"])
        lake.write(labels, tables.LABELS)
        truth.write.mode("overwrite").parquet(f"{truth_dir}/firm_months")
        report["synthetic"] = {"firms": args.firms, "months": args.months, "seconds_to_write": time.monotonic() - t0}
    last = add_months(start, args.months - 1)
    as_of = parse_month(args.as_of) if args.as_of else last

    for estimator in args.estimators.split(","):
        chosen = load_settings(overrides=overrides + args.overrides + [f"model.estimator={estimator}"])
        report[estimator] = _train_and_check(spark, chosen, as_of, truth_dir)
        print(json.dumps({estimator: report[estimator]}, indent=2, default=str), flush=True)
    out = ROOT / "bench" / "results" / f"train-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"results: {out}")
    mlflow.end_run()


def _train_and_check(spark, settings, as_of, truth_dir: str) -> dict:
    """One training and the oracle check of jobs/evaluate.py, logged in the training run as the job does."""
    t0 = time.monotonic()
    result = train(spark, settings, as_of)
    report = {"train_seconds": time.monotonic() - t0}
    client = MlflowClient()
    run = client.get_run(result.run_id)
    trials = client.search_runs([run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'")
    seconds = sorted(t.data.metrics["trial_seconds"] for t in trials)
    report |= {
        "rows": {k: run.data.metrics[k] for k in ("train_rows", "train_rows_fitted", "valid_rows", "test_rows")},
        "trials": len(trials),
        "trial_seconds": {
            "min": seconds[0],
            "median": seconds[len(seconds) // 2],
            "max": seconds[-1],
            "mean": sum(seconds) / len(seconds),
        },
        "tuning_seconds": (max(t.info.end_time for t in trials) - min(t.info.start_time for t in trials)) / 1000,
        "best_params": result.best_params,
        "split": result.split.params(),
        "valid_ap": result.valid["ap"],
        "test": {
            k: result.test[k]
            for k in (
                "ap",
                "roc_auc",
                "area_under_pr",
                "brier",
                "ece",
                "precision_fort",
                "recall_fort",
                "precision_modere",
                "recall_modere",
                "nosignal_ap",
                "nosignal_roc_auc",
            )
            if k in result.test
        },
    }
    model = load_model(settings, version=str(result.version))
    oracle = oracle_metrics(spark, settings, model, truth_dir)
    log_oracle_metrics(model, oracle)
    report["oracle"] = dict(sorted(oracle.items()))
    return report


if __name__ == "__main__":
    main()
