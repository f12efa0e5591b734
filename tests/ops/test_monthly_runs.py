"""The monthly chain's bookkeeping: resume after a failure with the same run id, no-op on a
finished batch, --force, --only / --from-step, and what the run record holds."""

import datetime as dt

import pytest

from signaux_spark import tables
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.monitoring.findings import Finding
from signaux_spark.monitoring.run import MonitorResult, verdict
from signaux_spark.ops.monthly import STEPS, MonthlyOutcome, StepOutput, plan, run_monthly

pytestmark = pytest.mark.slow  # monthly runs over a generated lake: make test-fast leaves it out


class FakeSteps(dict):
    """Steps that record their calls; `fail_once` makes a step raise the first time."""

    def __init__(self, fail_once=()):
        super().__init__()
        self.calls, self.fail_once = [], set(fail_once)
        for name in STEPS:
            self[name] = self._make(name)

    def _make(self, name):
        def run(spark, settings, batch, run_id):
            self.calls.append(name)
            if name in self.fail_once:
                self.fail_once.discard(name)
                raise RuntimeError(f"{name} broke\nsecond line")
            return StepOutput(rows={f"{name}_rows": len(self.calls)}, versions={f"t/{name}": 3})

        return run


def test_plan():
    assert plan() == ["ingest", "features", "score", "monitor", "export"]
    assert plan(train=True) == list(STEPS)
    assert plan(from_step="score") == ["score", "monitor", "export"]
    assert plan(from_step="train") == ["train", "score", "monitor", "export"]
    assert plan(only="features") == ["features"]
    with pytest.raises(JobError, match="unknown step 'scoring'"):
        plan(only="scoring")


def test_failed_run_resumes_with_same_id_then_is_a_no_op(spark, settings):
    steps = FakeSteps(fail_once={"score"})
    with pytest.raises(JobError, match="monthly 2024-03: step score failed: score broke$"):
        run_monthly(spark, settings, "2024-03", steps)
    assert steps.calls == ["ingest", "features", "score"]

    resumed = run_monthly(spark, settings, "2024-03", steps)
    assert resumed.ran == ["score", "monitor", "export"]
    assert steps.calls[3:] == ["score", "monitor", "export"]

    again = run_monthly(spark, settings, "2024-03", steps)
    assert again.skipped and again.ran == [] and again.run_id == resumed.run_id

    log = Lake(settings).read(spark, tables.RUNS).where("batch = '2024-03'")
    assert log.select("run_id").distinct().count() == 1
    statuses = [(r["step"], r["status"]) for r in log.orderBy("started_at", "ended_at").collect()]
    assert ("score", "failed") in statuses and ("score", "succeeded") in statuses
    failed = log.where("status = 'failed'").first()
    assert failed["message"] == "score broke\nsecond line".splitlines()[0]
    ok = log.where("step = 'export' AND status = 'succeeded'").first()
    assert ok["versions"] == {"t/export": 3} and ok["seconds"] >= 0

    forced = run_monthly(spark, settings, "2024-03", steps, force=True)
    assert forced.run_id != resumed.run_id and forced.ran == ["ingest", "features", "score", "monitor", "export"]


def test_killed_run_resumes_at_the_running_step(spark, settings):
    steps = FakeSteps()
    # a kill during "features": its "running" row is the last thing written
    import datetime as dt

    from signaux_spark.ops.runs import RunLog

    runs = RunLog(spark, Lake(settings))
    t = dt.datetime(2024, 5, 1)
    planned = ["ingest", "features", "score", "monitor", "export"]
    runs.record("monthly-killed", "2024-05", planned, "ingest", "succeeded", t, t)
    runs.record("monthly-killed", "2024-05", planned, "features", "running", t)
    outcome = run_monthly(spark, settings, "2024-05", steps)
    assert outcome.run_id == "monthly-killed"
    assert steps.calls == ["features", "score", "monitor", "export"]


def test_only_reruns_one_step_of_a_finished_batch(spark, settings):
    steps = FakeSteps()
    run_monthly(spark, settings, "2024-06", steps)
    outcome = run_monthly(spark, settings, "2024-06", steps, only="export")
    assert outcome.ran == ["export"] and steps.calls[-1] == "export"


