"""Ingestion: the deliveries under `landing/<source>/<YYYY-MM>/` into Delta tables `bronze/<source>`,
`bronze/rejects` and `bronze/ingest_report` (SOURCES.md sections 0-11).

One pass per source over all the requested batches: Spark reads the files (binaryFile), Python tasks
decode and split them (`sources/text.py`), Spark SQL types and validates the fields (the source
module's `parse`), then one Delta commit per table replaces exactly the rows of the batches loaded
(`replaceWhere batch IN (...)`). A batch's rows depend on its files only, so loading batches twice,
out of order, or again after a kill gives the same tables.

A structural problem (missing delivery, bad header, undecodable file, ...) or too many rejected
lines fails that source x batch before anything is written for it; the other batches and sources
still load unless `strict`.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import inspect
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from functools import partial, reduce
from pathlib import Path
from types import ModuleType

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (ArrayType, DoubleType, LongType, MapType, StringType, StructField,
                               StructType)

from signaux_spark.config import ConfigError, Settings
from signaux_spark.io import Lake
from signaux_spark.progress import log, step
from signaux_spark.sources import SOURCES
from signaux_spark.sources.common import REJECT_REASONS, REJECTS_SCHEMA
from signaux_spark.sources.rows import LINE_COLUMNS
from signaux_spark.sources.text import records_schema, split_files

REJECTS_TABLE = "bronze/rejects"
REPORT_TABLE = "bronze/ingest_report"
MODULES: dict[str, ModuleType] = {name: importlib.import_module(f"signaux_spark.sources.{name}") for name in SOURCES}
BYTES_PER_PARTITION = 64 * 1024 * 1024
# Session settings while ingesting (restored after): the Python split gets whole files as rows, so few
# per Arrow batch; whole-stage code of the wide parsing projections is larger than what the JVM
# compiles (8000 bytes), so Spark falls back to split expression code (its documented setting).
INGEST_SPARK_CONF = {
    "spark.sql.execution.arrow.maxRecordsPerBatch": "8",
    "spark.sql.codegen.hugeMethodLimit": "8000",
}

# Per file: lines read = skipped (header, trailer, blank, duplicates) + accepted + rejected.
FILE_COUNTS = ("file", "lines_read", "skipped_lines", "accepted_lines", "rejected_lines")
REPORT_SCHEMA = StructType([
    StructField("run_id", StringType(), False),
    StructField("batch", StringType(), False),
    StructField("source", StringType(), False),
    StructField("status", StringType(), False),          # loaded | failed | missing | no_delivery | skipped
    StructField("files", ArrayType(StringType(), False), False),
    StructField("file_flags", ArrayType(StringType(), False), False),   # "<file>: <flag>"
    StructField("warnings", ArrayType(StringType(), False), False),
    StructField("lines_read", LongType(), False),
    StructField("header_lines", LongType(), False),
    StructField("trailer_lines", LongType(), False),
    StructField("blank_lines", LongType(), False),
    StructField("duplicates_dropped", LongType(), False),
    StructField("accepted_lines", LongType(), False),
    StructField("rejected_lines", LongType(), False),
    StructField("rows_written", LongType(), False),
    StructField("rejects_by_reason", MapType(StringType(), LongType(), False), False),
    StructField("file_lines", ArrayType(StructType([      # Delta: no NOT NULL inside arrays
        StructField(name, StringType() if name == "file" else LongType()) for name in FILE_COUNTS]), False), False),
    StructField("elapsed_seconds", DoubleType(), False),
    StructField("message", StringType(), True),
])
REPORT_CONSTRAINTS = {
    "status_known": "status IN ('loaded', 'failed', 'missing', 'no_delivery', 'skipped')",
    "lines_balance": ("status <> 'loaded' OR lines_read = header_lines + trailer_lines + blank_lines "
                      "+ duplicates_dropped + accepted_lines + rejected_lines"),
}
REJECTS_CONSTRAINTS = {
    "reason_known": "reason IN (" + ", ".join(f"'{r}'" for r in REJECT_REASONS) + ")",
    "source_known": "source IN (" + ", ".join(f"'{s}'" for s in SOURCES) + ")",
}


class AccountingError(RuntimeError):
    """Lines lost or counted twice between the split and the typed rows: a bug, never bad input."""


@dataclass
class UnitReport:
    """What happened to one source in one batch."""

    source: str
    batch: str
    status: str = "no_delivery"
    files: list[str] = field(default_factory=list)
    file_flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines_read: int = 0
    header_lines: int = 0
    trailer_lines: int = 0
    blank_lines: int = 0
    duplicates_dropped: int = 0
    accepted_lines: int = 0
    rejected_lines: int = 0
    rows_written: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    file_lines: list[dict] = field(default_factory=list)      # FILE_COUNTS of each file
    elapsed_seconds: float = 0.0
    message: str | None = None

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.message = message if self.message is None else f"{self.message}; {message}"

    @property
    def data_lines(self) -> int:
        return self.accepted_lines + self.rejected_lines


@dataclass
class IngestReport:
    run_id: str
    batches: list[str]
    units: list[UnitReport] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """One line per failed source x batch."""
        return [f"{u.source} {u.batch}: {u.message}" for u in self.units if u.status == "failed"]

    def unit(self, source: str, batch: str) -> UnitReport:
        return next(u for u in self.units if u.source == source and u.batch == batch)

    def table(self, by_batch: bool | None = None) -> str:
        """The printed summary: one line per source x batch (few batches) or per source."""
        by_batch = len(self.batches) <= 3 if by_batch is None else by_batch
        groups: dict[tuple[str, str], list[UnitReport]] = {}
        for u in self.units:
            groups.setdefault((u.source, u.batch if by_batch else ""), []).append(u)
        head = f"{'source':<22}{'batch':<9}{'status':<19}{'files':>6}{'read':>10}{'accepted':>10}{'rejected':>9}" \
               f"{'dupl.':>7}{'skipped':>8}{'rows':>10}{'sec':>7}  rejects by reason"
        lines = [head, "-" * len(head)]
        for (source, batch), units in groups.items():
            statuses = sorted({u.status for u in units})
            reasons: dict[str, int] = {}
            for u in units:
                for r, n in u.rejects_by_reason.items():
                    reasons[r] = reasons.get(r, 0) + n
            total = lambda name: sum(getattr(u, name) for u in units)  # noqa: E731
            skipped = total("header_lines") + total("trailer_lines") + total("blank_lines")
            lines.append(
                f"{source:<22}{batch or f'x{len(units)}':<9}{'/'.join(statuses):<19}{sum(len(u.files) for u in units):>6}"
                f"{total('lines_read'):>10}{total('accepted_lines'):>10}{total('rejected_lines'):>9}"
                f"{total('duplicates_dropped'):>7}{skipped:>8}{total('rows_written'):>10}{max(u.elapsed_seconds for u in units):>7.1f}  "
                + ", ".join(f"{r}={n}" for r, n in sorted(reasons.items())))
            files = [f for u in units for f in u.file_lines]
            if by_batch and len(files) > 1:       # each file balances on its own (checked in code)
                lines += [f"  {f['file']}: read {f['lines_read']} = accepted {f['accepted_lines']} + rejected "
                          f"{f['rejected_lines']} + skipped {f['skipped_lines']}" for f in files]
        return "\n".join(lines)


def batch_range(first: str, last: str) -> list[str]:
    """Every month `YYYY-MM` from `first` to `last`, both included."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def is_expected(settings: Settings, source: str, batch: str) -> bool:
    """Whether the cadence of SOURCES.md 0.1 (conf `ingest.cadence`) expects a delivery in `batch`."""
    months = settings.ingest.cadence.get(source)
    return months is None or int(batch[5:7]) in months


