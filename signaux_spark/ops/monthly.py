"""The monthly run: ingest -> features -> (train) -> score -> monitor -> export for one batch,
recorded step by step in `ops/runs` so that a failed or killed run resumes where it stopped, with
the same run id, and a finished batch is not run again unless forced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import SparkSession

from signaux_spark.config import Settings
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.ops.lease import Lease
from signaux_spark.ops.runs import RunLog
from signaux_spark.progress import log, step

# monitor sits after score (its score and outcome checks read the month's scores) and before export
# (a critical finding stops the run before anything is published).
STEPS = ("ingest", "features", "train", "score", "monitor", "export")


@dataclass
class StepOutput:
    """What a step reports to the run record."""

    rows: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)


StepFn = Callable[[SparkSession, Settings, str, str], StepOutput]  # (spark, settings, batch, run_id)


def plan(train: bool = False, from_step: str | None = None, only: str | None = None) -> list[str]:
    """The steps asked for, in pipeline order."""
    for name in (from_step, only):
        if name is not None and name not in STEPS:
            raise JobError(f"unknown step '{name}' (steps: {', '.join(STEPS)})")
    if only:
        return [only]
    steps = list(STEPS[STEPS.index(from_step) :] if from_step else STEPS)
    if not train and from_step != "train" and "train" in steps:
        steps.remove("train")
    return steps


@dataclass
class MonthlyOutcome:
    run_id: str
    ran: list[str]
    skipped: bool = False


def run_monthly(
    spark: SparkSession,
    settings: Settings,
    batch: str,
    steps: dict[str, StepFn],
    *,
    train: bool = False,
    from_step: str | None = None,
    only: str | None = None,
    force: bool = False,
) -> MonthlyOutcome:
    """Run (or resume) the monthly chain for `batch`; raises JobError naming the failed step, or
    LeaseRefused when another run holds the lake's lease (one monthly run at a time, `ops/lease`).

    The batch's state is its latest whole run (one that planned every step of `plan()`): it is done
    when every planned step of that run succeeded. `--only` / `--from-step` join an unfinished whole
    run (its plan is kept), else run apart under a plan of their own, which never marks the batch
    done nor undone."""
    selected = plan(train, from_step, only)
    with Lease(
        spark, Lake(settings), "monthly", f"monthly {batch}", settings.ops.lease_seconds, settings.ops.heartbeat_seconds
    ) as lease:
        return _run(spark, settings, batch, steps, selected, bool(from_step or only), force, lease)


def _run(
    spark: SparkSession,
    settings: Settings,
    batch: str,
    steps: dict[str, StepFn],
    selected: list[str],
    explicit: bool,
    force: bool,
    lease: Lease,
) -> MonthlyOutcome:
    runs = RunLog(spark, Lake(settings))
    state = runs.latest_run(batch, covering=plan())
    if state and state.finished and not force and not explicit:
        log.info("batch %s already done by run %s: nothing to do (use --force to run it again)", batch, state.run_id)
        return MonthlyOutcome(state.run_id, [], skipped=True)
    if state and not state.finished and not force:
        run_id, planned = state.run_id, state.planned
        todo = selected if explicit else state.remaining()
        log.info("resuming run %s of batch %s at step %s", run_id, batch, todo[0] if todo else "-")
    else:
        run_id, planned, todo = runs.new_run_id(batch), selected, selected
        log.info("run %s of batch %s: %s", run_id, batch, " -> ".join(todo))
    for name in todo:
        lease.check()
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        runs.record(run_id, batch, planned, name, "running", started)
        try:
            with step(spark, f"{name} {batch}") as current:
                output = steps[name](spark, settings, batch, run_id)
                current.rows.update(output.rows)
        except Exception as err:
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            runs.record(run_id, batch, planned, name, "failed", started, _now(), message=reason[:2000])
            raise JobError(f"monthly {batch}: step {name} failed: {reason}") from err
        runs.record(run_id, batch, planned, name, "succeeded", started, _now(), output.rows, output.versions)
    return MonthlyOutcome(run_id, todo)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
