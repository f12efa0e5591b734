"""The run record (`ops/runs`): an append-only log of each step's status, timings, row counts and
the Delta versions it wrote. The latest row of a (run, step) is its state; a run is finished when
every step it planned succeeded. A killed run leaves a step `running` forever, so it resumes.
A run's `planned` steps never change: a run resumed with `--only` keeps the plan it started with."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from pyspark.sql.window import Window

from signaux_spark import tables
from signaux_spark.io import Lake

SCHEMA = StructType(
    [
        StructField("run_id", StringType(), False),
        StructField("batch", StringType(), False),
        StructField("planned", ArrayType(StringType(), False), False),
        StructField("step", StringType(), False),
        StructField("status", StringType(), False),  # running | succeeded | failed
        StructField("started_at", TimestampType(), False),
        StructField("ended_at", TimestampType(), True),
        StructField("seconds", DoubleType(), True),
        StructField("rows", MapType(StringType(), LongType()), True),
        StructField("versions", MapType(StringType(), LongType()), True),
        StructField("message", StringType(), True),
    ]
)


@dataclass
class RunState:
    """Where a run stands: the steps it planned and the latest status of each."""

    run_id: str
    planned: list[str]
    status: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return all(self.status.get(s) == "succeeded" for s in self.planned)

    def done(self, step: str) -> bool:
        return self.status.get(step) == "succeeded"

    def remaining(self) -> list[str]:
        """The planned steps from the first one not succeeded on: a step run out of order (by
        `--only`) before an earlier one is run again after it."""
        pending = [i for i, s in enumerate(self.planned) if not self.done(s)]
        return self.planned[pending[0] :] if pending else []


class RunLog:
    def __init__(self, spark: SparkSession, lake: Lake):
        self.spark, self.lake = spark, lake

    @staticmethod
    def new_run_id(batch: str) -> str:
        return f"monthly-{batch}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"

    def record(
        self,
        run_id: str,
        batch: str,
        planned: list[str],
        step: str,
        status: str,
        started: dt.datetime,
        ended: dt.datetime | None = None,
        rows: dict[str, int] | None = None,
        versions: dict[str, int] | None = None,
        message: str | None = None,
    ) -> None:
        seconds = (ended - started).total_seconds() if ended else None
        row = (
            run_id,
            batch,
            planned,
            step,
            status,
            started,
            ended,
            seconds,
            {k: int(v) for k, v in (rows or {}).items()},
            {k: int(v) for k, v in (versions or {}).items()},
            message,
        )
        df = self.spark.createDataFrame([row], SCHEMA)
        self.lake.write(df, tables.RUNS, mode="append", metadata={"run_id": run_id, "batch": batch, "step": step})

    def latest_run(self, batch: str, covering: list[str] = ()) -> RunState | None:
        """The most recent run of a batch (by first record) whose plan holds every step of
        `covering`, with each step's latest status."""
        if not self.lake.exists(self.spark, tables.RUNS):
            return None
        rows = self.lake.read(self.spark, tables.RUNS).where(F.col("batch") == batch)
        for name in covering:
            rows = rows.where(F.array_contains("planned", name))
        first = (
            rows.groupBy("run_id")
            .agg(F.min("started_at").alias("t0"))
            .orderBy(F.col("t0").desc(), F.col("run_id").desc())
            .first()
        )
        if first is None:
            return None
        run = rows.where(F.col("run_id") == first["run_id"])
        last = Window.partitionBy("step").orderBy(F.col("started_at").desc(), F.col("ended_at").desc_nulls_last())
        latest = run.withColumn("n", F.row_number().over(last)).where("n = 1").collect()
        planned = latest[0]["planned"] if latest else []
        return RunState(first["run_id"], list(planned), {r["step"]: r["status"] for r in latest})