def landing_files(spark: SparkSession, root: str) -> dict[str, int]:
    """Path -> size of the files `root/<batch>/<file>` on any Hadoop file system (hidden files skipped)."""
    jvm = spark._jvm
    pattern = jvm.org.apache.hadoop.fs.Path(root.rstrip("/") + "/*/*")
    statuses = pattern.getFileSystem(spark._jsc.hadoopConfiguration()).globStatus(pattern) or []
    files = {s.getPath().toString(): s.getLen() for s in statuses if s.isFile()}
    return {p: n for p, n in sorted(files.items()) if not p.rsplit("/", 1)[-1].startswith((".", "_"))}


def read_reference(settings: Settings) -> dict[str, dict[str, str]]:
    """The shipped reference tables of SOURCES.md 12, small enough for the driver."""
    root = Path(settings.path("reference"))

    def table(name: str, key: str, value: str) -> dict[str, str]:
        with open(root / name, encoding="utf-8", newline="") as f:
            return {row[key]: row[value] for row in csv.DictReader(f)}

    return {"regions": table("departement_region.csv", "departement", "region"),
            "naf_sections": table("naf_sections.csv", "division", "section")}


def parse_date(text: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"setting 'ingest.{key}' must be a date YYYY-MM-DD, got {text!r}") from None


