"""gold/scores: every firm of the perimeter at a month, scored with the registered model.

A firm in the perimeter and not in an active collective proceeding gets its calibrated probability,
its alert level from the model's thresholds ("risque fort" at or above the F0.5 threshold, "risque
modéré" at or above the F2 one, else "pas d'alerte"), its rank in its region (1 = highest risk;
ties by raw probability, then siren) and, when alerted (or every firm with `score.explain: all`),
its explanation (see `explain`): exact SHAP costs about five times the rest of the scoring when
every firm is explained (bench/bench_export.py), so by default only the listed risks are. A firm in an active
proceeding at the month (`in_proceeding`, from the events known at that month) is not an alert: it
is kept with level "procédure en cours" and its proceeding state, without probability or rank
(the model never learnt from such rows).

A month is written in one Delta commit that replaces exactly that month (replaceWhere), so scoring
a month again with the same model and features gives the same rows.
"""

from __future__ import annotations

import datetime as dt

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.progress import log, step
from signaux_spark.scoring.adapter import CALIBRATED, LOG_ODDS, RAW, VECTOR, ScoringModel, load_scoring_model
from signaux_spark.scoring.explain import BASE, CONTRIBUTIONS, FACTOR, TOP_FACTORS, explain

FORT, MODERE, NO_ALERT, PROCEEDING = "risque fort", "risque modéré", "pas d'alerte", "procédure en cours"
ALERTS = (FORT, MODERE)
LEVELS = (FORT, MODERE, NO_ALERT, PROCEEDING)

# What scoring reads from gold/features besides the model's own feature columns.
KEYS = ["siren", "periode", "region", "departement", "naf_section"]
INPUT_COLUMNS = KEYS + ["in_perimeter", "in_proceeding", "proceeding_state"]

SCHEMA = T.StructType(
    [
        T.StructField("siren", T.StringType(), False),
        T.StructField("periode", T.DateType(), False),
        T.StructField("region", T.StringType()),
        T.StructField("departement", T.StringType()),
        T.StructField("naf_section", T.StringType()),
        T.StructField("in_proceeding", T.BooleanType(), False),
        T.StructField("proceeding_state", T.StringType()),
        T.StructField("probability", T.DoubleType()),  # calibrated P(failure within 18 months)
        T.StructField("probability_raw", T.DoubleType()),  # the classifier's, before calibration
        T.StructField("log_odds", T.DoubleType()),  # of probability_raw (GBT: 2 x margin; XGBoost: margin)
        T.StructField("alert_level", T.StringType(), False),
        T.StructField("region_rank", T.IntegerType()),
        T.StructField("model_name", T.StringType(), False),
        T.StructField("model_version", T.StringType(), False),
        T.StructField("threshold_fort", T.DoubleType(), False),
        T.StructField("threshold_modere", T.DoubleType(), False),
        T.StructField(BASE, T.DoubleType()),  # log-odds of the average firm of the training
        T.StructField(CONTRIBUTIONS, T.MapType(T.StringType(), T.DoubleType())),  # topic -> log-odds
        T.StructField(TOP_FACTORS, T.ArrayType(FACTOR)),
    ]
)
CONSTRAINTS = {
    "alert_level_known": "alert_level IN ('" + "', '".join(level.replace("'", "\\'") for level in LEVELS) + "')",
    "probability_range": "probability IS NULL OR (probability >= 0 AND probability <= 1)",
    "rank_positive": "region_rank IS NULL OR region_rank >= 1",
}


def alert_level(probability: Column, in_proceeding: Column, *, fort: float, modere: float) -> Column:
    """The level of a firm from its calibrated probability (thresholds included)."""
    return (
        F.when(in_proceeding, F.lit(PROCEEDING))
        .when(probability >= F.lit(fort), F.lit(FORT))
        .when(probability >= F.lit(modere), F.lit(MODERE))
        .otherwise(F.lit(NO_ALERT))
    )


def with_region_rank(df: DataFrame) -> DataFrame:
    """Add region_rank: 1 for the highest probability of each region, among the scored firms."""
    scored = F.col("probability").isNotNull()
    window = Window.partitionBy("region", scored).orderBy(F.desc("probability"), F.desc("probability_raw"), "siren")
    return df.withColumn("region_rank", F.when(scored, F.row_number().over(window)))


