"""What a source module gives ingestion, written down once: ingestion reads sources through this only,
so adding a source is one new module ending with `SPEC = Source(...)` and its name in `SOURCES`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from signaux_spark import tables
from signaux_spark.sources.text import Layout


@dataclass(frozen=True)
class ParseContext:
    """What a source's `parse` may use besides its records (a source reads the fields it needs)."""

    spark: SparkSession
    lake: object  # signaux_spark.io.Lake: read other bronze tables
    history_start: dt.date  # dates earlier than this are out of range
    procol_history_start: dt.date  # the proceedings' own earliest date
    regions: dict[str, str]  # departement -> region (reference table)
    naf_sections: dict[str, str]  # NAF division -> section (reference table)


@dataclass(frozen=True)
class Source:
    """One source of SOURCES.md as ingestion sees it.

    `parse(records, context)` returns the line-level frame of `rows.assemble`; `reads` names the
    sources whose bronze tables it reads (it is then loaded after them). The hooks are optional:
    `split_rows(parsed) -> (bronze rows, rejects)` when a line is not one row (wide headcount files);
    `after_load(context, loaded, run_id)` runs once per ingestion after every source is written, with
    the names of the sources written in it (a table kept true to another one, e.g. orphan flags)."""

    name: str
    file_name: str  # the delivery's file name, for messages
    layout: Layout
    schema: StructType  # the bronze table's schema
    record_key: Sequence[str]  # what identifies a record across batches
    constraints: dict[str, str]  # CHECK constraints of the bronze table
    parse: Callable[[DataFrame, ParseContext], DataFrame]
    reads: tuple[str, ...] = ()
    split_rows: Callable[[DataFrame], tuple[DataFrame, DataFrame]] | None = None
    after_load: Callable[[ParseContext, set[str], str], None] | None = None

    @property
    def table(self) -> str:
        return tables.bronze(self.name)