def ingest(spark: SparkSession, settings: Settings, batches: list[str], sources: list[str] | None = None,
           strict: bool | None = None, run_id: str | None = None) -> IngestReport:
    """Load `batches` of `sources` (all by default) into bronze, one Spark pass and one commit per
    table and source; returns the report, also written to `bronze/ingest_report`."""
    unknown = sorted(set(sources or []) - set(SOURCES))
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)} (known: {', '.join(SOURCES)})")
    if settings.ingest.missing_delivery not in ("error", "warn"):
        raise ConfigError("setting 'ingest.missing_delivery' must be error or warn")
    if settings.ingest.altares_missing_trailer not in ("flag", "error"):
        raise ConfigError("setting 'ingest.altares_missing_trailer' must be flag or error")
    strict = settings.ingest.strict if strict is None else strict
    batches = sorted(set(batches))
    report = IngestReport(run_id or uuid.uuid4().hex, batches)
    lake = Lake(settings)
    lake.ensure(spark, REJECTS_TABLE, REJECTS_SCHEMA, constraints=REJECTS_CONSTRAINTS)
    lake.ensure(spark, REPORT_TABLE, REPORT_SCHEMA, constraints=REPORT_CONSTRAINTS)
    options = {
        "history_start": parse_date(settings.ingest.history_start, "history_start"),
        **read_reference(settings),
    }
    loaded: list[tuple[str, list[str], DataFrame]] = []      # source, batches written, their cached rejects
    previous = {key: spark.conf.get(key, None) for key in INGEST_SPARK_CONF}
    for key, value in INGEST_SPARK_CONF.items():
        spark.conf.set(key, value)
    try:
        for source in [s for s in SOURCES if sources is None or s in sources]:
            if strict and report.failures:
                log.warning("ingest %s: not run (strict mode, an earlier source failed)", source)
                continue
            units, written, rejects = load_source(spark, settings, lake, MODULES[source], batches, report.run_id,
                                                  strict, options)
            report.units.extend(units)
            if written:
                loaded.append((source, written, rejects))
        write_rejects(lake, loaded, report.run_id)
    finally:
        for _, _, rejects in loaded:
            rejects.unpersist()
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
    if {source for source, _, _ in loaded} & {"ap_demande", "ap_consommation"}:
        refresh_orphan_flags(spark, lake, report.run_id)
    write_report(spark, lake, report)
    return report


def load_source(spark: SparkSession, settings: Settings, lake: Lake, module: ModuleType, batches: list[str],
                run_id: str, strict: bool, options: dict) -> tuple[list[UnitReport], list[str], DataFrame | None]:
    """Load one source's batches: (reports, batches written to bronze, their rejects, cached)."""
    source = module.SOURCE
    start = time.monotonic()
    units = {b: UnitReport(source, b) for b in batches}
    written, rejects = [], None
    with step(spark, f"ingest {source}") as progress:
        paths = find_deliveries(spark, settings, module, units)
        lines = read_records(spark, paths, module.LAYOUT, source in settings.ingest.require_rows) if paths else None
        if lines is not None:
            read_file_summaries(lines, units, settings)
        ready = [b for b, u in units.items() if u.status == "loaded"]
        if strict and any(u.status == "failed" for u in units.values()):
            for b in ready:
                units[b].status, units[b].message = "skipped", "not written: strict mode, another batch failed"
            ready = []
        if ready:
            parsed = module.parse(lines.filter((F.col("kind") == "record") & F.col("batch").isin(ready)),
                                  **parse_options(spark, lake, module, options, settings))
            parsed = parsed.persist(StorageLevel.MEMORY_AND_DISK)
            rows, rejects = split_rows(module, parsed)
            rejects = rejects.persist(StorageLevel.MEMORY_AND_DISK)
            count_lines(parsed, rows, rejects, units, ready)
            for b in ready:
                check_threshold(settings, units[b])
            written = [b for b in ready if units[b].status == "loaded"]
            if strict and any(u.status == "failed" for u in units.values()):
                written = []
                for b in ready:
                    if units[b].status == "loaded":
                        units[b].status, units[b].message = "skipped", "not written: strict mode, another batch failed"
            if written:
                write_bronze(spark, lake, module, rows, written, run_id)
            parsed.unpersist()
        if lines is not None:
            lines.unpersist()
        if not written and rejects is not None:
            rejects.unpersist()
            rejects = None
        for u in units.values():
            if u.batch not in written:
                u.rows_written = 0
        progress.rows.update({
            "batches loaded": len(written),
            "lines": sum(u.lines_read for u in units.values()),
            "rows": sum(u.rows_written for u in units.values()),
            "rejected": sum(u.rejected_lines for u in units.values() if u.batch in written),
            "failed": sum(u.status == "failed" for u in units.values()),
        })
    elapsed = time.monotonic() - start
    for u in units.values():
        u.elapsed_seconds = round(elapsed, 3)
        if u.status == "failed":
            log.error("ingest %s %s: %s", source, u.batch, u.message)
    return list(units.values()), written, rejects


