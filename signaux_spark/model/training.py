"""One training, end to end: rows and time split, tuning on validation, calibration and thresholds
on validation, refit on train + validation, one evaluation on test, MLflow logging and registration.

Validation is the only block the search looks at: each trial fits one model per validation block
(fold, `model.validation_blocks`) on the months up to the gap before it, and its loss is minus the
mean of the blocks' AP. Calibration and thresholds are fitted on the latest block's scores of the
best trial's model for that block (honest, out-of-sample scores, and the most recent ones), then
stored with the model refitted on train + latest validation block: the refit uses the same
parameters on more recent data, and the test block measures how well that calibration carries
over. XGBoost stops early on each fold's validation rows; the refit keeps the rounds the latest
fold chose.

Unless `model.seed` is set, the seed (tuning, sampling, classifier) is derived from a fingerprint
of the data and settings (table versions, split, model settings, features): the same inputs give
the same model, and a search on other data does not replay the same random candidates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from pyspark.ml import Pipeline
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark.config import Settings
from signaux_spark.model import calibration as calib
from signaux_spark.model import estimators, plots, registry
from signaux_spark.model import thresholds as thresh
from signaux_spark.model.dataset import (
    BLOCK,
    STRONG,
    WEIGHT,
    FeatureSpec,
    Fold,
    Split,
    block_counts,
    capped_negative_rate,
    check_blocks,
    check_features,
    check_folds,
    feature_spec,
    fold_counts,
    modelling_rows,
    outcome_columns,
    read_inputs,
    sample_negatives,
    time_split,
)
from signaux_spark.model.estimators import VALIDATION, FitRows
from signaux_spark.model.metrics import Evaluation, average_precision, collapse, evaluate, roc_auc, score_groups
from signaux_spark.model.pipeline import (
    CALIBRATED,
    FEATURES,
    FIT_WEIGHT,
    RAW,
    Preprocessing,
    preprocessing,
    profile,
    score,
    with_fit_weight,
)
from signaux_spark.model.tuning import tune
from signaux_spark.monitoring.features import REFERENCE_ARTIFACT, feature_profile
from signaux_spark.months import add_months
from signaux_spark.progress import log, step
from signaux_spark.tracking import configure_mlflow


@dataclass
class TrainingResult:
    run_id: str
    version: str
    split: Split
    best_params: dict
    valid: dict[str, float]
    test: dict[str, float]
    thresholds: thresh.Thresholds
    calibration: calib.Calibration
    promoted: bool
    trials: int


def train(spark: SparkSession, settings: Settings, as_of, *, promote: bool = False) -> TrainingResult:
    """Train, evaluate and register a model on the data known at `as_of` (first day of a month)."""
    model = settings.model
    inputs = read_inputs(spark, settings)
    outcomes = outcome_columns(spark, settings)
    spec = feature_spec(settings, inputs.frame.schema, outcomes)
    check_features(spec, outcomes)
    split = time_split(as_of, model)
    fingerprint = _fingerprint(settings, split, inputs.versions, spec)
    seed = model.seed if model.seed is not None else int(fingerprint[:8], 16)
    if model.gap_months < model.horizon_months:
        log.warning(
            "model.gap_months (%d) < model.horizon_months (%d): training labels look into the validation "
            "and test months (1 = blocks side by side)",
            model.gap_months,
            model.horizon_months,
        )
    configure_mlflow(settings)

    with step(spark, "model: modelling rows") as s:
        rows = modelling_rows(inputs.frame, model=model, spec=spec, split=split).persist()
        counts = block_counts(rows, model.label_column)
        for block, c in sorted(counts.items()):
            s.rows[f"{block} rows"], s.rows[f"{block} positives"] = c["rows"], c["positives"]
        check_blocks(counts, split)
        earlier = fold_counts(rows, split, label=model.label_column, period=model.period_column)
        check_folds(earlier, split)

    with mlflow.start_run(run_name=f"train-{as_of:%Y-%m}") as run:
        mlflow.log_params(
            {
                **split.params(),
                **_settings_params(settings, spec),
                **{f"version.{table}": v for table, v in inputs.versions.items()},
                "seed_used": seed,
            }
        )
        mlflow.log_metrics(
            {
                f"{block}_{name}": float(value)
                for block, c in counts.items()
                for name, value in c.items()
                if name != "bad_labels" and block != "earlier"
            }
            | {f"fold{k}_{name}": float(v) for k, c in enumerate(earlier, start=1) for name, v in c.items()}
        )
        mlflow.log_dict(
            {"numeric": spec.numeric, "categorical": spec.categorical, "topics": spec.topics}, "features.json"
        )
        with step(spark, "model: feature reference for monitoring"):
            mlflow.log_dict(_feature_reference(rows, spec, counts, split, settings, seed), REFERENCE_ARTIFACT)

        train_rows = _sampled(rows.where(F.col(BLOCK) == "train"), settings, seed)
        prep_model = _preprocessing(train_rows, spec, settings).fit(train_rows)
        keep = [model.key_column, model.period_column, model.label_column, STRONG, FEATURES] + (
            [model.region_column] if model.region_column else []
        )
        with step(spark, "model: assemble the validation folds") as s:
            vectors = prep_model.transform(rows.where(F.col(BLOCK) != "test")).select(*keep).persist()
            sizes = [counts["train"]] + [{"rows": c["train_rows"], "positives": c["train_positives"]} for c in earlier]
            folds = [
                _fold_data(vectors, fold, settings, seed, size) for fold, size in zip(split.folds, sizes, strict=True)
            ]
            s.rows["rows"] = vectors.count()
            s.rows["train (latest fold)"] = folds[0].fit_rows.rows
        mlflow.log_metric("train_rows_fitted", folds[0].fit_rows.rows)

        trials_file = _trials_file(settings, fingerprint)
        objective, best_trial = _objective(spark, settings, folds, seed)
        with step(spark, "model: tuning") as s:
            tuning = tune(
                objective,
                _space(settings),
                max_evals=model.tuning.max_evals,
                seed=seed,
                early_stop=model.tuning.early_stop_trials,
                trials_file=trials_file,
            )
            s.rows["trials"] = len(tuning.history)
            s.notes.append(f"best validation AP {-tuning.best_loss:.4f} (mean of {len(folds)} blocks)")
        mlflow.log_params(
            {f"best.{k}": v for k, v in tuning.best_params.items()}
            | {
                "tuning.trials_run": len(tuning.history),
                "tuning.trials_resumed": tuning.resumed,
                "tuning.stopped_early": tuning.stopped_early,
            }
        )
        mlflow.log_table(pd.DataFrame([{**p, "valid_ap": -loss} for p, loss in tuning.history]), "tuning/trials.json")

        with step(spark, "model: calibration and thresholds on the latest validation block"):
            # the best trial's model of the latest fold, unless that trial ran before a resume
            if best_trial.get("params") == tuning.best_params:
                best, blocks = best_trial["model"], best_trial["blocks"]
            else:
                best, blocks = _fit(spark, folds[0], tuning.best_params, settings, seed), {}
            valid_raw = score(best, folds[0].valid).persist()
            groups = score_groups(
                valid_raw, score=RAW, label=model.label_column, by=STRONG if model.strong_signal else None
            )
            calibration = calib.fit(collapse(groups), model.calibration)
            groups["cal"] = calibration.apply(groups["score"])
            levels = thresh.choose(collapse(groups))
            valid_scored = valid_raw.withColumn(CALIBRATED, calibration.column(F.col(RAW)))
            valid_eval = _evaluate(valid_scored, levels, settings, groups=groups)
            valid_raw.unpersist()
            vectors.unpersist()
        final_params = tuning.best_params | {"rounds": estimators.rounds(best)}

        with step(spark, "model: refit on train + validation") as s:
            fit_rows = with_fit_weight(
                _sampled(rows.where(F.col(BLOCK).isin("train", "valid")), settings, seed),
                label=model.label_column,
                weight=WEIGHT,
                positive_weight=tuning.best_params["positive_weight"],
            )
            final_prep = _preprocessing(fit_rows, spec, settings)
            final_rows = FitRows.of(fit_rows, label=model.label_column, weight=WEIGHT)
            classifier = _classifier(spark, final_params, settings, seed, final_rows)
            pipeline = Pipeline(stages=final_prep.stages + [classifier]).fit(
                estimators.fit_input(fit_rows, model.estimator)
            )
            s.rows["rows"] = final_prep.rows
        mlflow.log_metric("final_rows_fitted", final_prep.rows)
        if final_params["rounds"]:
            mlflow.log_param("final.rounds", final_params["rounds"])

        with step(spark, "model: evaluation on test") as s:
            test_scored = score(pipeline, rows.where(F.col(BLOCK) == "test"), calibration).persist()
            test_eval = _evaluate(test_scored, levels, settings)
            s.notes.append(f"test AP {test_eval.metrics['ap']:.4f}")

        mlflow.log_metrics(
            {f"valid_{k}": v for k, v in valid_eval.metrics.items()}
            | {f"test_{k}": v for k, v in test_eval.metrics.items()}
            | {"threshold_fort": levels.fort, "threshold_modere": levels.modere}
            | {f"best_{k}": v for k, v in blocks.items()}
        )
        _log_tables_and_plots(valid_eval, test_eval, levels, final_prep, pipeline.stages[-1])

        metadata = _metadata(settings, spec, final_prep, calibration, levels, split, inputs.versions)
        tags = {
            "as_of": f"{as_of:%Y-%m}",
            "estimator": model.estimator,
            "test_start": f"{split.test_start:%Y-%m}",
            "test_end": f"{split.test_end:%Y-%m}",
            "fit_end": f"{split.valid_end:%Y-%m}",
            "horizon_months": model.horizon_months,
            "test_ap": f"{test_eval.metrics['ap']:.6f}",
            "calibration": calibration.method,
            "threshold_fort": f"{levels.fort:.6f}",
            "threshold_modere": f"{levels.modere:.6f}",
        }
        with step(spark, "model: log and register"):
            version = registry.log_and_register(
                settings,
                pipeline,
                metadata=metadata,
                tags=tags,
                model_signature=registry.signature(inputs.frame.schema, metadata["features"]),
            )
            promoted = _promotion(spark, settings, version, split, test_scored, test_eval, promote)
        test_scored.unpersist()
        mlflow.set_tag("model_version", version)
    rows.unpersist()
    if os.path.exists(trials_file):
        os.remove(trials_file)  # the tuning is over; a new training starts afresh
    log.info(
        "model %s version %s registered (challenger%s): test AP %.4f, ROC AUC %.4f",
        settings.mlflow.model_name,
        version,
        ", champion" if promoted else "",
        test_eval.metrics["ap"],
        test_eval.metrics["roc_auc"],
    )
    return TrainingResult(
        run.info.run_id,
        version,
        split,
        final_params,
        valid_eval.metrics,
        test_eval.metrics,
        levels,
        calibration,
        promoted,
        len(tuning.history),
    )


def test_rows(spark: SparkSession, settings: Settings, loaded: registry.LoadedModel) -> DataFrame:
    """The test block a registered model was evaluated on: same Delta versions, same months."""
    meta = loaded.metadata
    split = Split(**{k: (pd.Timestamp(v).date() if v else None) for k, v in meta["split"].items()})  # fold 0 only
    spec = FeatureSpec(numeric=meta["numeric"], categorical=meta["categorical"], topics=meta["topics"])
    inputs = read_inputs(spark, settings, versions=meta["input_versions"])
    rows = modelling_rows(inputs.frame, model=settings.model, spec=spec, split=split)
    return rows.where(F.col(BLOCK) == "test")


def _feature_reference(
    rows: DataFrame, spec: FeatureSpec, counts: dict, split: Split, settings: Settings, seed: int
) -> dict:
    """The profile of the rows the final model is fitted on (train + validation; a seeded sample
    beyond `monitoring.reference_sample_rows`): the monitor compares each month's features with it."""
    conf = settings.monitoring
    fit = rows.where(F.col(BLOCK).isin("train", "valid"))
    total = sum(counts.get(block, {}).get("rows", 0) for block in ("train", "valid"))
    if total > conf.reference_sample_rows:
        fit = fit.sample(fraction=conf.reference_sample_rows / total, seed=seed)
    profile = feature_profile(fit, numeric=spec.numeric, categorical=spec.categorical, bins=conf.feature_bins)
    first = split.train_start.isoformat() if split.train_start else None
    return {**profile, "months": [first, split.valid_end.isoformat()]}


