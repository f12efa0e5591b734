"""The Spark side of the split (`sources/text.py`): files read by Spark's binaryFile source (or, when
large, by the task itself from their path) go to Python tasks through mapInArrow and come back as
one row per record plus one row per file (kind "file", its summary or structural error as JSON in
`info`, with `values`: its records' fields and wide cells, what the typing will evaluate). All
sources of a run share one pass: a file's source is the folder above its batch
(`<landing>/<source>/<batch>/<file>`)."""

from __future__ import annotations

import dataclasses
import gc
import json
import math
from functools import partial, reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

from signaux_spark.sources.text import Layout, Record, StructuralError, file_records

BYTES_PER_PARTITION = 64 * 1024 * 1024
CHUNK_ROWS = 20_000  # records per Arrow batch sent back to Spark
TEXT = StringType()
FILES = "path string, content binary"  # the binaryFile reader's two columns the split reads
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
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(RECORDS_SCHEMA)
    # The split makes millions of small objects and no reference cycles: with the cyclic collector
    # on, each of its full passes walks the file's lines again, which took most of the split's time.
    gc.disable()
    try:
        yield from _split(batches, layouts, require_rows, schema)
    finally:
        gc.enable()


def _split(batches, layouts: dict[str, Layout], require_rows: frozenset[str], schema):
    import pyarrow as pa

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
            # Records go back in chunks as they are split: a task holds one file's lines and one chunk.
            # A structural error found midway refuses the whole file (its batch is not loaded), so the
            # chunks sent before it are never read.
            file_kind, chunk = None, []
            try:
                content = contents[i]  # the bytes are passed without a name, so the split can free them
                summary, records = file_records(
                    where[2],
                    content.as_py() if content.is_valid else read_stored(path),
                    layouts[source],
                    require_rows=source in require_rows,
                )
                file_kind, values = summary.file_kind, 0
                for record in records:
                    chunk.append(record)
                    values += len(record.fields or ()) + len(record.cells or ())
                    if len(chunk) == CHUNK_ROWS:
                        yield arrow(where, file_kind, chunk, None)
                        chunk = []
                if chunk:
                    yield arrow(where, file_kind, chunk, None)
                info = dict(dataclasses.asdict(summary), values=values, error=None)
            except StructuralError as err:
                file_kind, info = None, {"file_kind": None, "error": str(err)}
            yield arrow(where, file_kind, [], json.dumps(info))


def read_stored(uri: str) -> bytes:
    """A file's bytes read by the Python task itself (`file:`, `hdfs:`, `s3a:` through pyarrow's file
    systems); a file that cannot be read is refused like an undecodable one."""
    from pyarrow import fs

    try:
        if uri.startswith("file:"):
            with open(uri.removeprefix("file:"), "rb") as f:  # file:/a/b (Hadoop's form) or file:///a/b
                return f.read()
        filesystem, path = fs.FileSystem.from_uri(uri.replace("s3a://", "s3://", 1))
        with filesystem.open_input_stream(path) as f:
            return f.read()
    except (OSError, ValueError) as err:
        raise StructuralError(f"cannot be read by the task: {err}") from None


def read_records(
    spark: SparkSession,
    paths: dict[str, int],
    layouts: dict[str, Layout],
    require_rows: frozenset[str],
    large_file_bytes: int,
) -> DataFrame:
    """The split records and file summaries of the files `paths` (path -> size), of any sources,
    cached. Files up to `large_file_bytes` come through Spark's binaryFile reader, in as many
    partitions as their bytes need (Spark's one partition per small file would make each later
    stage hundreds of tiny tasks). A larger file comes as its path alone, one per task, and the task
    reads it (through Spark, a file of a gigabyte costs about four times its size of JVM heap); its
    records are then spread over partitions of the same size as the others, so that no cached block
    holds a whole file and the later stages use every core."""
    split = partial(split_files, layouts=layouts, require_rows=require_rows)
    small = [p for p, size in paths.items() if size <= large_file_bytes]
    large = sorted(set(paths) - set(small), key=paths.get, reverse=True)
    parts = []
    if small:
        files = spark.read.format("binaryFile").load(small).select("path", "content")
        parts.append(files.coalesce(partitions_for(spark, paths, small)).mapInArrow(split, RECORDS_SCHEMA))
    if large:
        files = spark.createDataFrame(spark.sparkContext.parallelize([(p, None) for p in large], len(large)), FILES)
        records = files.mapInArrow(split, RECORDS_SCHEMA)
        parts.append(records.repartition(partitions_for(spark, paths, large), "batch", "source_file", "line_number"))
    return reduce(DataFrame.unionAll, parts).persist(StorageLevel.MEMORY_AND_DISK)


def partitions_for(spark: SparkSession, paths: dict[str, int], files: list[str]) -> int:
    return max(spark.sparkContext.defaultParallelism, math.ceil(sum(map(paths.get, files)) / BYTES_PER_PARTITION))


def file_summaries(lines: DataFrame) -> dict[tuple[str, str], list[tuple[str, dict]]]:
    """(source, batch) -> [(file name, its summary or structural error)], sorted by file."""
    rows = sorted(lines.filter(F.col("kind") == "file").select("source", "batch", "source_file", "info").collect())
    out: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for row in rows:
        out.setdefault((row.source, row.batch), []).append((row.source_file, json.loads(row.info)))
    return out
