"""Writing the export files: bytes built in memory, written to a temporary name and renamed, so a
reader never sees half a file; and a month published whole, as a new publication that one atomic
step makes current (`publish_month`; the layout is `export.published`'s), so that re-running an
export replaces the month exactly (no file of the previous run survives) and a kill at any point
leaves the previous publication readable.

Every file is a pure function of its inputs: the workbook's zip entries and document dates carry a
fixed stamp (the month of the list) instead of the time of writing, so the same list gives the
same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from signaux_spark.export.published import LOCK, POINTER, PUBLICATIONS, TEMPORARY_LINK, month_folder
from signaux_spark.months import is_month

T = TypeVar("T")
FORMATS = {"int": "# ##0", "number": "0.00", "percent": "0.00", "euros": "# ##0 €", "date": "dd/mm/yyyy"}
# A spreadsheet reads a CSV value starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cell(value, kind: str):
    """A spreadsheet value: None for missing, whole numbers for counts, dates as dates."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "int":
        return int(value)
    if kind in ("number", "percent", "euros"):
        return float(value)
    if kind == "date":
        return value if isinstance(value, dt.date) else pd.Timestamp(value).date()
    return value


def csv_bytes(table: pd.DataFrame, columns) -> bytes:
    """UTF-8 with BOM, `;` separator, decimal comma, dates dd/mm/yyyy: opens as is in a French spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.header for c in columns])
    for row in table.itertuples(index=False):
        writer.writerow([_csv_text(_cell(v, c.kind), c.kind) for v, c in zip(row, columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date":
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        text = f"{value:.2f}" if kind == "euros" else f"{value:.4f}".rstrip("0").rstrip(".")
        return ("0" if text == "-0" else text).replace(".", ",")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as text, never run: the quote tells the reader it was added
    return str(value)


def _xlsx_text(value):
    """A text as a workbook can hold it: the control characters XML 1.0 forbids (which would make
    openpyxl refuse the whole workbook) become U+FFFD; other values are returned as they are."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _append(sheet, values: list) -> None:
    """Append a row; every text is stored as a text cell, so a name such as `=1+1` stays a name
    (openpyxl would store a string starting with `=` as a formula)."""
    sheet.append([_xlsx_text(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def json_bytes(document) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def xlsx_bytes(
    sheets: list[tuple[str, list, list[list]]],
    stamp: dt.datetime,
    widths: dict[str, list[int]] | None = None,
) -> bytes:
    """A workbook of (title, columns, rows) sheets; a sheet with columns gets a styled header, filters
    and frozen panes, and its values the columns' formats; rows of a sheet without columns are written
    as they are. `stamp` dates the document (no clock time in the file)."""
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        if columns:
            _append(sheet, [c.header for c in columns])
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="1F4E79")
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            for row in rows:
                _append(sheet, [_cell(v, c.kind) for v, c in zip(row, columns, strict=True)])
            for index, column in enumerate(columns, start=1):
                letter = get_column_letter(index)
                if column.kind in FORMATS:
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                        cell.number_format = FORMATS[column.kind]
                sheet.column_dimensions[letter].width = min(60, max(12, len(column.header) + 2))
            sheet.freeze_panes = "E2" if len(columns) > 4 else "A2"
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"
        else:
            for row in rows:
                _append(sheet, row)
            for cell in sheet["A"]:
                if cell.value and cell.row == 1:
                    cell.font = Font(bold=True, size=13)
        # Widths are given for the first columns only (fewer than the letters).
        for letter, width in zip("ABCDEFGH", (widths or {}).get(title, []), strict=False):
            sheet.column_dimensions[letter].width = width
    book.properties.creator = "signaux_spark"
    book.properties.created = stamp
    raw = io.BytesIO()
    book.save(raw)
    return stable_zip(raw.getvalue(), stamp)


def stable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """The same zip with every entry dated `stamp` and the document's modification date set to it."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + iso.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()


def is_local(root: str) -> bool:
    return "://" not in root or root.startswith("file:")


def local_path(root: str) -> Path:
    return Path(urlparse(root).path if root.startswith("file:") else root)


@dataclass(frozen=True)
class Modes:
    """Permissions of what an export writes (the lists are confidential: no access for others)."""

    file: int = 0o640
    folder: int = 0o750


def publish_month(spark, root: str, month: str, write: Callable[[Path], T], modes: Modes = Modes()) -> tuple[T, str]:
    """Build the month with `write(folder)` in a new publication and make it the month's current
    one in a single atomic step (layout: `export.published`); returns (what `write` returned, the
    month's location). A failure or a kill at any point leaves the previous publication current."""
    if is_local(root):
        return _publish_local(local_path(root), month, write, modes)
    return _publish_hadoop(spark, root, month, write, modes)


def _publish_local(root: Path, month: str, write: Callable[[Path], T], modes: Modes) -> tuple[T, str]:
    store = root / PUBLICATIONS / month
    _make_folder(store, modes)
    with _month_lock(root, month, fcntl.LOCK_SH):  # shared: exports of one month run side by side
        token = _token()
        folder = store / token
        try:
            _make_folder(folder, modes)
            result = write(folder)
            _restrict(folder, modes)
            _sync_folder(store)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _switch(root, month, token)
    sweep(root)
    return result, str(root / month)


def _token() -> str:
    """A new publication's name: its time (so a listing reads in order), then a random part."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _switch(root: Path, month: str, token: str) -> None:
    """Point `<root>/<month>` at the publication `token`: a link made under a temporary name, then
    renamed over the month's link (one atomic step). A plain folder from before publications were
    versioned is first moved into the store, where the sweep removes it."""
    link = root / month
    if link.is_dir() and not link.is_symlink():
        os.replace(link, root / PUBLICATIONS / month / f"unversioned-{token}")
    temporary = root / f".{month}.{token}{TEMPORARY_LINK}"
    os.symlink(os.path.join(PUBLICATIONS, month, token), temporary)
    os.replace(temporary, link)
    _sync_folder(root)


def sweep(root: str | Path) -> list[Path]:
    """Remove what killed or superseded exports left under a local exports folder: publications
    no longer current (built by a killed export, or replaced since) and temporary links. A month
    that an export is writing right now is left alone (its writer sweeps when done)."""
    root, removed = Path(root), []
    store = root / PUBLICATIONS
    months = sorted(p.name for p in store.iterdir() if p.is_dir() and is_month(p.name)) if store.is_dir() else []
    for month in months:
        with _month_lock(root, month, fcntl.LOCK_EX | fcntl.LOCK_NB) as free:
            if not free:
                continue
            current = month_folder(root, month)
            for entry in sorted((store / month).iterdir()):
                if current is None or entry.resolve() != current:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
            for link in root.glob(f".{month}.*{TEMPORARY_LINK}"):
                link.unlink(missing_ok=True)
                removed.append(link)
    return removed


@contextmanager
def _month_lock(root: Path, month: str, how: int):
    """A lock on the month's publications (`flock`: released by the system when its holder dies).
    Yields False when a non-blocking request finds it taken."""
    handle = os.open(root / PUBLICATIONS / f"{month}{LOCK}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, how)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(handle)


def _make_folder(folder: Path, modes: Modes) -> None:
    for parent in reversed([folder, *folder.parents]):
        if not parent.exists():
            parent.mkdir(exist_ok=True)
            os.chmod(parent, modes.folder)


def _restrict(folder: Path, modes: Modes) -> None:
    """Give every file and folder under `folder` (itself included) the export's permissions."""
    os.chmod(folder, modes.folder)
    for path in folder.rglob("*"):
        os.chmod(path, modes.folder if path.is_dir() else modes.file)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so a publication survives a power cut once it is linked."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _publish_hadoop(spark, root: str, month: str, write: Callable[[Path], T], modes: Modes) -> tuple[T, str]:
    """Without symbolic links (HDFS, object stores): the month is built locally, copied through
    Hadoop's FileSystem to `<root>/.publications/<month>/<token>/`, then the pointer file
    `<root>/.publications/<month>.current` is overwritten with the token (one write); the month's
    other publications are then deleted. One export of a month at a time there (the monthly run's
    lease ensures it)."""
    jvm = spark._jvm
    hadoop = jvm.org.apache.hadoop.fs
    local = Path(tempfile.mkdtemp(prefix=f"signaux-export-{month}-"))
    try:
        result = write(local)
        token = _token()
        store = hadoop.Path(f"{root.rstrip('/')}/{PUBLICATIONS}/{month}")
        target = hadoop.Path(store, token)
        fs = target.getFileSystem(spark._jsc.hadoopConfiguration())
        fs.setWriteChecksum(False)
        fs.copyFromLocalFile(False, True, hadoop.Path(local.resolve().as_uri()), target)
        for path in (local, *local.rglob("*")):  # the export's permissions, as on a local disk
            mode = modes.folder if path.is_dir() else modes.file
            fs.setPermission(
                hadoop.Path(target, str(path.relative_to(local))) if path != local else target,
                hadoop.permission.FsPermission(f"{mode:o}"),
            )
        pointer = fs.create(hadoop.Path(f"{root.rstrip('/')}/{PUBLICATIONS}/{month}{POINTER}"), True)
        pointer.write(token.encode())
        pointer.close()
        for status in fs.listStatus(store):
            if status.getPath().getName() != token:
                fs.delete(status.getPath(), True)
    finally:
        shutil.rmtree(local, ignore_errors=True)
    return result, f"{root.rstrip('/')}/{PUBLICATIONS}/{month}/{token}"
