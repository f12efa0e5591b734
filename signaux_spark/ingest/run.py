"""Orchestration of an ingestion: the deliveries under `landing/<source>/<YYYY-MM>/` of every
requested source and batch into the Delta tables `bronze/<source>`, `bronze/rejects` and
`bronze/ingest_report` (SOURCES.md sections 0-11).

One Spark read splits every file of the run (`split.py`); then each source, several at a time, is
typed and validated by its module's `parse` (Spark SQL), counted in one aggregate, and written in one
commit replacing exactly the rows of the batches loaded (`replaceWhere batch IN (...)`). A batch's
rows depend on its files only, so loading batches twice, out of order, or again after a kill gives
the same tables. A structural problem (missing delivery, bad header, undecodable file, ...) or too
many rejected lines fails that source x batch before anything is written for it; the other batches
and sources still load unless `strict`, which takes the sources one by one and stops at the first
failure.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark import reference, tables
from signaux_spark.config import ConfigError, Settings
from signaux_spark.ingest.report import (
    REPORT_CONSTRAINTS,
    REPORT_SCHEMA,
    IngestReport,
    StageClock,
    UnitReport,
    batch_filter,
    write_report,
)
from signaux_spark.ingest.split import file_summaries, read_records
from signaux_spark.io import Lake
from signaux_spark.progress import log, step
from signaux_spark.session import GENERATED_CODE_CONF, INTERPRETED_CONF, temporary_conf
from signaux_spark.sources import SOURCES
from signaux_spark.sources.common import REJECT_REASONS, REJECTS_SCHEMA
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import LINE_COLUMNS

SPECS: dict[str, Source] = {name: importlib.import_module(f"signaux_spark.sources.{name}").SPEC for name in SOURCES}
# A rejected line is kept whole up to this many characters (a 20 MB line has no place in a table).
RAW_LINE_CAP = 4096
# Session settings while ingesting (restored after). The whole-stage code of the wide parsing
# projections is larger than what the JVM compiles (8000 bytes), so Spark falls back to split
# expression code (its documented setting); the split gets whole files as rows, one per Arrow batch
# (each up to ingest.large_file_bytes: eight in one batch would hold 2 GB in one task).
INGEST_SPARK_CONF = {
    "spark.sql.execution.arrow.maxRecordsPerBatch": "1",
    "spark.sql.codegen.hugeMethodLimit": "8000",
}
REJECTS_CONSTRAINTS = {
    "reason_known": "reason IN (" + ", ".join(f"'{r}'" for r in REJECT_REASONS) + ")",
    "source_known": "source IN (" + ", ".join(f"'{s}'" for s in SOURCES) + ")",
}


@dataclass
class Loaded:
    """A source's outcome in this run: its reports, the batches written to bronze, their rejects (cached)."""

    units: list[UnitReport]
    written: list[str]
    rejects: DataFrame | None


def is_expected(settings: Settings, source: str, batch: str) -> bool:
    """Whether the cadence of SOURCES.md 0.1 (conf `ingest.cadence`) expects a delivery in `batch`."""
    months = settings.ingest.cadence.get(source)
    return months is None or int(batch[5:7]) in months


def parse_date(text: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"setting 'ingest.{key}' must be a date YYYY-MM-DD, got {text!r}") from None


