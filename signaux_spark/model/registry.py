"""The MLflow side of the model: log and register a trained pipeline with everything scoring needs,
move the `challenger` / `champion` aliases, and load a registered version back.

Everything a scorer needs travels with the model version, in the `metadata` of its MLmodel file
(`scoring` key): the raw feature columns, the names of the assembled vector's slots and the raw
feature of each slot, the topic of each raw feature, the calibration and the two thresholds on the
calibrated scale. The main figures are also version tags, for people browsing the registry.

    from signaux_spark.model.registry import load_model
    model = load_model(settings)                 # the champion; or alias="challenger", version="3"
    scored = model.score(df)                     # + columns probability_raw, probability_calibrated
    vectors = model.preprocessing.transform(df)  # raw columns -> model.features_col, for SHAP
    model.classifier                             # Spark GBT or XGBoost: see model.estimator
    # P(failure) = sigmoid(model.log_odds_per_margin * margin): 2 for the GBT, 1 for XGBoost
"""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
import pyspark
from mlflow import MlflowClient
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.model.calibration import Calibration
from signaux_spark.model.estimators import GBT, XGBOOST, log_odds_per_margin
from signaux_spark.model.pipeline import FEATURES, score
from signaux_spark.model.thresholds import Thresholds
from signaux_spark.tracking import configure_mlflow

ARTIFACT = "model"
CHALLENGER, CHAMPION = "challenger", "champion"

_MLFLOW_TYPES = {
    T.StringType: "string",
    T.DoubleType: "double",
    T.FloatType: "float",
    T.IntegerType: "integer",
    T.LongType: "long",
    T.ShortType: "integer",
    T.ByteType: "integer",
    T.BooleanType: "boolean",
    T.DecimalType: "double",
    T.DateType: "datetime",
    T.TimestampType: "datetime",
}


@dataclass
class LoadedModel:
    name: str
    version: str
    run_id: str
    pipeline: PipelineModel  # raw named feature columns -> Spark's `probability` vector
    metadata: dict  # the `scoring` metadata stored with the version

    @property
    def classifier(self):
        """The last stage: a Spark `GBTClassificationModel` or an xgboost `SparkXGBClassifierModel`."""
        return self.pipeline.stages[-1]

    @property
    def estimator(self) -> str:
        return self.metadata.get("estimator", GBT)

    @property
    def log_odds_per_margin(self) -> float:
        """P(failure) = sigmoid(this x margin), margin = the classifier's rawPrediction[1]."""
        return float(self.metadata.get("log_odds_per_margin", log_odds_per_margin(self.estimator)))

    @property
    def preprocessing(self) -> PipelineModel:
        """Every stage but the classifier: raw columns -> the assembled vector `features_col`."""
        return PipelineModel(stages=self.pipeline.stages[:-1])

    features_col = FEATURES

    @property
    def features(self) -> list[str]:
        return self.metadata["features"]

    @property
    def slots(self) -> list[str]:
        return self.metadata["slots"]

    @property
    def slot_features(self) -> dict[str, str]:
        """Slot name -> raw feature column, in slot order (sum SHAP values per raw feature with it)."""
        return dict(zip(self.metadata["slots"], self.metadata["slot_features"], strict=True))

    @property
    def topics(self) -> dict[str, str]:
        return self.metadata["topics"]

    @property
    def calibration(self) -> Calibration:
        return Calibration.from_dict(self.metadata["calibration"])

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(**self.metadata["thresholds"])

    def score(self, df: DataFrame) -> DataFrame:
        """`df` plus `probability_raw` (the GBT's) and `probability_calibrated` (thresholds apply to it)."""
        return score(self.pipeline, df, self.calibration)


def signature(schema: T.StructType, features: list[str]) -> ModelSignature:
    """Input: the raw feature columns with their types; output: the pyfunc `prediction` (0/1)."""

    def mlflow_type(field: T.StructField) -> str:
        return next(v for k, v in _MLFLOW_TYPES.items() if isinstance(field.dataType, k))

    inputs = Schema([ColSpec(mlflow_type(schema[c]), c) for c in features])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", "prediction")]))


def pip_requirements(estimator: str) -> list[str]:
    pins = [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]
    if estimator == XGBOOST:
        import xgboost

        pins.append(f"xgboost=={xgboost.__version__}")
    return pins


def log_and_register(
    settings: Settings,
    pipeline: PipelineModel,
    *,
    metadata: dict,
    model_signature: ModelSignature,
    tags: dict[str, str],
) -> str:
    """Log the pipeline in the active run, register it as `mlflow.model_name`, tag the new version
    and give it the `challenger` alias. Returns the version."""
    info = mlflow.spark.log_model(
        pipeline,
        ARTIFACT,
        signature=model_signature,
        pip_requirements=pip_requirements(metadata.get("estimator", GBT)),
        metadata={"scoring": metadata},
        registered_model_name=settings.mlflow.model_name,
    )
    version = str(info.registered_model_version)
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(settings.mlflow.model_name, version, key, str(value))
    client.set_registered_model_alias(settings.mlflow.model_name, CHALLENGER, version)
    return version


def version_of(settings: Settings, alias: str):
    """The model version behind an alias, or None."""
    configure_mlflow(settings)
    try:
        return MlflowClient().get_model_version_by_alias(settings.mlflow.model_name, alias)
    except mlflow.exceptions.MlflowException:
        return None


def promote(settings: Settings, version: str) -> None:
    """Make `version` the champion (the model scoring uses)."""
    configure_mlflow(settings)
    MlflowClient().set_registered_model_alias(settings.mlflow.model_name, CHAMPION, str(version))


def load_model(settings: Settings, alias: str = CHAMPION, version: str | None = None) -> LoadedModel:
    """A registered version (by number, else by alias) with its pipeline and scoring metadata.
    Needs an active SparkSession (the pipeline is a Spark ML model)."""
    configure_mlflow(settings)
    name = settings.mlflow.model_name
    client = MlflowClient()
    try:
        mv = client.get_model_version(name, str(version)) if version else client.get_model_version_by_alias(name, alias)
    except mlflow.exceptions.MlflowException:
        what = f"version {version}" if version else f"alias '{alias}'"
        raise JobError(f"no model {name} with {what} in {settings.tracking_uri} (train one: jobs/train.py)") from None
    uri = f"models:/{name}/{mv.version}"
    metadata = (mlflow.models.get_model_info(uri).metadata or {}).get("scoring")
    if metadata is None:
        raise JobError(f"model {name} version {mv.version} has no scoring metadata (not logged by jobs/train.py)")
    return LoadedModel(
        name=name, version=str(mv.version), run_id=mv.run_id, pipeline=mlflow.spark.load_model(uri), metadata=metadata
    )
