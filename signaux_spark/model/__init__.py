"""The failure model: data set and time split, Spark ML pipeline, tuning, metrics, calibration,
alert thresholds and the MLflow registry (`registry.load_model` is what scoring uses)."""