def ingest(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    sources: list[str] | None = None,
    strict: bool | None = None,
    run_id: str | None = None,
) -> IngestReport:
    """Load `batches` of `sources` (all by default) into bronze: one Spark read for all the files,
    one commit per bronze table; returns the report, also written to `bronze/ingest_report`."""
    unknown = sorted(set(sources or []) - set(SOURCES))
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)} (known: {', '.join(SOURCES)})")
    if settings.ingest.missing_delivery not in ("error", "warn"):
        raise ConfigError("setting 'ingest.missing_delivery' must be error or warn")
    if settings.ingest.altares_missing_trailer not in ("flag", "error"):
        raise ConfigError("setting 'ingest.altares_missing_trailer' must be flag or error")
    if settings.ingest.interpreted_max_values < 0:
        raise ConfigError("setting 'ingest.interpreted_max_values' must be at least 0")
    if settings.ingest.parallel_sources < 1:
        raise ConfigError("setting 'ingest.parallel_sources' must be at least 1")
    # Spark's binaryFile reader refuses a file longer than this (2 GiB - 1 by default).
    spark_max = int(spark.conf.get("spark.sql.sources.binaryFile.maxLength", str(2**31 - 1)))
    if not 0 <= settings.ingest.large_file_bytes <= spark_max:
        raise ConfigError(
            f"setting 'ingest.large_file_bytes' must be between 0 and {spark_max:,} (the longest file Spark "
            f"reads in one piece), got {settings.ingest.large_file_bytes:,}"
        )
    strict = settings.ingest.strict if strict is None else strict
    report = IngestReport(run_id or uuid.uuid4().hex, sorted(set(batches)))
    clock = StageClock()
    lake = Lake(settings)
    context = ParseContext(
        spark,
        lake,
        parse_date(settings.ingest.history_start, "history_start"),
        parse_date(settings.ingest.procol_history_start, "procol_history_start"),
        regions=reference.mapping(settings, reference.DEPARTEMENTS, "departement", "region"),
        naf_sections=reference.mapping(settings, reference.NAF_SECTIONS, "division", "section"),
    )
    specs = [SPECS[s] for s in SOURCES if sources is None or s in sources]
    units = {spec.name: {b: UnitReport(spec.name, b) for b in report.batches} for spec in specs}
    lines, values, done = None, 0, {}  # done: source -> its outcome, as each finishes
    with clock("find deliveries"):
        paths = find_deliveries(spark, settings, specs, units)
    with temporary_conf(spark, INGEST_SPARK_CONF), ExitStack() as code_mode:
        with clock("tables"):
            lake.ensure(spark, tables.REJECTS, REJECTS_SCHEMA, constraints=REJECTS_CONSTRAINTS)
            lake.ensure(spark, tables.INGEST_REPORT, REPORT_SCHEMA, constraints=REPORT_CONSTRAINTS)
        try:
            if paths:
                with clock("read and split"), step(spark, f"ingest: read and split {len(paths)} file(s)"):
                    lines = read_records(
                        spark,
                        paths,
                        {s.name: s.layout for s in specs},
                        frozenset(settings.ingest.require_rows),
                        settings.ingest.large_file_bytes,
                    )
                    values = read_file_summaries(lines, units, settings)
            # A run typing at most `ingest.interpreted_max_values` values evaluates its expressions
            # without generated code (same results): each task would generate, format and hash the
            # parsers' wide projections again, seconds per source in a fresh JVM for a few thousand
            # lines. A larger run uses generated code, whatever the session's setting. Values, not
            # bytes: a wide headcount line of a few bytes per month is dozens of rows to type.
            small = values <= settings.ingest.interpreted_max_values
            code_mode.enter_context(temporary_conf(spark, INTERPRETED_CONF if small else GENERATED_CODE_CONF))

            started: dict[str, Future] = {}  # source -> its load, once submitted

            def load(spec: Source) -> Loaded:
                for name in spec.reads:  # another source's bronze table is read once written, never while
                    if name in started:
                        started[name].result()
                done[spec.name] = load_source(
                    spec, units[spec.name], lines, context, settings, report.run_id, strict, clock
                )
                return done[spec.name]

            if strict:  # one by one in SOURCES order, which has sources after those they read
                for spec in specs:
                    if any(u.status == "failed" for u in load(spec).units):
                        log.warning("ingest: strict mode, the sources after %s are not run", spec.name)
                        break
            else:
                with ThreadPoolExecutor(settings.ingest.parallel_sources, thread_name_prefix="ingest") as pool:
                    # Submitted in SOURCES order: a source waits only for sources submitted before it.
                    for spec in specs:
                        started[spec.name] = pool.submit(load, spec)
                    for future in started.values():
                        future.result()
            report.units = [u for spec in specs if spec.name in done for u in done[spec.name].units]
            with clock("write rejects"):
                write_rejects(lake, {name: o for name, o in done.items() if o.written}, report.run_id)
        finally:
            for o in done.values():
                if o.rejects is not None:
                    o.rejects.unpersist()
            if lines is not None:
                lines.unpersist()
        loaded = {name for name, o in done.items() if o.written}
        with clock("after load"):
            for spec in SPECS.values():  # every source's: a table may follow another source loaded alone
                if spec.after_load is not None:
                    spec.after_load(context, loaded, report.run_id)
        with clock("write report"):
            write_report(spark, lake, report)
    report.stage_seconds = clock.seconds
    return report