def find_deliveries(spark: SparkSession, settings: Settings, module: ModuleType,
                    units: dict[str, UnitReport]) -> dict[str, int]:
    """Path -> size of the deliveries of the requested batches; missing or doubled ones fail their batch."""
    root = f"{settings.path('landing').rstrip('/')}/{module.SOURCE}"
    sizes = landing_files(spark, root)
    by_batch: dict[str, list[str]] = {}
    for path in sizes:
        batch, name = path.rsplit("/", 2)[-2:]
        if batch not in units:
            continue
        if module.LAYOUT.kind_of(name) is None:
            units[batch].warnings.append(f"{name}: not a delivery of {module.SOURCE}, ignored")
            continue
        by_batch.setdefault(batch, []).append(path)
    paths: dict[str, int] = {}
    for batch, unit in units.items():
        found = by_batch.get(batch, [])
        unit.files = [p.rsplit("/", 1)[-1] for p in found]
        plain = [n.removesuffix(".gz") for n in unit.files]
        doubled = sorted({n for n in plain if plain.count(n) > 1})
        if doubled:
            unit.fail(f"{', '.join(doubled)} delivered twice (plain and .gz)")
        elif found:
            unit.status = "loaded"
            paths.update({p: sizes[p] for p in found})
        elif is_expected(settings, module.SOURCE, batch):
            if settings.ingest.missing_delivery == "error":
                unit.fail(f"missing delivery: no {getattr(module, 'FILE_NAME', 'file')} in {root}/{batch}/")
            else:
                unit.status = "missing"
                unit.message = "missing delivery"
    return paths


def read_records(spark: SparkSession, paths: dict[str, int], layout, require_rows: bool) -> DataFrame:
    """The split records and file summaries of the files `paths` (path -> size), cached: files are
    read by Spark and split by Python tasks, one file at a time, in as many partitions as the bytes
    need (Spark's one partition per small file would make each later stage hundreds of tiny tasks)."""
    partitions = max(spark.sparkContext.defaultParallelism, math.ceil(sum(paths.values()) / BYTES_PER_PARTITION))
    files = spark.read.format("binaryFile").load(list(paths)).select("path", "content").coalesce(partitions)
    lines = files.mapInArrow(partial(split_files, layout=layout, require_rows=require_rows), records_schema())
    return lines.persist(StorageLevel.MEMORY_AND_DISK)


def read_file_summaries(lines: DataFrame, units: dict[str, UnitReport], settings: Settings) -> None:
    """File-level counts and flags into the units; structural errors fail their batch."""
    summaries = sorted(lines.filter(F.col("kind") == "file").select("batch", "source_file", "info").collect())
    seen = {(row.batch, row.source_file) for row in summaries}
    for unit in units.values():      # Spark's file sources skip files of 0 bytes
        for name in unit.files:
            if unit.status == "loaded" and (unit.batch, name) not in seen:
                unit.fail(f"{name}: empty file (0 bytes)")
    for row in summaries:
        unit = units[row.batch]
        info = json.loads(row.info)
        if info["error"]:
            unit.fail(f"{row.source_file}: {info['error']}")
            continue
        for name in ("header", "trailer", "blank"):
            setattr(unit, f"{name}_lines", getattr(unit, f"{name}_lines") + info[name])
        unit.lines_read += info["lines"]
        unit.duplicates_dropped += info["duplicates"]
        unit.file_lines.append({"file": row.source_file, "lines_read": info["lines"], "accepted_lines": 0, "rejected_lines": 0,
                                "skipped_lines": sum(info[k] for k in ("header", "trailer", "blank", "duplicates"))})
        unit.file_flags += [f"{row.source_file}: {flag}" for flag in info["flags"]]
        unit.warnings += [f"{row.source_file}: {w}" for w in info["warnings"]]
        if "missing_trailer" in info["flags"] and settings.ingest.altares_missing_trailer == "error":
            unit.fail(f"{row.source_file}: no trailer line (Fin du fichier : total N ligne(s))")


