"""The one place that knows the model package (`signaux_spark.model.registry`).

Scoring needs from a registered version: the raw feature columns, the stages that assemble them
into the vector, the classifier (Spark's GBT or XGBoost: its log-odds, and its trees for SHAP), the
calibration, the two thresholds on the calibrated scale, and which raw feature and topic each
vector slot belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from signaux_spark.config import Settings
from signaux_spark.model.dataset import OTHER_TOPIC
from signaux_spark.model.estimators import XGBOOST, rounds
from signaux_spark.model.registry import CHAMPION, LoadedModel, load_model
from signaux_spark.scoring.trees import Forest, XGBoostForest, forest_of, xgboost_forest

VECTOR = "_sf_vector"  # the assembled feature vector, as an array of doubles
LOG_ODDS = "_sf_log_odds"  # of RAW: the classifier's margin times its log-odds per margin
RAW = "probability_raw"
CALIBRATED = "probability"


@dataclass
class ScoringModel:
    """A registered model seen from scoring."""

    loaded: LoadedModel

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def features(self) -> list[str]:
        return list(self.loaded.features)

    @property
    def categorical(self) -> list[str]:
        return list(self.loaded.metadata.get("categorical", []))

    @property
    def slot_features(self) -> list[str]:
        """The raw feature of each slot of the vector, in slot order."""
        return list(self.loaded.slot_features.values())

    @property
    def topics(self) -> dict[str, str]:
        """Raw feature -> topic (features outside every conf group: `autre`)."""
        return {f: self.loaded.topics.get(f, OTHER_TOPIC) for f in self.features}

    @property
    def fort(self) -> float:
        return float(self.loaded.thresholds.fort)

    @property
    def modere(self) -> float:
        return float(self.loaded.thresholds.modere)

    @cached_property
    def forest(self) -> Forest | XGBoostForest:
        classifier = self.loaded.classifier
        if self.loaded.estimator == XGBOOST:
            return xgboost_forest(classifier.get_booster(), rounds(classifier))
        return forest_of(classifier)

    @property
    def additivity_floor(self) -> float:
        """The additivity error the model's arithmetic allows: XGBoost sums its trees in float32."""
        return 1e-4 if self.loaded.estimator == XGBOOST else 0.0

    def predict(self, df: DataFrame) -> DataFrame:
        """`df` plus VECTOR, LOG_ODDS, RAW (the classifier's probability) and CALIBRATED."""
        assembled = self.loaded.preprocessing.transform(df)
        classifier = self.loaded.classifier
        out = classifier.transform(assembled.select(*df.columns, self.loaded.features_col))
        margin = vector_to_array(F.col(classifier.getRawPredictionCol()))[1]
        raw = vector_to_array(F.col(classifier.getProbabilityCol()))[1]
        return out.select(
            *df.columns,
            vector_to_array(F.col(self.loaded.features_col)).alias(VECTOR),
            (margin * F.lit(self.loaded.log_odds_per_margin)).alias(LOG_ODDS),
            raw.alias(RAW),
            self.loaded.calibration.column(raw).alias(CALIBRATED),
        )


def load_scoring_model(settings: Settings) -> ScoringModel:
    """The version `score.model_version` when set, else the one behind `score.model_alias`."""
    conf = settings.score
    return ScoringModel(load_model(settings, alias=conf.model_alias or CHAMPION, version=conf.model_version or None))
