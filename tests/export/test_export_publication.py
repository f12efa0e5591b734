"""Publishing a month under a kill at every point, and exports of one month side by side.

Each export runs in a child process; a kill is `os._exit` at a chosen point (no cleanup code
runs, the kernel drops the process's locks, exactly as after `kill -9`). After it, readers still
see a whole publication, the next export's sweep removes what the killed one left, and publishing
works again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signaux_spark.export import files
from signaux_spark.export.manifest import write_manifest
from signaux_spark.export.published import PUBLICATIONS, month_folder

MONTH = "2020-03"
ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import os, sys
from pathlib import Path
from signaux_spark.export import files
from signaux_spark.export.manifest import write_manifest

root, month, label, point, times = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def kill_after(owner, name, when=lambda *a: True):
    real = getattr(owner, name)
    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(*args):
            os._exit(9)
        return result
    setattr(owner, name, wrapped)

def kill_before(owner, name):
    setattr(owner, name, lambda *args, **kwargs: os._exit(9))

def writer(text):
    def write(folder):
        files.write_atomic(folder / "84" / "a.csv", text.encode())
        if point == "writing":
            os._exit(9)
        files.write_atomic(folder / "11" / "b.csv", text.encode())
        return write_manifest(folder, {"period": month})
    return write

if point == "written":
    kill_before(files.os, "symlink")
elif point == "temporary link":
    kill_after(files.os, "symlink")
elif point == "switched":
    kill_after(files.os, "replace", lambda source, target: Path(target) == Path(root) / month)
elif point == "sweeping":
    kill_after(files.shutil, "rmtree")
for i in range(times):
    files.publish_month(None, root, month, writer(label if times == 1 else f"{label}-{i}"))
"""


def export(root: Path, label: str, point: str = "none", times: int = 1) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), MONTH, label, point, str(times)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def publish(root: Path, label: str) -> None:
    def write(folder):
        files.write_atomic(folder / "84" / "a.csv", label.encode())
        files.write_atomic(folder / "11" / "b.csv", label.encode())
        return write_manifest(folder, {"period": MONTH})

    files.publish_month(None, str(root), MONTH, write)


def seen(root: Path) -> str:
    """The label of the month's current publication, checked whole (both files and the manifest)."""
    folder = month_folder(root, MONTH)
    a, b = (folder / "84" / "a.csv").read_text(), (folder / "11" / "b.csv").read_text()
    assert a == b and (folder / "manifest.json").is_file()
    return a


def leftovers(root: Path) -> list[str]:
    """Everything beside the month's link and its current publication."""
    current = month_folder(root, MONTH)
    store = root / PUBLICATIONS / MONTH
    return sorted(
        [p.name for p in root.iterdir() if p.name not in (PUBLICATIONS, MONTH)]
        + [p.name for p in store.iterdir() if p.resolve() != current]
    )


@pytest.mark.parametrize(
    "point, after",
    [
        ("writing", "v1"),  # half the files written
        ("written", "v1"),  # the publication whole, not linked
        ("temporary link", "v1"),  # its link made under a temporary name, not renamed in place
        ("switched", "v2"),  # the month switched, the folder not yet synced nor swept
        ("sweeping", "v2"),  # in the middle of removing the previous publication
    ],
)
def test_a_kill_at_any_point_of_a_publication_leaves_a_whole_month(tmp_path, point, after):
    publish(tmp_path, "v1")
    killed = export(tmp_path, "v2", point)
    assert killed.wait(timeout=120) == 9, killed.stderr.read()  # it reached the point and died there
    assert seen(tmp_path) == after
    if point != "sweeping":
        assert leftovers(tmp_path)  # the killed export left something (then swept below)
    files.sweep(tmp_path)
    assert leftovers(tmp_path) == [] and seen(tmp_path) == after
    publish(tmp_path, "v3")
    assert seen(tmp_path) == "v3" and leftovers(tmp_path) == []


def test_a_killed_export_is_swept_by_the_next_one(tmp_path):
    publish(tmp_path, "v1")
    assert export(tmp_path, "v2", "temporary link").wait(timeout=120) == 9
    publish(tmp_path, "v3")
    assert seen(tmp_path) == "v3" and leftovers(tmp_path) == []


def test_exports_of_one_month_side_by_side_all_succeed(tmp_path):
    publish(tmp_path, "v0")
    writers = [export(tmp_path, f"w{i}", times=5) for i in range(4)]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read()
        assert writer.stderr.read() == ""
    assert seen(tmp_path) in {f"w{i}-4" for i in range(4)}  # the last publication of one of them
    assert leftovers(tmp_path) == []  # the last one out swept the others' publications