def _sampled(rows: DataFrame, settings: Settings, seed: int, rate: float | None = None) -> DataFrame:
    """Negatives sampled at `rate` (default `model.negative_sample_rate`)."""
    m = settings.model
    rate = m.negative_sample_rate if rate is None else rate
    return sample_negatives(rows, label=m.label_column, key=m.key_column, period=m.period_column, rate=rate, seed=seed)


def _preprocessing(rows: DataFrame, spec: FeatureSpec, settings: Settings) -> Preprocessing:
    m = settings.model
    prof = profile(rows, numeric=spec.numeric, categorical=spec.categorical, max_categories=m.max_categories)
    return preprocessing(
        prof,
        numeric=spec.numeric,
        categorical=spec.categorical,
        imputation=m.imputation,
        native_missing=estimators.native_missing(m.estimator),
    )


def _space(settings: Settings):
    tuning = settings.model.tuning
    return tuning.xgboost_space if settings.model.estimator == estimators.XGBOOST else tuning.space


def _classifier(
    spark: SparkSession, params: dict, settings: Settings, seed: int, fit_rows: FitRows, early_stopping: bool = False
):
    workers = spark.sparkContext.defaultParallelism
    return estimators.classifier(
        params, settings.model, seed=seed, fit_rows=fit_rows, workers=workers, early_stopping=early_stopping
    )


