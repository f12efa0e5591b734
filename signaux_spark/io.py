"""The only code that knows table paths and says format("delta").

Tables are named by layer and name, `"bronze/urssaf_debit"`, and live under `paths.lake`.
"""

from __future__ import annotations

import json
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from signaux_spark.config import Settings


class Lake:
    def __init__(self, settings: Settings):
        self.root = settings.path("lake")

    def path(self, table: str) -> str:
        return f"{self.root.rstrip('/')}/{table}"

    def exists(self, spark: SparkSession, table: str) -> bool:
        return DeltaTable.isDeltaTable(spark, self.path(table))

    def read(self, spark: SparkSession, table: str, version: int | None = None) -> DataFrame:
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.path(table))

    def table(self, spark: SparkSession, table: str) -> DeltaTable:
        return DeltaTable.forPath(spark, self.path(table))

    def version(self, spark: SparkSession, table: str) -> int | None:
        """Latest committed version, or None when the table does not exist yet."""
        if not self.exists(spark, table):
            return None
        return self.table(spark, table).history(1).select("version").first()[0]

    def drop(self, spark: SparkSession, table: str) -> None:
        """Remove the table's folder, on whatever file system holds the lake (local, HDFS, S3)."""
        path = spark._jvm.org.apache.hadoop.fs.Path(self.path(table))
        path.getFileSystem(spark._jsc.hadoopConfiguration()).delete(path, True)

    def write(
        self,
        df: DataFrame,
        table: str,
        *,
        mode: str = "overwrite",
        replace_where: str | None = None,
        partition_by: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """One atomic Delta commit. `replace_where` overwrites only the rows matching it."""
        writer = df.write.format("delta").mode(mode)
        if replace_where is not None:
            writer = writer.option("replaceWhere", replace_where)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        if metadata:
            writer = writer.option("userMetadata", json.dumps(metadata, sort_keys=True, default=str))
        writer.save(self.path(table))

    def ensure(
        self,
        spark: SparkSession,
        table: str,
        schema: StructType,
        *,
        partition_by: list[str] | None = None,
        constraints: dict[str, str] | None = None,
    ) -> None:
        """Create the table with exactly `schema` (NOT NULL columns included) and its CHECK
        constraints if it does not exist; else add the constraints it does not have yet."""
        if self.exists(spark, table):
            if constraints:
                self.add_constraints(spark, table, constraints)
            return
        builder = DeltaTable.createIfNotExists(spark).location(self.path(table)).addColumns(schema)
        if partition_by:
            builder = builder.partitionedBy(*partition_by)
        for name, expression in (constraints or {}).items():
            builder = builder.property(f"delta.constraints.{name.lower()}", expression)
        builder.execute()

    def add_constraints(self, spark: SparkSession, table: str, constraints: dict[str, str]) -> None:
        """Add CHECK constraints that are not there yet, and replace those whose expression changed
        (a list of allowed values grew); idempotent."""
        existing = {
            k.removeprefix("delta.constraints."): v
            for k, v in self.table(spark, table).detail().first()["properties"].items()
            if k.startswith("delta.constraints.")
        }
        for name, expression in constraints.items():
            if existing.get(name.lower()) == expression:
                continue
            if name.lower() in existing:
                spark.sql(f"ALTER TABLE delta.`{self.path(table)}` DROP CONSTRAINT {name}")
            spark.sql(f"ALTER TABLE delta.`{self.path(table)}` ADD CONSTRAINT {name} CHECK ({expression})")
