"""The manifest of an export folder: what was exported (period, model, thresholds, counts) and
every file with its size and SHA-256, so a reader can check what it downloaded. Written last."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from signaux_spark.export.files import json_bytes, sha256, write_atomic

NAME = "manifest.json"


def file_entries(folder: Path) -> list[dict]:
    """Every file of `folder` (sub-folders included, the manifest excepted), sorted by path."""
    return [
        {"name": str(p.relative_to(folder)), "bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != NAME
    ]


def write_manifest(folder: Path, content: dict) -> dict:
    """Write `content` + the file list + the time of writing (the only clock time of an export)."""
    manifest = {
        **content,
        "files": file_entries(folder),
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    write_atomic(folder / NAME, json_bytes(manifest))
    return manifest
