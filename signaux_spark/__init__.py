"""signaux_spark: early detection of firms in difficulty, on Apache Spark and Delta Lake."""

__version__ = "0.1.0"