@dataclass
class FoldData:
    """One validation fold's assembled rows: training (sampled, with WEIGHT) and validation."""

    fold: Fold
    train: DataFrame
    valid: DataFrame
    fit_rows: FitRows


def _fold_data(vectors: DataFrame, fold: Fold, settings: Settings, seed: int, size: dict[str, int]) -> FoldData:
    """The fold's rows, its training negatives sampled down to `model.tuning.max_fit_rows` (trials
    only: the final refit keeps `model.negative_sample_rate`)."""
    m = settings.model
    period = F.col(m.period_column)
    rate = capped_negative_rate(
        size["rows"], size["positives"], rate=m.negative_sample_rate, max_rows=m.tuning.max_fit_rows
    )
    train = _sampled(vectors.where(fold.train(period)), settings, seed, rate)
    valid = vectors.where(fold.valid(period)).withColumn(WEIGHT, F.lit(1.0))
    return FoldData(fold, train, valid, FitRows.of(train, label=m.label_column, weight=WEIGHT))


def _fit(spark: SparkSession, data: FoldData, params: dict, settings: Settings, seed: int):
    """The classifier fitted on a fold's training rows (XGBoost: stopping early on its validation rows,
    which weigh 1)."""
    label = settings.model.label_column
    weighted = with_fit_weight(data.train, label=label, weight=WEIGHT, positive_weight=params["positive_weight"])
    xgboost = settings.model.estimator == estimators.XGBOOST
    if xgboost:
        watched = data.valid.withColumn(FIT_WEIGHT, F.lit(1.0)).withColumn(VALIDATION, F.lit(True))
        weighted = weighted.withColumn(VALIDATION, F.lit(False)).unionByName(watched)
    classifier = _classifier(spark, params, settings, seed, data.fit_rows, early_stopping=xgboost)
    return classifier.fit(estimators.fit_input(weighted, settings.model.estimator))


