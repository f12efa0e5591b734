"""One monthly run at a time: the lease on the lake (ops/lease). In one process first (two holders,
release, expiry, a lost lease), then with a second real process holding the lease: the test's run is
refused with a line naming it, runs once it is done, and takes over the lease of a killed holder
only after the lease expired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signaux_spark import tables
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.ops.lease import Lease, LeaseRefused
from signaux_spark.ops.monthly import STEPS, StepOutput, run_monthly

ROOT = Path(__file__).resolve().parents[2]


def lease(spark, settings, what, seconds=600.0, heartbeat=300.0):
    return Lease(spark, Lake(settings), "monthly", what, seconds, heartbeat)


def test_a_second_holder_is_refused_until_the_first_gives_the_lease_back(spark, settings):
    first = lease(spark, settings, "monthly 2024-03")
    first.acquire()
    second = lease(spark, settings, "monthly 2024-04")
    with pytest.raises(
        LeaseRefused,
        match=rf"another run holds the lease of this lake: monthly 2024-03 on .* "
        rf"pid {os.getpid()} \(since .* UTC, last heartbeat .*\); if that run is "
        "dead, its lease expires at .* UTC: start again after that",
    ):
        second.acquire()
    first.release()
    second.acquire()
    assert second.current()["token"] == second.token
    second.release()
    assert second.current() is None


def test_an_expired_lease_is_taken_over_and_its_old_holder_stops(spark, settings, monkeypatch):
    stale = lease(spark, settings, "monthly 2024-03")
    stale.acquire()
    stale._stop.set()  # its heartbeats stop, as when its driver hangs
    stale._beat.join()
    taker = lease(spark, settings, "monthly 2024-04")
    with pytest.raises(LeaseRefused):
        taker.acquire()
    monkeypatch.setattr(taker, "clock", lambda: time.time() + 601)  # the taker lives after the expiry
    taker.acquire()
    stale.renew()  # its next heartbeat finds the lease taken
    with pytest.raises(JobError, match="the lease of this lake was lost .* now held by monthly 2024-04"):
        stale.check()
    taker.release()
    assert taker.current() is None


def test_bad_lease_settings_are_refused():
    from signaux_spark.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="'ops.heartbeat_seconds' must be > 0 and at most half"):
        load_settings(overrides=["ops.lease_seconds=60", "ops.heartbeat_seconds=40"])


HOLDER = r"""
import sys, time
from pathlib import Path
from signaux_spark.config import load_settings
from signaux_spark.ops.monthly import STEPS, StepOutput, run_monthly
from signaux_spark.session import build_session

root, lease_seconds, flags = sys.argv[1], sys.argv[2], Path(sys.argv[3])
settings = load_settings(overrides=[f"paths.root={root}", "spark.master=local[1]", "spark.driver_memory=1g",
                                    "spark.shuffle_partitions=1", f"ops.lease_seconds={lease_seconds}",
                                    "ops.heartbeat_seconds=1", "spark.conf={spark.ui.enabled: 'false'}"])
spark = build_session("lease-holder", settings)

def hold(spark, settings, batch, run_id):
    (flags / "holding").touch()
    while not (flags / "go").exists():
        time.sleep(0.2)
    return StepOutput()

steps = {name: (hold if name == "ingest" else lambda *a: StepOutput()) for name in STEPS}
print(run_monthly(spark, settings, "2024-01", steps).ran, flush=True)
"""


def holder(root: Path, flags: Path, lease_seconds: int) -> subprocess.Popen:
    flags.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), str(lease_seconds), str(flags)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not (flags / "holding").exists():
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.5)
    return process


def quick_steps(calls):
    def make(name):
        def run(spark, settings, batch, run_id):
            calls.append(name)
            return StepOutput()

        return run

    return {name: make(name) for name in STEPS}


@pytest.mark.slow  # a second Spark driver
def test_two_processes_one_run_at_a_time(spark, settings, tmp_path):
    other = holder(Path(settings.path("root")), tmp_path / "flags", lease_seconds=600)
    calls = []
    with pytest.raises(LeaseRefused, match=rf"monthly 2024-01 on .* pid {other.pid} "):
        run_monthly(spark, settings, "2024-02", quick_steps(calls))
    assert calls == []  # nothing ran beside the holder
    (tmp_path / "flags" / "go").touch()
    out, err = other.communicate(timeout=300)
    assert other.returncode == 0, err
    assert "['ingest', 'features', 'score', 'monitor', 'export']" in out
    assert run_monthly(spark, settings, "2024-02", quick_steps(calls)).ran == [
        "ingest",
        "features",
        "score",
        "monitor",
        "export",
    ]
    assert Lake(settings).read(spark, tables.LEASE).count() == 0  # both gave the lease back


@pytest.mark.slow  # a second Spark driver
def test_a_killed_holders_lease_is_taken_over_only_after_it_expired(spark, settings, tmp_path, monkeypatch):
    other = holder(Path(settings.path("root")), tmp_path / "flags", lease_seconds=600)
    other.send_signal(signal.SIGKILL)
    other.wait()
    calls = []
    with pytest.raises(LeaseRefused, match=rf"pid {other.pid} "):  # dead, but its lease has not expired
        run_monthly(spark, settings, "2024-01", quick_steps(calls))
    assert calls == []
    monkeypatch.setattr(Lease, "clock", staticmethod(lambda: time.time() + 601))  # ten minutes later
    resumed = run_monthly(spark, settings, "2024-01", quick_steps(calls))
    killed = Lake(settings).read(spark, tables.RUNS).where("status = 'running'").first()
    assert resumed.run_id == killed["run_id"] and resumed.ran == ["ingest", "features", "score", "monitor", "export"]
