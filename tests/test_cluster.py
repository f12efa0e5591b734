"""Integration: a real standalone Spark cluster on localhost (one master, one worker, started from
the pyspark installation's spark-class) runs `spark-submit.sh doctor`; the cluster is always stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyspark
import pytest

from signaux_spark.config import PROJECT_ROOT

pytestmark = pytest.mark.slow  # make test-fast leaves it out

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    return subprocess.Popen(
        [str(SPARK_CLASS), *args], stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def standalone_cluster(tmp_path):
    port, ui = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    master = start(
        ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)],
        tmp_path / "master.log",
    )
    procs = [master]
    try:
        worker = start(
            [
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--cores",
                "1",
                "--memory",
                "2g",
                "--webui-port",
                str(free_port()),
                "--work-dir",
                str(tmp_path / "work"),
            ],
            tmp_path / "worker.log",
        )
        procs.append(worker)
        deadline = time.monotonic() + 90
        while True:
            try:
                state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2))
                if state.get("aliveworkers", 0) >= 1:
                    break
            except (OSError, ValueError):  # not listening yet, or still serving its HTML start-up page
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    "the standalone worker did not register:\n" + (tmp_path / "worker.log").read_text()
                )
            time.sleep(1)
        yield url
    finally:
        for proc in reversed(procs):
            stop(proc)


def test_doctor_passes_on_a_standalone_cluster(standalone_cluster, tmp_path):
    env = dict(os.environ, SPARK_MASTER=standalone_cluster)
    result = subprocess.run(
        [
            str(PROJECT_ROOT / "spark-submit.sh"),
            "-v",
            "doctor",
            f"paths.root={tmp_path / 'data'}",
            "spark.driver_memory=1g",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    assert f"--master {standalone_cluster}" in out
    assert f"master {standalone_cluster}" in out
    assert "doctor: all checks OK" in out
    assert "FAIL" not in out
    assert sum(line.startswith("OK ") for line in out.splitlines()) == 9
