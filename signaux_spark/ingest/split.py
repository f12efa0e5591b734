"""The Spark side of the split (`sources/text.py`): files read by Spark's binaryFile source go to
Python tasks through mapInArrow and come back as one row per record plus one row per file (kind
"file", its summary or structural error as JSON in `info`). All sources of a run share one pass:
a file's source is the folder above its batch (`<landing>/<source>/<batch>/<file>`)."""

from __future__ import annotations

import json
import math
from functools import partial

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

from signaux_spark.sources.text import Layout, Record, StructuralError, split_file

BYTES_PER_PARTITION = 64 * 1024 * 1024
CHUNK_ROWS = 20_000  # records per Arrow batch sent back to Spark
TEXT = StringType()
RECORDS_SCHEMA = StructType(
    [
        StructField("source", TEXT),
        StructField("batch", TEXT),
        StructField("source_file", TEXT),
        StructField("file_kind", TEXT),
        StructField("kind", TEXT),
        StructField("line_number", LongType()),
        StructField("raw_line", TEXT),
        StructField("fields", ArrayType(TEXT)),
        StructField("reason", TEXT),
        StructField("detail", TEXT),
        StructField("flags", ArrayType(TEXT)),
        StructField("cells", ArrayType(StructType([StructField(n, TEXT) for n in ("column", "periode", "value")]))),
        StructField("info", TEXT),
    ]
)


def split_files(batches, layouts: dict[str, Layout], require_rows: frozenset[str]):
    """mapInArrow function: Arrow batches of (path, content) -> Arrow batches of RECORDS_SCHEMA rows."""
    import dataclasses

    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(RECORDS_SCHEMA)

    def arrow(
        where: tuple[str, str, str], file_kind: str | None, records: list[Record], info: str | None
    ) -> pa.RecordBatch:
        source, batch, file_name = where
        n = len(records) if info is None else 1
        if info is None:
            columns = {
                "kind": ["record"] * n,
                "line_number": [r.line_number for r in records],
                "raw_line": [r.raw_line for r in records],
                "fields": [r.fields for r in records],
                "reason": [r.reason for r in records],
                "detail": [r.detail for r in records],
                "flags": [r.flags for r in records],
                "cells": [r.cells for r in records],
                "info": [None] * n,
            }
        else:
            columns = {"kind": ["file"], "flags": [[]], "info": [info]}
        columns.update(
            {"source": [source] * n, "batch": [batch] * n, "source_file": [file_name] * n, "file_kind": [file_kind] * n}
        )
        return pa.RecordBatch.from_arrays(
            [pa.array(columns.get(f.name, [None] * n), type=f.type) for f in schema], schema=schema
        )

    for arrow_batch in batches:
        paths = arrow_batch.column("path").to_pylist()
        contents = arrow_batch.column("content")
        for i, path in enumerate(paths):
            where = tuple(path.rsplit("/", 3)[-3:])
            source = where[0]
            try:
                summary, records = split_file(
                    where[2], contents[i].as_py(), layouts[source], require_rows=source in require_rows
                )
                info = dict(dataclasses.asdict(summary), error=None)
            except StructuralError as err:
                records, info = [], {"file_kind": None, "error": str(err)}
            for start in range(0, len(records), CHUNK_ROWS):
                yield arrow(where, info["file_kind"], records[start : start + CHUNK_ROWS], None)
            yield arrow(where, info["file_kind"], [], json.dumps(info))


def read_records(
    spark: SparkSession, paths: dict[str, int], layouts: dict[str, Layout], require_rows: frozenset[str]
) -> DataFrame:
    """The split records and file summaries of the files `paths` (path -> size), of any sources,
    cached: one Spark read, in as many partitions as the bytes need (Spark's one partition per small
    file would make each later stage hundreds of tiny tasks)."""
    partitions = max(spark.sparkContext.defaultParallelism, math.ceil(sum(paths.values()) / BYTES_PER_PARTITION))
    files = spark.read.format("binaryFile").load(list(paths)).select("path", "content").coalesce(partitions)
    lines = files.mapInArrow(partial(split_files, layouts=layouts, require_rows=require_rows), RECORDS_SCHEMA)
    return lines.persist(StorageLevel.MEMORY_AND_DISK)


def file_summaries(lines: DataFrame) -> dict[tuple[str, str], list[tuple[str, dict]]]:
    """(source, batch) -> [(file name, its summary or structural error)], sorted by file."""
    rows = sorted(lines.filter(F.col("kind") == "file").select("source", "batch", "source_file", "info").collect())
    out: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for row in rows:
        out.setdefault((row.source, row.batch), []).append((row.source_file, json.loads(row.info)))
    return out
