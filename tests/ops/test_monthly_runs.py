"""The monthly chain's bookkeeping: resume after a failure with the same run id, no-op on a
finished batch, --force, --only / --from-step, and what the run record holds."""

import pytest

from signaux_spark.cli import JobError
from signaux_spark.io import Lake
from signaux_spark.ops.monthly import STEPS, StepOutput, plan, run_monthly
from signaux_spark.ops.runs import TABLE


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
    assert plan() == ["ingest", "features", "score", "export"]
    assert plan(train=True) == list(STEPS)
    assert plan(from_step="score") == ["score", "export"]
    assert plan(from_step="train") == ["train", "score", "export"]
    assert plan(only="features") == ["features"]
    with pytest.raises(JobError, match="unknown step 'scoring'"):
        plan(only="scoring")


def test_failed_run_resumes_with_same_id_then_is_a_no_op(spark, settings):
    steps = FakeSteps(fail_once={"score"})
    with pytest.raises(JobError, match="monthly 2024-03: step score failed: score broke$"):
        run_monthly(spark, settings, "2024-03", steps)
    assert steps.calls == ["ingest", "features", "score"]

    resumed = run_monthly(spark, settings, "2024-03", steps)
    assert resumed.ran == ["score", "export"]
    assert steps.calls[3:] == ["score", "export"]

    again = run_monthly(spark, settings, "2024-03", steps)
    assert again.skipped and again.ran == [] and again.run_id == resumed.run_id

    log = Lake(settings).read(spark, TABLE).where("batch = '2024-03'")
    assert log.select("run_id").distinct().count() == 1
    statuses = [(r["step"], r["status"]) for r in log.orderBy("started_at", "ended_at").collect()]
    assert ("score", "failed") in statuses and ("score", "succeeded") in statuses
    failed = log.where("status = 'failed'").first()
    assert failed["message"] == "score broke\nsecond line".splitlines()[0]
    ok = log.where("step = 'export' AND status = 'succeeded'").first()
    assert ok["versions"] == {"t/export": 3} and ok["seconds"] >= 0

    forced = run_monthly(spark, settings, "2024-03", steps, force=True)
    assert forced.run_id != resumed.run_id and forced.ran == ["ingest", "features", "score", "export"]


def test_killed_run_resumes_at_the_running_step(spark, settings):
    steps = FakeSteps()
    # a kill during "features": its "running" row is the last thing written
    from signaux_spark.ops.runs import RunLog
    import datetime as dt
    runs = RunLog(spark, Lake(settings))
    t = dt.datetime(2024, 5, 1)
    planned = ["ingest", "features", "score", "export"]
    runs.record("monthly-killed", "2024-05", planned, "ingest", "succeeded", t, t)
    runs.record("monthly-killed", "2024-05", planned, "features", "running", t)
    outcome = run_monthly(spark, settings, "2024-05", steps)
    assert outcome.run_id == "monthly-killed"
    assert steps.calls == ["features", "score", "export"]


def test_only_reruns_one_step_of_a_finished_batch(spark, settings):
    steps = FakeSteps()
    run_monthly(spark, settings, "2024-06", steps)
    outcome = run_monthly(spark, settings, "2024-06", steps, only="export")
    assert outcome.ran == ["export"] and steps.calls[-1] == "export"
