"""The ingest report: what happened to each source x batch, printed by the jobs and kept in
`bronze/ingest_report` (one row per source x batch, replaced when that pair is loaded again)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Lock

from pyspark.sql import SparkSession
from pyspark.sql.types import ArrayType, DoubleType, LongType, MapType, StringType, StructField, StructType

from signaux_spark import tables
from signaux_spark.io import Lake

# Per file: lines read = skipped (header, trailer, blank, duplicates) + accepted + rejected.
FILE_COUNTS = ("file", "lines_read", "skipped_lines", "accepted_lines", "rejected_lines")
REPORT_SCHEMA = StructType(
    [
        StructField("run_id", StringType(), False),
        StructField("batch", StringType(), False),
        StructField("source", StringType(), False),
        StructField("status", StringType(), False),  # loaded | failed | missing | no_delivery | skipped
        StructField("files", ArrayType(StringType(), False), False),
        StructField("file_flags", ArrayType(StringType(), False), False),  # "<file>: <flag>"
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
        StructField(
            "file_lines",
            ArrayType(
                StructType(
                    [  # Delta: no NOT NULL inside arrays
                        StructField(name, StringType() if name == "file" else LongType()) for name in FILE_COUNTS
                    ]
                ),
                False,
            ),
            False,
        ),
        StructField("elapsed_seconds", DoubleType(), False),
        StructField("message", StringType(), True),
    ]
)
REPORT_CONSTRAINTS = {
    "status_known": "status IN ('loaded', 'failed', 'missing', 'no_delivery', 'skipped')",
    "lines_balance": (
        "status <> 'loaded' OR lines_read = header_lines + trailer_lines + blank_lines "
        "+ duplicates_dropped + accepted_lines + rejected_lines"
    ),
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
    file_lines: list[dict] = field(default_factory=list)  # FILE_COUNTS of each file
    elapsed_seconds: float = 0.0
    message: str | None = None

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.message = message if self.message is None else f"{self.message}; {message}"

    def skip(self) -> None:
        self.status, self.message = "skipped", "not written: strict mode, another batch failed"

    @property
    def data_lines(self) -> int:
        return self.accepted_lines + self.rejected_lines

    def check_balance(self) -> None:
        """Lines read = accepted + rejected + skipped, for each file and for the batch."""
        for f in self.file_lines:
            if f["lines_read"] != f["skipped_lines"] + f["accepted_lines"] + f["rejected_lines"]:
                raise AccountingError(
                    f"{self.source} {self.batch} {f['file']}: {f['lines_read']} lines read but "
                    f"{f['accepted_lines']} accepted + {f['rejected_lines']} rejected + "
                    f"{f['skipped_lines']} skipped"
                )
        skipped = self.header_lines + self.trailer_lines + self.blank_lines + self.duplicates_dropped
        if self.lines_read != skipped + self.accepted_lines + self.rejected_lines:
            raise AccountingError(
                f"{self.source} {self.batch}: {self.lines_read} lines read but {self.accepted_lines} "
                f"accepted + {self.rejected_lines} rejected + {skipped} skipped"
            )


class StageClock:
    """Wall seconds per stage of an ingestion (summed over sources, which may overlap), for the
    bench's breakdown and the log."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = Lock()

    @contextmanager
    def __call__(self, stage: str):
        start = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.monotonic() - start, 3)


@dataclass
class IngestReport:
    run_id: str
    batches: list[str]
    units: list[UnitReport] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)

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
        head = (
            f"{'source':<22}{'batch':<9}{'status':<19}{'files':>6}{'read':>10}{'accepted':>10}{'rejected':>9}"
            f"{'dupl.':>7}{'skipped':>8}{'rows':>10}{'sec':>7}  rejects by reason"
        )
        lines = [head, "-" * len(head)]
        for (source, batch), units in groups.items():
            statuses = sorted({u.status for u in units})
            reasons: dict[str, int] = {}
            for u in units:
                for r, n in u.rejects_by_reason.items():
                    reasons[r] = reasons.get(r, 0) + n

            def total(name: str, units: list[UnitReport] = units) -> int:
                return sum(getattr(u, name) for u in units)

            skipped = total("header_lines") + total("trailer_lines") + total("blank_lines")
            lines.append(
                f"{source:<22}{batch or f'x{len(units)}':<9}{'/'.join(statuses):<19}"
                f"{sum(len(u.files) for u in units):>6}"
                f"{total('lines_read'):>10}{total('accepted_lines'):>10}{total('rejected_lines'):>9}"
                f"{total('duplicates_dropped'):>7}{skipped:>8}{total('rows_written'):>10}"
                f"{max(u.elapsed_seconds for u in units):>7.1f}  "
                + ", ".join(f"{r}={n}" for r, n in sorted(reasons.items()))
            )
            files = [f for u in units for f in u.file_lines]
            if by_batch and len(files) > 1:  # each file balances on its own (checked in code)
                lines += [
                    f"  {f['file']}: read {f['lines_read']} = accepted {f['accepted_lines']} + rejected "
                    f"{f['rejected_lines']} + skipped {f['skipped_lines']}"
                    for f in files
                ]
        return "\n".join(lines)


def batch_filter(batches: list[str]) -> str:
    return "batch IN (" + ", ".join(f"'{b}'" for b in batches) + ")"


def write_report(spark: SparkSession, lake: Lake, report: IngestReport) -> None:
    """One commit replacing the report rows of the source x batch pairs of this run."""
    if not report.units:
        return
    rows = [
        {**{f.name: getattr(u, f.name) for f in REPORT_SCHEMA.fields if f.name != "run_id"}, "run_id": report.run_id}
        for u in report.units
    ]
    by_source: dict[str, list[str]] = {}
    for u in report.units:
        by_source.setdefault(u.source, []).append(u.batch)
    where = " OR ".join(f"(source = '{s}' AND {batch_filter(b)})" for s, b in by_source.items())
    lake.write(
        spark.createDataFrame(rows, REPORT_SCHEMA).coalesce(1),
        tables.INGEST_REPORT,
        replace_where=where,
        metadata={"run_id": report.run_id, "batches": report.batches},
    )
