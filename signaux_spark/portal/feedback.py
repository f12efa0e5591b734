"""The regional teams' feedback, from the portal's database to the Delta table
`portal.feedback_table` (gold/feedback), so data scientists can read it beside the scores.

The one module of the portal that uses Spark: the web application never imports it.
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from signaux_spark.config import Settings
from signaux_spark.io import Lake
from signaux_spark.portal.store import ACTIONS, Store

SCHEMA = T.StructType(
    [
        T.StructField("feedback_id", T.LongType(), False),
        T.StructField("recorded_at", T.TimestampType(), False),
        T.StructField("email", T.StringType(), False),
        T.StructField("region", T.StringType(), False),
        T.StructField("siren", T.StringType(), False),
        T.StructField("list_month", T.StringType(), False),
        T.StructField("action", T.StringType(), False),
        T.StructField("action_label", T.StringType(), False),
        T.StructField("comment", T.StringType(), True),
    ]
)


def export_feedback(spark: SparkSession, settings: Settings, store: Store) -> int:
    """Replace the Delta table with every feedback recorded so far; returns its row count."""
    rows = [
        (
            f["id"],
            f["at"],
            f["email"],
            f["region"],
            f["siren"],
            f["month"],
            f["action"],
            ACTIONS[f["action"]],
            f["comment"] or None,
        )
        for f in store.feedback()
    ]
    Lake(settings).write(
        spark.createDataFrame(rows, SCHEMA),
        settings.portal.feedback_table,
        metadata={"source": "portal", "rows": len(rows)},
    )
    return len(rows)
