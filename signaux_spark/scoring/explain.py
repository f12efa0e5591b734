"""Explanations of the scores: SHAP values of the model's trees, computed in Spark's Python workers.

The trees travel in a picklable form (`trees.Forest` for Spark's GBT, `trees.XGBoostForest` for
XGBoost), broadcast once; each task builds its explainer once and explains its Arrow batches
(`mapInPandas`), so no copy of the country ever sits on the driver. Contributions and the base
value are in log-odds (for the GBT, 2 x its SHAP values, as P(failure) = sigmoid(2 * margin); for
XGBoost, its own contributions, its margin being the log-odds). They are additive: base + the sum
of a row's contributions = its log-odds. A contribution is never put through a sigmoid on its own
(that has no meaning).

Slot contributions are summed back to their raw feature (a value slot, its missing flag, the
one-hot levels of a categorical feature), then to the feature's topic. The top factors are the
raw features that raise the risk most (positive contributions only), with the raw value the firm
had (a number, or the level of a categorical feature; null when the value was missing).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from signaux_spark.scoring.trees import Forest, XGBoostForest

BASE = "base_log_odds"
CONTRIBUTIONS = "contributions"  # map topic -> log-odds
TOP_FACTORS = "top_factors"  # array of FACTOR, largest contribution first
FACTOR = T.StructType(
    [
        T.StructField("feature", T.StringType()),
        T.StructField("topic", T.StringType()),
        T.StructField("contribution", T.DoubleType()),  # log-odds
        T.StructField("value", T.DoubleType()),  # numeric feature's value (null: missing)
        T.StructField("level", T.StringType()),  # categorical feature's level (null: missing)
    ]
)


def explain(
    df: DataFrame,
    forest: Forest | XGBoostForest,
    *,
    vector: str,
    slot_features: list[str],
    topics: dict[str, str],
    categorical: list[str],
    top: int = 3,
    when: str | None = None,
) -> DataFrame:
    """`df` without `vector`, plus BASE, CONTRIBUTIONS (topic -> log-odds) and TOP_FACTORS.

    `df` holds the assembled `vector` (array of doubles, one per slot) and the raw feature columns
    of `slot_features`; `when` names a boolean column: only its true rows are explained (the
    others get nulls)."""
    if len(slot_features) != forest.num_features:
        raise ValueError(f"{len(slot_features)} slot names for a model of {forest.num_features} features")
    features = list(dict.fromkeys(slot_features))
    topic_names = sorted({topics[f] for f in features})
    # slots -> features -> topics as 0/1 matrices: contributions are two matrix products
    slot_to_feature = np.zeros((len(slot_features), len(features)))
    slot_to_feature[np.arange(len(slot_features)), [features.index(f) for f in slot_features]] = 1.0
    feature_to_topic = np.zeros((len(features), len(topic_names)))
    feature_to_topic[np.arange(len(features)), [topic_names.index(topics[f]) for f in features]] = 1.0

    keep = [c for c in df.columns if c != vector]
    raw_values = [f for f in features if f not in keep]
    if raw_values:
        raise ValueError(f"columns needed for the factors' values are missing: {', '.join(raw_values)}")
    topic_cols = [f"_sf_topic{i}" for i in range(len(topic_names))]
    factor_cols = [(f"_sf_f{k}", f"_sf_c{k}") for k in range(top)]
    schema = T.StructType(
        [df.schema[c] for c in keep]
        + [T.StructField(BASE, T.DoubleType())]
        + [T.StructField(c, T.DoubleType()) for c in topic_cols]
        + [
            field
            for name, contribution in factor_cols
            for field in (T.StructField(name, T.IntegerType()), T.StructField(contribution, T.DoubleType()))
        ]
    )
    shared = df.sparkSession.sparkContext.broadcast(forest)

    def explain_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        explainer = shared.value.log_odds_explainer()
        for batch in batches:
            out = batch[keep].copy()
            chosen = np.ones(len(batch), dtype=bool) if when is None else batch[when].fillna(False).to_numpy(bool)
            base = np.full(len(batch), np.nan)
            per_topic = np.full((len(batch), len(topic_names)), np.nan)
            ranked = np.full((len(batch), top), -1)
            ranked_values = np.full((len(batch), top), np.nan)
            if chosen.any():
                x = np.stack(batch.loc[chosen, vector].to_numpy()).astype(np.float64)
                base[chosen], phi = explainer(x)
                per_feature = phi @ slot_to_feature
                per_topic[chosen] = per_feature @ feature_to_topic
                order = np.argsort(-per_feature, axis=1, kind="stable")[:, :top]
                best = np.take_along_axis(per_feature, order, axis=1)
                positive = best > 0
                ranked[chosen] = np.where(positive, order, -1)
                ranked_values[chosen] = np.where(positive, best, np.nan)
            out[BASE] = base
            for i, c in enumerate(topic_cols):
                out[c] = per_topic[:, i]
            for k, (name, contribution) in enumerate(factor_cols):
                index = pd.array(ranked[:, k], dtype="Int32")
                index[ranked[:, k] < 0] = pd.NA
                out[name] = index
                out[contribution] = ranked_values[:, k]
            yield out

    explained = df.mapInPandas(explain_batches, schema)
    return explained.select(
        *keep,
        F.col(BASE),
        _topic_map(topic_names, topic_cols).alias(CONTRIBUTIONS),
        _factors(factor_cols, features, topics, categorical).alias(TOP_FACTORS),
    )


def _topic_map(names: list[str], cols: list[str]) -> F.Column:
    pairs = [x for name, col in zip(names, cols, strict=True) for x in (F.lit(name), F.col(col))]
    return F.when(F.col(cols[0]).isNotNull(), F.create_map(*pairs))


def _factors(
    factor_cols: list[tuple[str, str]], features: list[str], topics: dict[str, str], categorical: list[str]
) -> F.Column:
    """The array of factors of a row, from the feature indices the workers chose."""
    names = F.array(*[F.lit(f) for f in features])
    topic_of = F.array(*[F.lit(topics[f]) for f in features])
    numeric = F.array(
        *[F.lit(None).cast("double") if f in categorical else F.col(f).try_cast("double") for f in features]
    )
    levels = F.array(*[F.col(f).cast("string") if f in categorical else F.lit(None).cast("string") for f in features])
    entries = []
    for index, contribution in factor_cols:
        i = F.col(index) + 1  # element_at counts from 1
        entries.append(
            F.when(
                F.col(index).isNotNull(),
                F.struct(
                    F.element_at(names, i).alias("feature"),
                    F.element_at(topic_of, i).alias("topic"),
                    F.col(contribution).alias("contribution"),
                    F.element_at(numeric, i).alias("value"),
                    F.element_at(levels, i).alias("level"),
                ),
            )
        )
    return F.when(F.col(BASE).isNotNull(), F.filter(F.array(*entries), lambda e: e.isNotNull()))