def load_source(
    spec: Source,
    units: dict[str, UnitReport],
    lines: DataFrame | None,
    context: ParseContext,
    settings: Settings,
    run_id: str,
    strict: bool,
    clock: StageClock,
) -> Loaded:
    """Type, validate, count and write one source's batches (already split in `lines`)."""
    spark = context.spark
    written, rejects = [], None
    with step(spark, f"ingest {spec.name}") as progress, clock(f"source {spec.name}"):
        ready = [b for b, u in units.items() if u.status == "loaded"]
        if strict and any(u.status == "failed" for u in units.values()):
            for b in ready:
                units[b].skip()
            ready = []
        if ready:
            mine = (F.col("source") == spec.name) & (F.col("kind") == "record") & F.col("batch").isin(ready)
            records = lines.filter(mine)
            parsed = spec.parse(records, context).persist(StorageLevel.MEMORY_AND_DISK)
            rows, rejects = split_rows(spec, parsed)
            rejects = rejects.persist(StorageLevel.MEMORY_AND_DISK)
            try:
                with clock("parse and count"):
                    count_lines(parsed, rows, rejects, units, ready)
                for b in ready:
                    check_threshold(settings, units[b])
                written = [b for b in ready if units[b].status == "loaded"]
                if strict and any(u.status == "failed" for u in units.values()):
                    for b in written:
                        units[b].skip()
                    written = []
                if written:
                    with clock("write bronze"):
                        write_bronze(context, spec, rows, written, run_id)
            except BaseException:
                rejects.unpersist()
                raise
            finally:
                parsed.unpersist()
            if not written:
                rejects.unpersist()
                rejects = None
        for u in units.values():
            if u.batch not in written:
                u.rows_written = 0
        progress.rows.update(
            {
                "batches loaded": len(written),
                "lines": sum(u.lines_read for u in units.values()),
                "rows": sum(u.rows_written for u in units.values()),
                "rejected": sum(u.rejected_lines for u in units.values() if u.batch in written),
                "failed": sum(u.status == "failed" for u in units.values()),
            }
        )
    for u in units.values():
        u.elapsed_seconds = round(progress.seconds, 3)
        if u.status == "failed":
            log.error("ingest %s %s: %s", spec.name, u.batch, u.message)
    return Loaded(list(units.values()), written, rejects)


def landing_entries(spark: SparkSession, root: str) -> tuple[dict[str, int], list[str]]:
    """(path -> size of the files `root/<source>/<batch>/<file>`, paths of the other entries there:
    subfolders, hidden files) on any Hadoop file system."""
    jvm = spark._jvm
    pattern = jvm.org.apache.hadoop.fs.Path(root.rstrip("/") + "/*/*/*")
    statuses = pattern.getFileSystem(spark._jsc.hadoopConfiguration()).globStatus(pattern) or []
    files, others = {}, []
    for s in statuses:
        path = s.getPath().toString()
        if s.isFile() and not path.rsplit("/", 1)[-1].startswith((".", "_")):
            files[path] = s.getLen()
        else:
            others.append(path)
    return dict(sorted(files.items())), sorted(others)