def _objective(spark: SparkSession, settings: Settings, folds: list[FoldData], seed: int):
    """One trial: per fold, fit on its training rows and score its validation block; log a nested
    run; the loss is minus the mean validation AP of the blocks. Also returns a dict holding the
    best trial's parameters, its model of the latest fold and its per-block metrics.

    The GBT's folds are fitted side by side: its cost is mostly the latency of small Spark jobs (a
    few per tree level), which two fits overlap. XGBoost's barrier stages take every core: one by one."""
    label = settings.model.label_column
    counter = iter(range(1, 10**6))
    best: dict = {"ap": -1.0}
    side_by_side = len(folds) if settings.model.estimator == estimators.GBT else 1

    def objective(params: dict) -> float:
        n = next(counter)
        with mlflow.start_run(run_name=f"trial-{n}", nested=True), step(spark, f"model: trial {n}") as s:
            mlflow.log_params(params)
            start = time.monotonic()

            def fit_and_score(data: FoldData):
                fitted = _fit(spark, data, params, settings, seed)
                return fitted, score_groups(score(fitted, data.valid), score=RAW, label=label)

            with ThreadPoolExecutor(side_by_side, thread_name_prefix="trial") as pool:
                results = list(pool.map(fit_and_score, folds))
            blocks, models = {}, []
            for k, (fitted, groups) in enumerate(results, start=1):
                blocks[f"valid_ap_block{k}"] = average_precision(groups)
                blocks[f"valid_roc_auc_block{k}"] = roc_auc(groups)
                if estimators.rounds(fitted):
                    blocks[f"rounds_block{k}"] = float(estimators.rounds(fitted))
                models.append(fitted)
            ap = sum(blocks[f"valid_ap_block{k}"] for k in range(1, len(folds) + 1)) / len(folds)
            mlflow.log_metrics(blocks | {"valid_ap": ap, "trial_seconds": time.monotonic() - start})
            s.notes.append(
                f"validation AP {ap:.4f} (" + ", ".join(f"{v:.4f}" for k, v in blocks.items() if "_ap_" in k) + ")"
            )
        if ap > best["ap"]:
            best.update(ap=ap, params=params, model=models[0], blocks=blocks)
        return -ap

    return objective, best


