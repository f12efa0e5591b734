"""Resolve the versions of a record that bronze keeps once per delivery (SOURCES.md 0.1).

Bronze holds every version with its batch; readers pick, per record key, the version known at a
batch: the latest by the source's own order (e.g. `date_statut` of AP requests), then the latest
batch, then the last file and line. The same content delivered again keeps its first batch in
`first_batch`, which dates its availability.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.sources.common import LINEAGE_FIELDS

LINEAGE = [f.name for f in LINEAGE_FIELDS]


def latest_versions(
    bronze: DataFrame, key: Sequence[str], *, as_of: str | None = None, order: Sequence[str] = ()
) -> DataFrame:
    """One row per `key`: the version known at batch `as_of` (every batch when None), plus
    `first_batch`, the earliest batch that delivered exactly that content. `order` columns rank
    versions before the batch (descending, nulls lose)."""
    df = bronze if as_of is None else bronze.filter(F.col("batch") <= as_of)
    content = [c for c in df.columns if c not in LINEAGE]
    df = df.withColumn("first_batch", F.min("batch").over(Window.partitionBy(*content)))
    newest = Window.partitionBy(*key).orderBy(
        *[F.col(c).desc_nulls_last() for c in order],
        F.col("batch").desc(),
        F.col("source_file").desc(),
        F.col("line_number").desc(),
    )
    return df.withColumn("version_rank", F.row_number().over(newest)).filter("version_rank = 1").drop("version_rank")