def find_deliveries(
    spark: SparkSession, settings: Settings, specs: list[Source], units: dict[str, dict[str, UnitReport]]
) -> dict[str, int]:
    """Path -> size of the deliveries of the requested sources and batches; missing or doubled
    ones fail their batch; anything else in a batch folder is a warning."""
    root = settings.path("landing").rstrip("/")
    sizes, others = landing_entries(spark, root)
    for path in others:
        source, batch, name = path.rsplit("/", 3)[-3:]
        if batch in units.get(source, {}):
            what = "hidden file" if name.startswith((".", "_")) else "subfolder"
            units[source][batch].warnings.append(f"{name}: {what} in the delivery folder, ignored")
    found: dict[tuple[str, str], list[str]] = {}
    for path in sizes:
        source, batch, name = path.rsplit("/", 3)[-3:]
        if batch not in units.get(source, {}):
            continue
        if SPECS[source].layout.kind_of(name) is None:
            units[source][batch].warnings.append(f"{name}: not a delivery of {source}, ignored")
            continue
        found.setdefault((source, batch), []).append(path)
    paths: dict[str, int] = {}
    for spec in specs:
        for batch, unit in units[spec.name].items():
            delivered = found.get((spec.name, batch), [])
            unit.files = [p.rsplit("/", 1)[-1] for p in delivered]
            plain = [n.removesuffix(".gz") for n in unit.files]
            doubled = sorted({n for n in plain if plain.count(n) > 1})
            if doubled:
                unit.fail(f"{', '.join(doubled)} delivered twice (plain and .gz)")
            elif delivered:
                unit.status = "loaded"
                paths.update({p: sizes[p] for p in delivered})
            elif is_expected(settings, spec.name, batch):
                if settings.ingest.missing_delivery == "error":
                    unit.fail(f"missing delivery: no {spec.file_name} in {root}/{spec.name}/{batch}/")
                else:
                    unit.status = "missing"
                    unit.message = "missing delivery"
    return paths


def read_file_summaries(lines: DataFrame, units: dict[str, dict[str, UnitReport]], settings: Settings) -> int:
    """File-level counts and flags into the units; structural errors fail their batch. Returns the
    values (fields and wide cells) of the records of the files without a structural error."""
    summaries, values = file_summaries(lines), 0
    for source, by_batch in units.items():
        for unit in by_batch.values():  # Spark's file sources skip files of 0 bytes
            seen = {name for name, _ in summaries.get((source, unit.batch), [])}
            for name in unit.files:
                if unit.status == "loaded" and name not in seen:
                    unit.fail(f"{name}: empty file (0 bytes)")
    for (source, batch), files in summaries.items():
        unit = units[source][batch]
        for name, info in files:
            if info["error"]:
                unit.fail(f"{name}: {info['error']}")
                continue
            for kind in ("header", "trailer", "blank"):
                setattr(unit, f"{kind}_lines", getattr(unit, f"{kind}_lines") + info[kind])
            unit.lines_read += info["lines"]
            unit.duplicates_dropped += info["duplicates"]
            values += info["values"]
            unit.file_lines.append(
                {
                    "file": name,
                    "lines_read": info["lines"],
                    "accepted_lines": 0,
                    "rejected_lines": 0,
                    "skipped_lines": sum(info[k] for k in ("header", "trailer", "blank", "duplicates")),
                }
            )
            unit.file_flags += [f"{name}: {flag}" for flag in info["flags"]]
            unit.warnings += [f"{name}: {w}" for w in info["warnings"]]
            if "missing_trailer" in info["flags"] and settings.ingest.altares_missing_trailer == "error":
                unit.fail(f"{name}: no trailer line (Fin du fichier : total N ligne(s))")
    return values