def _evaluate(scored: DataFrame, levels: thresh.Thresholds, settings: Settings, groups=None) -> Evaluation:
    m = settings.model
    return evaluate(
        scored,
        score=RAW,
        calibrated=CALIBRATED,
        label=m.label_column,
        thresholds=levels.levels(),
        key=m.key_column,
        period=m.period_column,
        region=m.region_column or None,
        strong=STRONG if m.strong_signal else None,
        list_share=m.list_share,
        list_sizes=m.list_size,
        groups=groups,
    )


def _promotion(
    spark: SparkSession,
    settings: Settings,
    version: str,
    split: Split,
    test_scored: DataFrame,
    test_eval: Evaluation,
    forced: bool,
) -> bool:
    """Champion <- this version when asked (`--promote`), or when `model.auto_promote` is on and it
    beats the champion on the same test rows (or there is no champion yet)."""
    champion = registry.version_of(settings, registry.CHAMPION)
    wins = champion is None
    if champion is not None and settings.model.auto_promote and not forced:
        champion_ap = _champion_ap(spark, settings, champion, split, test_scored)
        if champion_ap is not None:
            mlflow.log_metric("champion_test_ap", champion_ap)
            wins = test_eval.metrics["ap"] > champion_ap
    promoted = forced or (settings.model.auto_promote and wins)
    if promoted:
        registry.promote(settings, version)
    mlflow.set_tag("promoted", str(promoted).lower())
    return promoted


def _champion_ap(
    spark: SparkSession, settings: Settings, champion, split: Split, test_scored: DataFrame
) -> float | None:
    """The champion's AP on this training's test rows, or None when the comparison would be unfair
    (its training labels reach into the test months) or impossible (features it needs are gone)."""
    horizon = int(champion.tags.get("horizon_months", settings.model.horizon_months))
    fit_end = champion.tags.get("fit_end")
    if fit_end is None or add_months(pd.Timestamp(fit_end).date(), horizon) > split.test_start:
        log.warning(
            "champion version %s was trained on months whose labels reach the test months: not compared",
            champion.version,
        )
        return None
    loaded = registry.load_model(settings, version=champion.version)
    missing = [c for c in loaded.features if c not in test_scored.columns]
    if missing:
        log.warning(
            "champion version %s needs columns no longer in the table (%s): not compared",
            champion.version,
            ", ".join(missing[:5]),
        )
        return None
    rows = test_scored.drop(RAW, CALIBRATED)
    groups = score_groups(loaded.score(rows), score=RAW, label=settings.model.label_column)
    return average_precision(groups)


