"""The split streams: records leave a task in chunks while the file is read, a file refused midway
says so in its file row, and the collector is back on afterwards. Pure Python, no Spark."""

from __future__ import annotations

import gc
import json

import pyarrow as pa
import pytest

from signaux_spark.ingest import split
from signaux_spark.sources.text import FileKind, Layout, StructuralError, file_records

LAYOUT = Layout("utf-8", ";", "strict", (FileKind("main", r"f\.csv", ("a", "b"), trailer=True),))
FILES = pa.schema([("path", pa.string()), ("content", pa.binary())])  # what the split receives
FILE = "a;b\n" + "".join(f"{i};x\n" for i in range(5)) + "Fin du fichier : total 5 ligne(s)\n"


def test_records_come_one_at_a_time_and_the_summary_is_complete_at_the_end():
    summary, records = file_records("f.csv", FILE.encode(), LAYOUT)
    first = next(records)
    assert first.fields == ["0", "x"] and summary.records == 1  # split lazily, not all at once
    rest = list(records)
    assert [r.line_number for r in rest] == [3, 4, 5, 6]
    assert (summary.records, summary.trailer, summary.lines, summary.flags) == (5, 1, 7, [])


def test_a_structural_problem_after_some_records_is_raised_while_iterating():
    _, records = file_records("f.csv", (FILE + "9;late\n").encode(), LAYOUT)
    with pytest.raises(StructuralError, match="line 8 comes after the trailer line 7"):
        list(records)


def run_split(monkeypatch, files: dict[str, str]) -> list[dict]:
    monkeypatch.setattr(split, "CHUNK_ROWS", 2)
    batch = pa.RecordBatch.from_pydict(
        {"path": list(files), "content": [text.encode() for text in files.values()]},
        schema=FILES,
    )
    states = []
    rows = []
    for out in split.split_files(iter([batch]), layouts={"src": LAYOUT}, require_rows=frozenset()):
        states.append(gc.isenabled())
        rows.append(out.to_pylist())
    assert states and not any(states), "the collector is off while the split runs"
    assert gc.isenabled(), "and on again once it is done"
    return rows


def test_records_go_back_in_chunks_then_one_file_row(monkeypatch):
    chunks = run_split(monkeypatch, {"file:/landing/src/2024-01/f.csv": FILE})
    assert [len(c) for c in chunks] == [2, 2, 1, 1]
    assert [r["line_number"] for c in chunks[:3] for r in c] == [2, 3, 4, 5, 6]
    (file_row,) = chunks[3]
    assert file_row["kind"] == "file" and file_row["batch"] == "2024-01"
    info = json.loads(file_row["info"])
    assert (info["error"], info["records"], info["trailer"]) == (None, 5, 1)


def test_a_file_refused_midway_says_so_in_its_row_and_the_next_file_is_split(monkeypatch):
    chunks = run_split(
        monkeypatch,
        {"file:/landing/src/2024-01/f.csv": FILE + "9;late\n", "file:/landing/src/2024-02/f.csv": FILE},
    )
    file_rows = [r for c in chunks for r in c if r["kind"] == "file"]
    assert [r["batch"] for r in file_rows] == ["2024-01", "2024-02"]
    first, second = (json.loads(r["info"]) for r in file_rows)
    assert first == {"file_kind": None, "error": "line 8 comes after the trailer line 7"}
    assert second["error"] is None and second["records"] == 5


def test_a_large_file_is_read_by_the_task_from_its_path(monkeypatch, tmp_path):
    path = tmp_path / "src" / "2024-03" / "f.csv"
    path.parent.mkdir(parents=True)
    path.write_text(FILE)
    monkeypatch.setattr(split, "CHUNK_ROWS", 10)
    batch = pa.RecordBatch.from_pydict(  # a large file comes as its path, without content
        {"path": [f"file:{path}", f"file:{tmp_path}/src/2024-04/f.csv"], "content": [None, None]},
        schema=FILES,
    )
    rows = [r for out in split.split_files(iter([batch]), {"src": LAYOUT}, frozenset()) for r in out.to_pylist()]
    assert [r["line_number"] for r in rows if r["kind"] == "record"] == [2, 3, 4, 5, 6]
    read, missing = (json.loads(r["info"]) for r in rows if r["kind"] == "file")
    assert read["error"] is None and read["records"] == 5
    assert missing["error"].startswith("cannot be read by the task: [Errno 2] No such file or directory")
