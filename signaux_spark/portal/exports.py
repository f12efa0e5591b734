"""What the portal reads of the published exports: the months, a region's manifest, list and
summary, the national summary, a firm's history across months, and a file checked against its
manifest before it is sent.

Every month goes through `export.published.month_folder` (the month's current publication, never
a half-written folder). Names coming from a URL are never joined to a path as they are: a region
must be a folder name of the month, a file must be listed in the manifest. Publications are
never modified once published, so what is read is cached by its resolved path.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from signaux_spark.export.manifest import NAME as MANIFEST
from signaux_spark.export.published import NATIONAL, month_folder, published_months

SIREN = re.compile(r"^\d{9}$")
REGION = re.compile(r"^[0-9A-Za-z]{1,16}$")


class Tampered(RuntimeError):
    """A published file whose bytes no longer match its manifest's SHA-256."""


@dataclass(frozen=True)
class Download:
    name: str
    data: bytes
    sha256: str


class Exports:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def months(self) -> list[str]:
        return published_months(self.root)

    def regions(self, month: str) -> list[str]:
        """The region folders of a month's publication (the national folder excepted)."""
        folder = month_folder(self.root, month)
        if folder is None:
            return []
        return sorted(p.name for p in folder.iterdir()
                      if p.is_dir() and p.name != NATIONAL and REGION.fullmatch(p.name))

    def folder(self, month: str, region: str) -> Path | None:
        """The folder of `region` (or `national`) in the month's publication, None if there is none."""
        if not REGION.fullmatch(region or ""):
            return None
        root = month_folder(self.root, month)
        if root is None:
            return None
        names = {p.name for p in root.iterdir() if p.is_dir()}
        return root / region if region in names and (root / region / MANIFEST).is_file() else None

    def manifest(self, month: str, region: str) -> dict | None:
        folder = self.folder(month, region)
        return None if folder is None else _json(folder.resolve() / MANIFEST)

    def region_list(self, month: str, region: str) -> dict | None:
        """The JSON document of a region's list (the manifest's `.json` file other than itself)."""
        path = self._list_path(month, region)
        return None if path is None else _json(path)

    def _list_path(self, month: str, region: str) -> Path | None:
        manifest = self.manifest(month, region)
        if manifest is None or region == NATIONAL:
            return None
        name = _one(manifest, ".json")
        return None if name is None else self.folder(month, region).resolve() / name

    def summary(self, month: str, region: str) -> str | None:
        """The body of the month's HTML summary (region or national), its title and style left out."""
        manifest = self.manifest(month, region)
        name = None if manifest is None else _one(manifest, ".html")
        if name is None:
            return None
        return _summary_body(self.folder(month, region).resolve() / name)

    def download(self, month: str, region: str, name: str) -> Download | None:
        """The bytes of a file the manifest lists, after checking them against its SHA-256; None
        when the month, region or file is not published. Raises Tampered on a mismatch."""
        manifest = self.manifest(month, region)
        if manifest is None:
            return None
        entry = next((f for f in manifest["files"] if f["name"] == name), None)
        if entry is None or "/" in name or "\\" in name or name.startswith("."):
            return None
        data = (self.folder(month, region) / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise Tampered(f"{month}/{region}/{name} does not match its manifest")
        return Download(name, data, entry["sha256"])

    def firm_history(self, region: str, siren: str) -> list[dict]:
        """The firm's row in each published list of `region`, oldest month first (empty when the
        firm is on none of them)."""
        if not SIREN.fullmatch(siren or ""):
            return []
        history = []
        for month in self.months():
            path = self._list_path(month, region)
            firm = None if path is None else _firms(path, _stamp(path)).get(siren)
            if firm is not None:
                history.append({"month": month, **firm})
        return history


def _one(manifest: dict, suffix: str) -> str | None:
    names = [f["name"] for f in manifest["files"] if f["name"].endswith(suffix) and "/" not in f["name"]]
    return names[0] if len(names) == 1 else None


@lru_cache(maxsize=512)
def _json_cached(path: Path, stamp: tuple) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _stamp(path: Path) -> tuple:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _json(path: Path) -> dict:
    return _json_cached(path, _stamp(path))


@lru_cache(maxsize=512)
def _firms(path: Path, stamp: tuple) -> dict[str, dict]:
    return {f["siren"]: f for f in _json_cached(path, stamp)["entreprises"]}


@lru_cache(maxsize=256)
def _summary_cached(path: Path, stamp: tuple) -> str:
    text = path.read_text(encoding="utf-8")
    body = re.search(r"<body>(.*)</body>", text, re.S)
    content = body.group(1) if body else ""
    content = re.sub(r"<h1>.*?</h1>", "", content, count=1, flags=re.S)
    return re.sub(r"<a href=\"[^\"]*\">(.*?)</a>", r"\1", content).strip()  # its links are relative to the folder


def _summary_body(path: Path) -> str:
    return _summary_cached(path, _stamp(path))
