"""The two classifiers `model.estimator` chooses from, behind one set of functions, so that the
pipeline, `tune()`, MLflow, the registry and scoring stay the same for both.

- `gbt`: Spark ML's GBTClassifier. P(failure) = sigmoid(2 * margin): log-odds = 2 * margin.
- `xgboost`: xgboost.spark's SparkXGBClassifier (a pyspark.ml estimator, barrier mode, one Spark
  task per worker). Missing values are native (NaN); its margin is the log-odds. Early stopping
  watches the validation rows' log loss, the rows weighing 1 (the class weight is for training
  only). Not their AP: on a few hundred positives it peaks after a handful of rounds by chance
  (measured on the demo lake: 2-6 rounds for most trials, and a refit of 3 rounds).

Leaf sizes are searched as a share of the training rows (`min_leaf_share`): the GBT gets
minInstancesPerNode = share x rows; XGBoost gets min_child_weight = the hessian such a leaf has at
the start (share x W x p (1 - p), W the training weight, p its weighted positive share).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyspark.ml.classification import GBTClassifier
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.config import ModelSettings
from signaux_spark.model.pipeline import FEATURES, FIT_WEIGHT

GBT, XGBOOST = "gbt", "xgboost"
VALIDATION = "_sf_validation"  # true on the rows XGBoost's early stopping watches


@dataclass(frozen=True)
class FitRows:
    """What leaf sizes are relative to: training rows, positives and the summed (sampling) weight
    of the negatives."""

    rows: int
    positives: float
    negative_weight: float

    @staticmethod
    def of(df: DataFrame, *, label: str, weight: str) -> FitRows:
        r = df.agg(
            F.count("*").alias("rows"),
            F.sum(F.when(F.col(label) == 1, F.col(weight)).otherwise(0.0)).alias("pos"),
            F.sum(F.when(F.col(label) == 1, 0.0).otherwise(F.col(weight))).alias("neg"),
        ).first()
        return FitRows(int(r["rows"]), float(r["pos"] or 0.0), float(r["neg"] or 0.0))

    def min_instances(self, share: float) -> int:
        return max(1, int(round(share * self.rows)))

    def min_child_weight(self, share: float, positive_weight: float) -> float:
        positives = positive_weight * self.positives
        total = positives + self.negative_weight
        return share * positives * self.negative_weight / total if total else 0.0


def fit_input(df: DataFrame, estimator: str) -> DataFrame:
    """The rows a classifier is fitted on. The GBT's in at most one partition per core: it runs a
    few Spark jobs per tree level, each paying per task, so partitions beyond the cores only add
    tasks (measured on 100,000 region rows: a fit 1.5x faster with 2 partitions than with 8).
    XGBoost repartitions to its workers itself."""
    return df.coalesce(df.sparkSession.sparkContext.defaultParallelism) if estimator == GBT else df


def native_missing(estimator: str) -> bool:
    """True when the classifier takes missing values as they are (no flag, no imputation)."""
    return estimator == XGBOOST


def log_odds_per_margin(estimator: str) -> float:
    """Log-odds of P(failure) per unit of the classifier's margin (Spark's rawPrediction[1])."""
    return 2.0 if estimator == GBT else 1.0


def classifier(
    params: dict, model: ModelSettings, *, seed: int, fit_rows: FitRows, workers: int, early_stopping: bool = False
):
    """The unfitted classifier of `model.estimator` with the tuned `params`, fitted on FEATURES
    with the weight column FIT_WEIGHT. For XGBoost, `params["rounds"]` (when present) fixes the
    number of rounds; `early_stopping` stops on the rows where VALIDATION is true."""
    share = float(params["min_leaf_share"])
    if model.estimator == GBT:
        return GBTClassifier(
            featuresCol=FEATURES,
            labelCol=model.label_column,
            weightCol=FIT_WEIGHT,
            seed=seed,
            maxDepth=int(params["max_depth"]),
            maxIter=int(params["max_iter"]),
            stepSize=float(params["step_size"]),
            subsamplingRate=float(params["subsampling_rate"]),
            minInstancesPerNode=fit_rows.min_instances(share),
            featureSubsetStrategy=str(params["feature_subset"]),
            maxBins=model.max_bins,
            checkpointInterval=model.checkpoint_interval,
        )
    from xgboost.spark import SparkXGBClassifier

    conf = model.xgboost
    stopping = {"validation_indicator_col": VALIDATION, "early_stopping_rounds": conf.early_stopping_rounds}
    return SparkXGBClassifier(
        features_col=FEATURES,
        label_col=model.label_column,
        weight_col=FIT_WEIGHT,
        missing=float("nan"),
        num_workers=conf.num_workers or workers,
        force_repartition=True,  # a shuffle before the barrier stage (which refuses a union of frames)
        random_state=seed % 2**31,
        n_estimators=int(params.get("rounds") or conf.max_rounds),
        max_depth=int(params["max_depth"]),
        learning_rate=float(params["learning_rate"]),
        subsample=float(params["subsample"]),
        colsample_bytree=float(params["colsample_bytree"]),
        reg_lambda=float(params["reg_lambda"]),
        min_child_weight=fit_rows.min_child_weight(share, float(params["positive_weight"])),
        eval_metric="logloss",
        tree_method="hist",
        verbose=False,
        **(stopping if early_stopping else {}),
    )


def rounds(fitted) -> int | None:
    """XGBoost: the rounds the model uses (the best one + 1 after early stopping); GBT: None."""
    if not hasattr(fitted, "get_booster"):
        return None
    booster = fitted.get_booster()
    best = booster.attr("best_iteration")
    return int(best) + 1 if best is not None else booster.num_boosted_rounds()


def importances(fitted, slots: int) -> np.ndarray:
    """Importance of each slot of the assembled vector, summing to 1 (the GBT's own; XGBoost's total gain)."""
    if not hasattr(fitted, "get_booster"):
        return fitted.featureImportances.toArray()
    gains = fitted.get_booster().get_score(importance_type="total_gain")
    values = np.zeros(slots)
    for name, gain in gains.items():
        values[int(name.lstrip("f"))] = gain
    return values / values.sum() if values.sum() else values