def split_rows(spec: Source, parsed: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(bronze rows, reject rows) of the line-level frame: the source's own split, else one row per
    accepted line."""
    if spec.split_rows is not None:
        return spec.split_rows(parsed)
    names = [f.name for f in spec.schema.fields if f.name != "ingest_run_id"]
    rows = parsed.filter(F.col("reason").isNull()).select(*names)
    rejects = parsed.filter(F.col("reason").isNotNull()).select("batch", "source_file", "line_number", *LINE_COLUMNS)
    return rows, rejects


def count_lines(
    parsed: DataFrame, rows: DataFrame, rejects: DataFrame, units: dict[str, UnitReport], batches: list[str]
) -> None:
    """Every count in one Spark job (which also caches the rejects); checks lines read = accepted +
    rejected + skipped per file and batch. Rows differ from lines in the wide headcount file only (cells)."""

    def tagged(df: DataFrame, what: str, by: list[str]) -> DataFrame:
        reason = F.col("reason") if "reason" in by else F.lit(None).cast("string")
        source_file = F.col("source_file") if "source_file" in by else F.lit(None).cast("string")
        return (
            df.groupBy(*by)
            .count()
            .select(
                F.lit(what).alias("what"), "batch", source_file.alias("source_file"), reason.alias("reason"), "count"
            )
        )

    counts = (
        tagged(parsed, "line", ["batch", "source_file", "reason"])
        .unionByName(tagged(rejects, "reject", ["batch", "reason"]))
        .unionByName(tagged(rows, "row", ["batch"]))
        .collect()
    )
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
        units[b].check_balance()


def check_threshold(settings: Settings, unit: UnitReport) -> None:
    threshold = settings.ingest.reject_thresholds.get(unit.source, settings.ingest.reject_threshold)
    if (
        unit.rejected_lines >= settings.ingest.reject_threshold_min_lines
        and unit.rejected_lines > threshold * unit.data_lines
    ):
        share = unit.rejected_lines / unit.data_lines
        unit.fail(
            f"{unit.rejected_lines} of {unit.data_lines} data lines rejected ({share:.1%}), above the "
            f"threshold of {threshold:.1%}: {', '.join(f'{r}={n}' for r, n in sorted(unit.rejects_by_reason.items()))}"
        )


def write_bronze(context: ParseContext, spec: Source, rows: DataFrame, batches: list[str], run_id: str) -> None:
    """Replace the rows of `batches` in the source's bronze table: one commit."""
    context.lake.ensure(context.spark, spec.table, spec.schema, partition_by=["batch"], constraints=spec.constraints)
    context.lake.write(
        rows.filter(F.col("batch").isin(batches))
        .withColumn("ingest_run_id", F.lit(run_id))
        .select(*spec.schema.fieldNames()),
        spec.table,
        replace_where=batch_filter(batches),
        metadata={"run_id": run_id, "source": spec.name, "batches": batches},
    )


def capped_rejects(rejects: DataFrame) -> DataFrame:
    """Rejects with their raw line cut to RAW_LINE_CAP characters, the cut said in `detail`."""
    long = F.length("raw_line") > RAW_LINE_CAP
    note = F.concat(
        F.lit(f"raw line cut to its first {RAW_LINE_CAP} of "),
        F.length("raw_line").cast("string"),
        F.lit(" characters"),
    )
    return rejects.withColumns(
        {
            "raw_line": F.when(long, F.substring("raw_line", 1, RAW_LINE_CAP)).otherwise(F.col("raw_line")),
            "detail": F.when(long, F.concat_ws("; ", "detail", note)).otherwise(F.col("detail")),
        }
    )


def write_rejects(lake: Lake, loaded: dict[str, Loaded], run_id: str) -> None:
    """Replace the rejects of every source x batch written to bronze in this run: one commit."""
    if not loaded:
        return
    frames = [
        capped_rejects(o.rejects.filter(F.col("batch").isin(o.written))).select(
            F.lit(source).alias("source"),
            "batch",
            "source_file",
            "line_number",
            "raw_line",
            "reason",
            "detail",
            F.lit(run_id).alias("ingest_run_id"),
        )
        for source, o in loaded.items()
    ]
    where = " OR ".join(f"(source = '{source}' AND {batch_filter(o.written)})" for source, o in loaded.items())
    lake.write(
        reduce(DataFrame.unionByName, frames).coalesce(1),
        tables.REJECTS,
        replace_where=where,
        metadata={"run_id": run_id, "sources": {source: o.written for source, o in loaded.items()}},
    )
