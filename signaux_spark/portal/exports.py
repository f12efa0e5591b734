"""What the portal reads of the published exports: the months, a region's manifest, list and
summary, the national summary, a firm's history across months, and a file checked against its
manifest before it is sent.

Every month goes through `export.published.month_folder` (the month's current publication, never
a half-written folder). Names coming from a URL are never joined to a path as they are: a region
must be letters and digits only, a file must be listed in the manifest. Publications are
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


@dataclass(frozen=True)
class Publication:
    """One region's folder (or the national one) of a month's current publication, resolved once."""

    month: str
    region: str
    folder: Path
    manifest: dict

    def _named(self, suffix: str) -> Path | None:
        """The one file of the manifest ending with `suffix` (the list's JSON, the HTML summary)."""
        names = [f["name"] for f in self.manifest["files"] if f["name"].endswith(suffix) and "/" not in f["name"]]
        return self.folder / names[0] if len(names) == 1 else None

    def document(self) -> dict | None:
        """The JSON document of a region's list; None for the national folder."""
        path = None if self.region == NATIONAL else self._named(".json")
        return None if path is None else _json(path)

    def firms(self) -> dict[str, dict]:
        """The list's firms by SIREN."""
        path = None if self.region == NATIONAL else self._named(".json")
        return {} if path is None else _firms(path, _stamp(path))

    def summary(self) -> str | None:
        """The body of the HTML summary, its title and style left out."""
        path = self._named(".html")
        return None if path is None else _summary_cached(path, _stamp(path))

    def download(self, name: str) -> Download | None:
        """The bytes of a file the manifest lists, after checking them against its SHA-256; None
        when the manifest does not list it. Raises Tampered on a mismatch."""
        entry = next((f for f in self.manifest["files"] if f["name"] == name), None)
        if entry is None or "/" in name or "\\" in name or name.startswith("."):
            return None
        data = (self.folder / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise Tampered(f"{self.month}/{self.region}/{name} does not match its manifest")
        return Download(name, data, entry["sha256"])


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
        return sorted(
            p.name for p in folder.iterdir() if p.is_dir() and p.name != NATIONAL and REGION.fullmatch(p.name)
        )

    def publication(self, month: str, region: str) -> Publication | None:
        """The folder of `region` (or `national`) in the month's current publication with its
        manifest; None when there is none. `region` is a plain name (letters and digits), so it
        cannot leave the month's folder."""
        if not REGION.fullmatch(region or ""):
            return None
        root = month_folder(self.root, month)
        if root is None:
            return None
        folder = root.resolve() / region
        if folder.is_symlink() or not (folder / MANIFEST).is_file():
            return None
        return Publication(month, region, folder, _json(folder / MANIFEST))

    def firm_history(self, region: str, siren: str) -> list[dict]:
        """The firm's row in each published list of `region`, oldest month first (empty when the
        firm is on none of them)."""
        if not SIREN.fullmatch(siren or ""):
            return []
        history = []
        for month in self.months():
            found = self.publication(month, region)
            firm = None if found is None else found.firms().get(siren)
            if firm is not None:
                history.append({"month": month, **firm})
        return history


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
