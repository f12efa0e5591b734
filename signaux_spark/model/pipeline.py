"""The Spark ML pipeline: raw named feature columns in, the classifier's probability out.

Stages: one SQL step (numbers as doubles, a 0/1 flag per feature that had nulls in training, one
0/1 column per frequent level of each categorical feature), an Imputer, a VectorAssembler and the
classifier (`estimators.py`). For XGBoost, which handles missing values itself (each split learns
where they go), there is neither missing flag nor Imputer: nulls reach it as NaN. Categorical
levels are one-hot columns rather than indexed nominal features because
SHAP's TreeExplainer cannot read Spark's categorical splits. Each slot of the assembled vector is
named and mapped back to its raw feature, so explanations can be summed per feature and topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import Imputer, SQLTransformer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from signaux_spark import sql_text
from signaux_spark.progress import log

FEATURES = "_sf_features"  # the assembled vector
FIT_WEIGHT = "_sf_fit_weight"  # sampling weight x class weight, what the classifier is fitted with
PROBABILITY = "probability"  # classifier outputs keep Spark's names so MLflow's pyfunc flavour works
RAW = "probability_raw"  # P(failure) as the classifier gives it
CALIBRATED = "probability_calibrated"  # after calibration: what thresholds apply to


@dataclass(frozen=True)
class Slot:
    """One slot of the assembled vector: its name and the raw feature it comes from."""

    name: str
    feature: str
    kind: str  # "value", "missing" (1 when the raw value was null) or "level" (categorical level)


@dataclass
class FeatureProfile:
    """What the preprocessing learns from the training rows before any stage is fitted."""

    rows: int
    non_null: dict[str, int]
    levels: dict[str, list[str]]


def profile(df: DataFrame, *, numeric: list[str], categorical: list[str], max_categories: int) -> FeatureProfile:
    """Non-null counts of the numeric features (one pass) and the most frequent levels of each
    categorical feature (ties broken by the level, so the order is reproducible)."""
    counts = df.agg(
        F.count("*").alias("_rows"),
        *[
            F.count(F.when(F.col(c).isNotNull() & ~F.isnan(F.col(c).cast("double")), 1)).alias(f"_n{i}")
            for i, c in enumerate(numeric)
        ],
    ).first()
    levels = {}
    for c in categorical:
        top = (
            df.where(F.col(c).isNotNull())
            .groupBy(F.col(c).cast("string").alias("level"))
            .count()
            .orderBy(F.desc("count"), F.asc("level"))
            .limit(max_categories)
            .collect()
        )
        levels[c] = sorted(r["level"] for r in top)
    return FeatureProfile(
        rows=counts["_rows"], non_null={c: counts[f"_n{i}"] for i, c in enumerate(numeric)}, levels=levels
    )


@dataclass
class Preprocessing:
    """The unfitted stages before the classifier, the slots they assemble, dropped features, and
    the number of rows they were designed on."""

    stages: list
    slots: list[Slot]
    dropped: list[str]
    rows: int

    def fit(self, df: DataFrame) -> PipelineModel:
        return Pipeline(stages=self.stages).fit(df)


def preprocessing(
    prof: FeatureProfile, *, numeric: list[str], categorical: list[str], imputation: str, native_missing: bool = False
) -> Preprocessing:
    """Stages that turn raw columns into the assembled vector. A numeric feature with no value in
    training is dropped (nothing to learn, and the Imputer would fail); one with some nulls gets a
    missing flag unless the table already has its `<feature>_missing` column among the features.
    `native_missing`: no flag and no Imputer, nulls stay missing (NaN) in the vector."""
    dropped = [c for c in numeric if prof.non_null[c] == 0]
    if dropped:
        log.warning("features without any value in the training rows, dropped: %s", ", ".join(dropped))
    kept = [c for c in numeric if c not in dropped]
    selects, slots, assembled, imputed_in, imputed_out = [], [], [], [], []
    for i, c in enumerate(kept):
        column = sql_text.identifier(c)
        selects.append(f"CAST({column} AS DOUBLE) AS _sf_v{i}")
        slots.append(Slot(c, c, "value"))
        if native_missing:
            assembled.append(f"_sf_v{i}")
            continue
        imputed_in.append(f"_sf_v{i}")
        imputed_out.append(f"_sf_i{i}")
        assembled.append(f"_sf_i{i}")
        if prof.non_null[c] < prof.rows and f"{c}_missing" not in numeric:
            selects.append(f"CAST(({column} IS NULL OR isnan(CAST({column} AS DOUBLE))) AS DOUBLE) AS _sf_m{i}")
            assembled.append(f"_sf_m{i}")
            slots.append(Slot(f"{c}:missing", c, "missing"))
    for j, c in enumerate(categorical):
        column = sql_text.identifier(c)
        for k, level in enumerate(prof.levels[c]):
            selects.append(
                f"CAST(coalesce(CAST({column} AS STRING) = {sql_text.string(level)}, false) AS DOUBLE) AS _sf_l{j}_{k}"
            )
            assembled.append(f"_sf_l{j}_{k}")
            slots.append(Slot(f"{c}={level}", c, "level"))
    if not slots:
        raise ValueError("no feature left to assemble")
    stages = [SQLTransformer(statement=f"SELECT *, {', '.join(selects)} FROM __THIS__")]
    if imputed_in:
        stages.append(Imputer(inputCols=imputed_in, outputCols=imputed_out, strategy=imputation))
    stages.append(VectorAssembler(inputCols=assembled, outputCol=FEATURES, handleInvalid="keep"))
    return Preprocessing(stages=stages, slots=slots, dropped=dropped, rows=prof.rows)


def with_fit_weight(df: DataFrame, *, label: str, weight: str, positive_weight: float) -> DataFrame:
    """Class weight on top of the sampling weight: positives count `positive_weight` times."""
    return df.withColumn(FIT_WEIGHT, F.col(weight) * F.when(F.col(label) == 1, float(positive_weight)).otherwise(1.0))


def positive_probability(probability: str = PROBABILITY) -> Column:
    """P(label = 1) out of Spark's probability vector."""
    return vector_to_array(F.col(probability))[1]


def score(model, df: DataFrame, calibration=None) -> DataFrame:
    """`df` plus `RAW` from a fitted pipeline (or classifier, if `df` holds the assembled vector), and
    `CALIBRATED` when a calibration (anything with `.column(raw) -> Column`) is given."""
    scored = model.transform(df).withColumn(RAW, positive_probability())
    extra = [RAW]
    if calibration is not None:
        scored = scored.withColumn(CALIBRATED, calibration.column(F.col(RAW)))
        extra.append(CALIBRATED)
    return scored.select(*df.columns, *extra)