def monitor_finding(status):
    """A monitor stand-in: the real verdict on one finding of `status`."""

    def run(spark, settings, batch, run_id):
        result = MonitorResult(
            dt.date(2024, 7, 1),
            [Finding("deliveries", "lines", "urssaf_debit", 40.0, 100.0, status, "urssaf_debit lines 40 against 100")],
        )
        verdict(result, settings.monitoring.accept_critical)
        return StepOutput(rows=result.counts)

    return run


def test_a_critical_check_stops_the_run_before_export_until_accepted(spark, settings):
    steps = FakeSteps()
    steps["monitor"] = monitor_finding("critical")
    with pytest.raises(JobError, match="step monitor failed: monitoring 2024-07: 1 critical check"):
        run_monthly(spark, settings, "2024-07", steps)
    assert steps.calls == ["ingest", "features", "score"] and "export" not in steps.calls
    failed = Lake(settings).read(spark, tables.RUNS).where("batch = '2024-07' AND status = 'failed'").collect()
    assert [r["step"] for r in failed] == ["monitor"]
    assert "urssaf_debit lines 40 against 100" in failed[0]["message"] and "\n" not in failed[0]["message"]

    settings.monitoring.accept_critical = True  # what monthly --accept-critical sets
    resumed = run_monthly(spark, settings, "2024-07", steps)
    assert resumed.ran == ["monitor", "export"] and steps.calls[-1] == "export"


def test_warnings_do_not_stop_the_run(spark, settings):
    steps = FakeSteps()
    steps["monitor"] = monitor_finding("warning")
    outcome = run_monthly(spark, settings, "2024-08", steps)
    assert outcome.ran[-2:] == ["monitor", "export"] and steps.calls[-1] == "export"


def test_monthly_job_accept_critical_flag_reaches_the_monitor(spark, monkeypatch, tmp_path):
    from tests.helpers import job_main

    seen = {}

    def run_monthly_stand_in(spark, settings, batch, steps, **kw):
        seen["accept"] = settings.monitoring.accept_critical
        return MonthlyOutcome("r", [], skipped=True)

    main = job_main("monthly")
    monkeypatch.setitem(main.__globals__, "run_monthly", run_monthly_stand_in)
    monkeypatch.setitem(main.__globals__, "build_session", lambda name, settings: spark)
    main(["--batch", "2024-09", "--accept-critical", f"paths.root={tmp_path}"])
    assert seen["accept"] is True


def test_a_failed_run_resumed_with_only_is_done_only_when_every_step_ran(spark, settings):
    """--only / --from-step keep the run's plan: a batch whose ingest failed and was rerun alone
    still needs features, score, monitor and export."""
    steps = FakeSteps(fail_once={"ingest"})
    with pytest.raises(JobError, match="step ingest failed"):
        run_monthly(spark, settings, "2024-07", steps)
    fixed = run_monthly(spark, settings, "2024-07", steps, only="ingest")
    assert fixed.ran == ["ingest"]
    plain = run_monthly(spark, settings, "2024-07", steps)
    assert plain.run_id == fixed.run_id and plain.ran == ["features", "score", "monitor", "export"]
    assert run_monthly(spark, settings, "2024-07", steps).skipped
    planned = {
        tuple(r["planned"]) for r in Lake(settings).read(spark, tables.RUNS).where("batch = '2024-07'").collect()
    }
    assert planned == {("ingest", "features", "score", "monitor", "export")}


def test_partial_runs_apart_never_mark_a_batch_done_nor_undone(spark, settings):
    steps = FakeSteps()
    first = run_monthly(spark, settings, "2024-08", steps, only="export")  # nothing ran before
    assert first.ran == ["export"]
    whole = run_monthly(spark, settings, "2024-08", steps)
    assert whole.run_id != first.run_id and whole.ran == ["ingest", "features", "score", "monitor", "export"]
    again = run_monthly(spark, settings, "2024-08", steps, from_step="score")
    assert again.ran == ["score", "monitor", "export"] and again.run_id != whole.run_id
    done = run_monthly(spark, settings, "2024-08", steps)
    assert done.skipped and done.run_id == whole.run_id


def test_a_step_run_out_of_order_is_run_again_after_the_steps_before_it(spark, settings):
    steps = FakeSteps(fail_once={"features"})
    with pytest.raises(JobError, match="step features failed"):
        run_monthly(spark, settings, "2024-09", steps)
    run_monthly(spark, settings, "2024-09", steps, only="export")  # features still not done
    resumed = run_monthly(spark, settings, "2024-09", steps)
    assert resumed.ran == ["features", "score", "monitor", "export"]
