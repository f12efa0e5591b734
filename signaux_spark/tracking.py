"""MLflow wiring shared by the jobs: the tracking URI and experiment come from the settings."""

from __future__ import annotations

from pathlib import Path

from signaux_spark.config import Settings


def configure_mlflow(settings: Settings) -> str:
    """Point MLflow at the settings' backend, create the experiment if needed, return its id."""
    import mlflow

    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.get_experiment_by_name(settings.mlflow.experiment)
    if experiment is not None:
        experiment_id = experiment.experiment_id
    else:
        artifacts = settings.artifact_location
        if "://" not in artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            artifacts = Path(artifacts).resolve().as_uri()
        experiment_id = mlflow.create_experiment(settings.mlflow.experiment, artifact_location=artifacts)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