def parse_options(spark: SparkSession, lake: Lake, module: ModuleType, options: dict, settings: Settings) -> dict:
    """The keyword options the source's `parse` declares, from the shared ones."""
    wanted = inspect.signature(module.parse).parameters
    available = dict(options)
    if module.SOURCE == "urssaf_procol":
        available["history_start"] = parse_date(settings.ingest.procol_history_start, "procol_history_start")
    if "requests" in wanted:
        available["requests"] = known_requests(spark, lake)
    return {k: v for k, v in available.items() if k in wanted}


def known_requests(spark: SparkSession, lake: Lake) -> DataFrame:
    table = "bronze/ap_demande"
    if lake.exists(spark, table):
        return lake.read(spark, table).select("id_demande")
    return spark.createDataFrame([], "id_demande string")


def split_rows(module: ModuleType, parsed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(bronze rows, reject rows) of the line-level frame."""
    if hasattr(module, "split_cells"):
        return module.split_cells(parsed)
    names = [f.name for f in module.BRONZE_SCHEMA.fields if f.name != "ingest_run_id"]
    rows = parsed.filter(F.col("reason").isNull()).select(*names)
    rejects = parsed.filter(F.col("reason").isNotNull()).select("batch", "source_file", "line_number", *LINE_COLUMNS)
    return rows, rejects


def count_lines(parsed: DataFrame, rows: DataFrame, rejects: DataFrame, units: dict[str, UnitReport],
                batches: list[str]) -> None:
    """Every count in one Spark job (which also caches the rejects); checks lines read = accepted +
    rejected + skipped per batch. Rows differ from lines in the wide headcount file only (cells)."""
    def tagged(df: DataFrame, what: str, by: list[str]) -> DataFrame:
        reason = F.col("reason") if "reason" in by else F.lit(None).cast("string")
        source_file = F.col("source_file") if "source_file" in by else F.lit(None).cast("string")
        return df.groupBy(*by).count().select(F.lit(what).alias("what"), "batch", source_file.alias("source_file"),
                                              reason.alias("reason"), "count")

    counts = (tagged(parsed, "line", ["batch", "source_file", "reason"])
              .unionByName(tagged(rejects, "reject", ["batch", "reason"]))
              .unionByName(tagged(rows, "row", ["batch"])).collect())
    for what, batch, source_file, reason, n in counts:
        unit = units[batch]
        if what == "line":
            name = "accepted_lines" if reason is None else "rejected_lines"
            setattr(unit, name, getattr(unit, name) + n)
            next(f for f in unit.file_lines if f["file"] == source_file)[name] += n
        elif what == "reject":
            unit.rejects_by_reason[reason] = n
        else:
            unit.rows_written = n
    for b in batches:
        u = units[b]
        for f in u.file_lines:
            if f["lines_read"] != f["skipped_lines"] + f["accepted_lines"] + f["rejected_lines"]:
                raise AccountingError(f"{u.source} {b} {f['file']}: {f['lines_read']} lines read but {f['accepted_lines']} "
                                      f"accepted + {f['rejected_lines']} rejected + {f['skipped_lines']} skipped")
        skipped = u.header_lines + u.trailer_lines + u.blank_lines + u.duplicates_dropped
        if u.lines_read != skipped + u.accepted_lines + u.rejected_lines:
            raise AccountingError(f"{u.source} {b}: {u.lines_read} lines read but {u.accepted_lines} accepted + "
                                  f"{u.rejected_lines} rejected + {skipped} skipped")


def check_threshold(settings: Settings, unit: UnitReport) -> None:
    threshold = settings.ingest.reject_thresholds.get(unit.source, settings.ingest.reject_threshold)
    if unit.rejected_lines >= settings.ingest.reject_threshold_min_lines and unit.rejected_lines > threshold * unit.data_lines:
        share = unit.rejected_lines / unit.data_lines
        unit.fail(f"{unit.rejected_lines} of {unit.data_lines} data lines rejected ({share:.1%}), above the "
                  f"threshold of {threshold:.1%}: {', '.join(f'{r}={n}' for r, n in sorted(unit.rejects_by_reason.items()))}")


def batch_filter(batches: list[str]) -> str:
    return "batch IN (" + ", ".join(f"'{b}'" for b in batches) + ")"


def write_bronze(spark: SparkSession, lake: Lake, module: ModuleType, rows: DataFrame, batches: list[str],
                 run_id: str) -> None:
    """Replace the rows of `batches` in the source's bronze table: one commit."""
    table = f"bronze/{module.SOURCE}"
    lake.ensure(spark, table, module.BRONZE_SCHEMA, partition_by=["batch"], constraints=module.CONSTRAINTS)
    lake.write(rows.filter(F.col("batch").isin(batches)).withColumn("ingest_run_id", F.lit(run_id))
               .select(*module.BRONZE_SCHEMA.fieldNames()),
               table, replace_where=batch_filter(batches),
               metadata={"run_id": run_id, "source": module.SOURCE, "batches": batches})


def write_rejects(lake: Lake, loaded: list[tuple[str, list[str], DataFrame]], run_id: str) -> None:
    """Replace the rejects of every source x batch written to bronze in this run: one commit."""
    if not loaded:
        return
    frames = [rejects.filter(F.col("batch").isin(batches))
              .select(F.lit(source).alias("source"), "batch", "source_file", "line_number", "raw_line", "reason",
                      "detail", F.lit(run_id).alias("ingest_run_id"))
              for source, batches, rejects in loaded]
    where = " OR ".join(f"(source = '{source}' AND {batch_filter(batches)})" for source, batches, _ in loaded)
    lake.write(reduce(DataFrame.unionByName, frames).coalesce(1), REJECTS_TABLE, replace_where=where,
               metadata={"run_id": run_id, "sources": {source: batches for source, batches, _ in loaded}})


def refresh_orphan_flags(spark: SparkSession, lake: Lake, run_id: str) -> None:
    """Keep `orphan_request` true to the requests known in bronze: rewrite the consumption batches
    whose flag changed (requests delivered after, or reloaded out of order)."""
    table = "bronze/ap_consommation"
    if not lake.exists(spark, table):
        return
    flag = MODULES["ap_consommation"].ORPHAN_FLAG
    known = F.broadcast(known_requests(spark, lake).select(F.col("id_demande").alias("known_request")).distinct())
    conso = lake.read(spark, table)
    checked = (conso.join(known, F.col("id_demande") == F.col("known_request"), "left")
               .withColumn("orphan", F.col("known_request").isNull()))
    stale = [r.batch for r in checked.filter(F.array_contains("quality_flags", flag) != F.col("orphan"))
             .select("batch").distinct().collect()]
    if not stale:
        return
    with step(spark, f"ingest ap_consommation: refresh {flag} in {len(stale)} batch(es)"):
        without = F.array_remove("quality_flags", flag)
        fixed = (checked.filter(F.col("batch").isin(stale))
                 .withColumn("quality_flags", F.when(F.col("orphan"), F.concat(without, F.array(F.lit(flag)))).otherwise(without))
                 .select(*conso.columns))
        lake.write(fixed, table, replace_where=batch_filter(sorted(stale)),
                   metadata={"run_id": run_id, "source": "ap_consommation", "batches": sorted(stale),
                             "operation": f"refresh {flag}"})


def write_report(spark: SparkSession, lake: Lake, report: IngestReport) -> None:
    """One commit replacing the report rows of the source x batch pairs of this run."""
    if not report.units:
        return
    rows = [{**{f.name: getattr(u, f.name) for f in REPORT_SCHEMA.fields if f.name != "run_id"}, "run_id": report.run_id}
            for u in report.units]
    by_source: dict[str, list[str]] = {}
    for u in report.units:
        by_source.setdefault(u.source, []).append(u.batch)
    where = " OR ".join(f"(source = '{s}' AND {batch_filter(b)})" for s, b in by_source.items())
    lake.write(spark.createDataFrame(rows, REPORT_SCHEMA).coalesce(1), REPORT_TABLE, replace_where=where,
               metadata={"run_id": report.run_id, "batches": report.batches})
