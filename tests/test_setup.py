"""The set-up script fails with one clear line, not a stack trace (run on a copy of the project)."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from signaux_spark.config import PROJECT_ROOT

pytestmark = pytest.mark.slow  # make test-fast leaves it out


@pytest.fixture
def project_copy(tmp_path):
    for name in ["scripts/setup.sh", "conf/versions.env", "conf/requirements.lock", "setup.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    # A stand-in .venv whose install stamp is current, so the script never runs pip (and never
    # touches the project's real .venv); its python is the project's interpreter.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    python = tmp_path / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {PROJECT_ROOT / ".venv" / "bin" / "python"} "$@"\n')
    python.chmod(0o755)
    stamp = hashlib.sha256(
        b"".join((tmp_path / name).read_bytes() for name in ["setup.py", "conf/versions.env", "conf/requirements.lock"])
    )
    (tmp_path / ".venv" / ".signaux_spark-installed").write_text(stamp.hexdigest() + "\n")
    return tmp_path


def run_setup(root: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_old_java_is_refused_with_advice(project_copy, tmp_path):
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "java").write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    (fake / "java").chmod(0o755)
    result = run_setup(project_copy, PATH=f"{fake}:{os.environ['PATH']}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "setup: Java 11 found, Spark 4.2.0 needs Java 17 or newer: install a JDK 17+ and put it first on PATH."
    )


def test_failed_jar_download_says_what_to_do(project_copy):
    result = run_setup(project_copy, MAVEN_REPOSITORY="http://127.0.0.1:9/maven2", SETUP_QUIET="1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("setup: could not download http://127.0.0.1:9/maven2/io/delta/")
    assert "set MAVEN_REPOSITORY to a mirror" in line
    assert not list((project_copy / "jars").glob("*.part"))


def test_second_run_is_a_no_op_without_network(project_copy):
    (project_copy / "jars").mkdir(exist_ok=True)
    for name in (PROJECT_ROOT / "jars").glob("*.jar"):
        shutil.copy(name, project_copy / "jars" / name.name)
    result = run_setup(project_copy, MAVEN_REPOSITORY="http://127.0.0.1:9/maven2")
    assert result.returncode == 0, result.stderr
    assert "downloading" not in result.stdout
    assert "installing" not in result.stdout
    assert not (project_copy / ".venv" / "pip-install.log").exists()