def _metadata(
    settings: Settings,
    spec: FeatureSpec,
    prep: Preprocessing,
    calibration: calib.Calibration,
    levels: thresh.Thresholds,
    split: Split,
    versions: dict[str, int],
) -> dict:
    """What a scorer needs, stored with the model version (see registry)."""
    m = settings.model
    kept = [c for c in spec.columns if c not in prep.dropped]
    return {
        "features": kept,
        "numeric": [c for c in spec.numeric if c in kept],
        "categorical": spec.categorical,
        "dropped_features": prep.dropped,
        "topics": {c: spec.topics[c] for c in kept},
        "features_col": FEATURES,
        "slots": [s.name for s in prep.slots],
        "slot_features": [s.feature for s in prep.slots],
        "slot_kinds": [s.kind for s in prep.slots],
        "estimator": m.estimator,
        "log_odds_per_margin": estimators.log_odds_per_margin(m.estimator),
        "probability": "P(failure) = sigmoid(log_odds_per_margin * margin), margin = rawPrediction[1]",
        "calibration": calibration.to_dict(),
        "thresholds": levels.to_dict(),
        "columns": {"key": m.key_column, "period": m.period_column, "label": m.label_column, "region": m.region_column},
        "split": {name: (d.isoformat() if d else None) for name, d in split.months().items()},
        "input_versions": versions,
    }


def _settings_params(settings: Settings, spec: FeatureSpec) -> dict[str, str]:
    m = dataclasses.asdict(settings.model)
    tuning = m.pop("tuning")
    for name in ("space", "xgboost_space"):
        tuning.pop(name)
    space = dataclasses.asdict(_space(settings))  # the one searched
    params = {f"model.{k}": v for k, v in m.items() if k not in ("features", "categorical")}
    params |= {f"tuning.{k}": v for k, v in tuning.items()} | {f"space.{k}": v for k, v in space.items()}
    params |= {"features.count": len(spec.columns), "features.categorical": ",".join(spec.categorical)}
    return {k: str(v) for k, v in params.items()}


def _fingerprint(settings: Settings, split: Split, versions: dict[str, int], spec: FeatureSpec) -> str:
    """A digest of what a tuning depends on: data versions, split, model settings, features."""
    m = dataclasses.asdict(settings.model)
    m["tuning"].pop("max_evals")  # raising the budget continues the same search
    m["tuning"].pop("trials_dir")
    key = json.dumps(
        {"split": split.params(), "versions": versions, "model": m, "features": spec.columns},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _trials_file(settings: Settings, fingerprint: str) -> str:
    """Where the trials of this exact tuning (its fingerprint, on this lake) are saved."""
    key = f"{fingerprint} {settings.path('lake')}"
    default = settings.path("mlflow") + "/tuning"
    if "://" in default:  # hyperopt writes the file from the driver: it needs a local folder
        default = str(Path(tempfile.gettempdir()) / "signaux_spark-tuning")
    folder = Path(settings.model.tuning.trials_dir or default)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.trials")


def _log_tables_and_plots(
    valid: Evaluation, test: Evaluation, levels: thresh.Thresholds, prep: Preprocessing, fitted
) -> None:
    for block, ev in (("valid", valid), ("test", test)):
        mlflow.log_table(ev.reliability, f"tables/{block}_reliability.json")
        if ev.lists is not None:
            mlflow.log_table(ev.lists, f"tables/{block}_region_lists.json")
    weights = pd.Series(estimators.importances(fitted, len(prep.slots)), index=[s.feature for s in prep.slots])
    by_feature = weights.groupby(level=0).sum().sort_values(ascending=False)
    mlflow.log_table(by_feature.rename("importance").rename_axis("feature").reset_index(), "tables/importances.json")
    figures = {
        "plots/pr_curve.png": plots.pr_curves({"validation": valid.curve, "test": test.curve}, levels.levels()),
        "plots/calibration.png": plots.calibration_curve({"validation": valid.reliability, "test": test.reliability}),
        "plots/importances.png": plots.importances(by_feature),
    }
    if test.lists is not None:
        figures["plots/region_precision.png"] = plots.region_precision(test.lists)
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)
        plots.plt.close(fig)