def score_month(
    features: DataFrame,
    model: ScoringModel,
    *,
    explain_rows: str = "alerts",
    top: int = 3,
    partitions: int | None = None,
) -> DataFrame:
    """gold/scores rows (SCHEMA) of the gold/features rows given (one month). The firms to score
    are spread over `partitions` tasks first (a month of gold/features can be a single file, and
    the explanations would then run on one core)."""
    missing = [c for c in INPUT_COLUMNS + model.features if c not in features.columns]
    if missing:
        raise JobError(
            f"the features lack columns the model {model.name} v{model.version} needs: "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
        )
    extra = [c for c in model.features if c not in INPUT_COLUMNS]
    perimeter = (
        features.where(F.col("in_perimeter"))
        .select(*INPUT_COLUMNS, *extra)
        .withColumn("in_proceeding", F.coalesce(F.col("in_proceeding"), F.lit(False)))
    )
    model_columns = [
        F.lit(model.name).alias("model_name"),
        F.lit(model.version).alias("model_version"),
        F.lit(model.fort).alias("threshold_fort"),
        F.lit(model.modere).alias("threshold_modere"),
    ]

    to_score = perimeter.where(~F.col("in_proceeding"))
    if partitions:
        to_score = to_score.repartition(partitions, "siren")
    predicted = (
        model.predict(to_score)
        .withColumn("alert_level", alert_level(F.col(CALIBRATED), F.lit(False), fort=model.fort, modere=model.modere))
        .withColumn("_sf_explain", F.col("alert_level").isin(*ALERTS) if explain_rows == "alerts" else F.lit(True))
    )
    explained = explain(
        predicted,
        model.forest,
        vector=VECTOR,
        slot_features=model.slot_features,
        topics=model.topics,
        categorical=model.categorical,
        top=top,
        when="_sf_explain",
    )
    scored = explained.select(
        *KEYS,
        "in_proceeding",
        "proceeding_state",
        CALIBRATED,
        RAW,
        F.col(LOG_ODDS).alias("log_odds"),
        "alert_level",
        *model_columns,
        BASE,
        CONTRIBUTIONS,
        TOP_FACTORS,
    )
    proceedings = perimeter.where(F.col("in_proceeding")).select(
        *KEYS,
        "in_proceeding",
        "proceeding_state",
        *[F.lit(None).cast("double").alias(c) for c in (CALIBRATED, RAW, "log_odds")],
        F.lit(PROCEEDING).alias("alert_level"),
        *model_columns,
        F.lit(None).cast("double").alias(BASE),
        F.lit(None).cast(SCHEMA[CONTRIBUTIONS].dataType).alias(CONTRIBUTIONS),
        F.lit(None).cast(SCHEMA[TOP_FACTORS].dataType).alias(TOP_FACTORS),
    )
    ranked = with_region_rank(scored.unionByName(proceedings))
    return ranked.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in SCHEMA.fields])


def additivity_error() -> Column:
    """Largest |base + sum of contributions - log_odds| over the explained rows (an aggregate)."""
    total = F.aggregate(F.map_values(F.col(CONTRIBUTIONS)), F.col(BASE), lambda acc, x: acc + x)
    return F.max(F.abs(total - F.col("log_odds")))


def score_period(spark: SparkSession, settings: Settings, period: dt.date) -> dict[str, int]:
    """Score the month `period` (first day of a month) into `score.table`; returns row counts."""
    conf, lake = settings.score, Lake(settings)
    month = f"{period:%Y-%m}"
    with step(spark, f"score {month}: read features and model") as s:
        version = lake.version(spark, conf.feature_table)
        if version is None:
            raise JobError(
                f"table {conf.feature_table} not found under {lake.path(conf.feature_table)} (run the features first)"
            )
        features = lake.read(spark, conf.feature_table, version=version).where(F.col("periode") == F.lit(period))
        checks = features.agg(
            F.count("*").alias("rows"),
            F.countDistinct("siren").alias("firms"),
            F.count(F.when(F.col("in_perimeter"), 1)).alias("perimeter"),
        ).first()
        if checks["rows"] == 0:
            raise JobError(f"no rows of {conf.feature_table} for {month} (run the features for that month first)")
        if checks["firms"] != checks["rows"]:
            raise JobError(
                f"{conf.feature_table} holds {checks['rows'] - checks['firms']} duplicate siren rows for {month}"
            )
        if checks["perimeter"] == 0:
            raise JobError(f"no firm of {conf.feature_table} is in the perimeter in {month}: nothing to score")
        model = load_scoring_model(settings)
        s.rows["perimeter"] = checks["perimeter"]
        s.notes.append(f"model {model.name} v{model.version}, {model.forest.tree_count} trees")

    with step(spark, f"score {month}: predict and explain") as s:
        partitions = conf.partitions or int(spark.conf.get("spark.sql.shuffle.partitions"))
        scores = score_month(
            features, model, explain_rows=conf.explain, top=conf.top_factors, partitions=partitions
        ).persist(StorageLevel.MEMORY_AND_DISK)
        summary = scores.agg(
            *[F.count(F.when(F.col("alert_level") == level, 1)).alias(level) for level in LEVELS],
            F.count(F.col(BASE)).alias("explained"),
            additivity_error().alias("additivity"),
        ).first()
        counts = {
            "perimeter": checks["perimeter"],
            "scored": checks["perimeter"] - summary[PROCEEDING],
            "fort": summary[FORT],
            "modere": summary[MODERE],
            "no_alert": summary[NO_ALERT],
            "in_proceeding": summary[PROCEEDING],
            "explained": summary["explained"],
        }
        error = summary["additivity"] or 0.0
        if error > max(conf.additivity_tolerance, model.additivity_floor):
            scores.unpersist()
            raise JobError(
                f"explanations are not additive for {month}: base + contributions differ from the "
                f"model's log-odds by up to {error:.3g} (tolerance {conf.additivity_tolerance})"
            )
        s.rows.update(counts)
        s.notes.append(f"additivity error {error:.2g}")

    with step(spark, f"score {month}: write {conf.table}"):
        lake.ensure(spark, conf.table, SCHEMA, partition_by=["periode"], constraints=CONSTRAINTS)
        lake.write(
            scores,
            conf.table,
            replace_where=f"periode = '{period:%Y-%m-%d}'",
            partition_by=["periode"],
            metadata={
                "period": month,
                "model": model.name,
                "model_version": model.version,
                f"version.{conf.feature_table}": version,
                "counts": counts,
            },
        )
        scores.unpersist()
    log.info("scores %s written: %s", month, counts)
    return counts
