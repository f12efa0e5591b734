"""Signals carried from month to month, so that a monthly run reads its own batch and the state the
month before left, not every batch delivered so far.

A state is what a signal knows at a month, reduced to one row per key: the greatest (or least)
value among the events due by then, plus the events not due yet (a headcount of a later month, a
debt step effective next month), kept as they are. The month after folds its batch in with one
aggregate: the greatest value due so far is the greatest of the previous one and the new ones, so
the state equals what the whole history gives at that month. A state keeps only the keys the
months to come still need (`keep`, a condition on the key).

Each features run, a month or a range, writes the states at its last month in
`silver/states/<name>` (partition `as_of`) with a digest of the ingestion runs behind them and the
settings they depend on. A state whose digest no longer matches (a batch loaded again since,
another setting) is not used: the month rebuilds it from every batch delivered, as when it is
missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.io import Lake
from signaux_spark.months import add_months
from signaux_spark.progress import log

DUE = "due"  # the month an event's value counts from
VALUE = "value"
AS_OF = "as_of"
LOADS = "loads"  # digest of the ingestion runs and the settings the state was built from
KEPT_MONTHS = 3  # as_of months kept: a rerun of the last two months stays incremental


@dataclass(frozen=True)
class Carried:
    """A signal's state: `events` maps bronze rows to (key..., due, value); `latest` keeps the
    greatest value per key (else the least); `keep(as_of)` selects the keys month as_of still needs;
    `settings` names the settings the state depends on (a state built under others is not reused)."""

    name: str
    source: str
    key: tuple[str, ...]
    events: Callable[[DataFrame], DataFrame]
    latest: bool = True
    keep: Callable[[dt.date], Column] | None = None
    settings: str = ""


def fold(spec: Carried, previous: DataFrame | None, events: DataFrame, as_of: dt.date) -> DataFrame:
    """The state at `as_of` from the state of the month before (None: nothing known yet) and the
    events delivered since."""
    rows = events if previous is None else previous.select(*spec.key, DUE, VALUE).unionByName(events)
    if spec.keep is not None:
        rows = rows.where(spec.keep(as_of))
    pick = F.max if spec.latest else F.min
    due = rows.where(F.col(DUE) <= F.lit(as_of)).groupBy(*spec.key).agg(F.max(DUE).alias(DUE), pick(VALUE).alias(VALUE))
    return due.unionByName(rows.where(F.col(DUE) > F.lit(as_of)))


def due_at(state: DataFrame, as_of: dt.date) -> DataFrame:
    """The rows of a state that count at `as_of` (one per key)."""
    return state.where(F.col(DUE) <= F.lit(as_of))


def loads(spark: SparkSession, lake: Lake, sources: set[str], until: dt.date) -> list[tuple[str, str, str]]:
    """(source, batch, run) of each batch up to `until` that bronze holds, with the ingestion run
    that loaded it (the ingestion report)."""
    if not lake.exists(spark, tables.INGEST_REPORT):
        return []
    report = lake.read(spark, tables.INGEST_REPORT).where(
        (F.col("status") == "loaded") & (F.col("batch") <= f"{until:%Y-%m}") & F.col("source").isin(*sources)
    )
    return [tuple(r) for r in report.select("source", "batch", "run_id").collect()]


def fingerprint(loaded: list[tuple[str, str, str]], spec: Carried, until: dt.date) -> str:
    """What a state at `until` is built from: a digest of its source's loads up to then (it changes
    when one of them is loaded again), and its settings."""
    batches = sorted((b, run) for s, b, run in loaded if s == spec.source and b <= f"{until:%Y-%m}")
    return f"{hashlib.sha256(json.dumps(batches).encode()).hexdigest()[:16]} {spec.settings}"


def states_at(
    spark: SparkSession, lake: Lake, bronze: dict[str, DataFrame], specs: list[Carried], as_of: dt.date
) -> dict[str, DataFrame]:
    """Each state at `as_of`, folded from the stored state of the month before and the batch of
    `as_of` (or built from every batch up to `as_of` when that state is missing or stale), written
    to its table and returned as read back. `bronze` holds the batches up to `as_of`."""
    before = add_months(as_of, -1)
    loaded = loads(spark, lake, {s.source for s in specs}, as_of)
    states = {}
    for spec in specs:
        table = tables.state(spec.name)
        previous = stored(spark, lake, table, before, fingerprint(loaded, spec, before))
        if previous is None:
            log.info("features %s: state %s rebuilt from every batch delivered", f"{as_of:%Y-%m}", spec.name)
            events = spec.events(bronze[spec.source])
        else:
            events = spec.events(bronze[spec.source].where(F.col("batch") == f"{as_of:%Y-%m}"))
        state = fold(spec, previous, events, as_of)
        # One commit writes the month and drops the months no longer kept.
        lake.write(
            state.withColumns({AS_OF: F.lit(as_of), LOADS: F.lit(fingerprint(loaded, spec, as_of))}),
            table,
            replace_where=f"{AS_OF} = '{as_of:%Y-%m-%d}' OR {AS_OF} < '{add_months(as_of, 1 - KEPT_MONTHS):%Y-%m-%d}'",
            partition_by=[AS_OF],
        )
        states[spec.name] = lake.read(spark, table).where(F.col(AS_OF) == F.lit(as_of)).drop(AS_OF, LOADS)
    return states


def stored(spark: SparkSession, lake: Lake, table: str, as_of: dt.date, built_from: str) -> DataFrame | None:
    """The stored state at `as_of` if it was built from the batches bronze holds now and under the
    same settings, else None."""
    if not lake.exists(spark, table):
        return None
    state = lake.read(spark, table).where(F.col(AS_OF) == F.lit(as_of))
    built = state.select(LOADS).limit(1).collect()
    if not built:
        return None
    if built[0][0] != built_from:
        log.warning(
            "features: %s at %s was built before a batch was loaded again or under other settings: not used",
            table,
            f"{as_of:%Y-%m}",
        )
        return None
    return state
