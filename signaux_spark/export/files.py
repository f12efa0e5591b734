"""Writing the export files: bytes built in memory, written to a temporary name and renamed, so a
reader never sees half a file; and a month's folder published in one swap, so that re-running an
export replaces the month exactly (no file of the previous run survives).

Every file is a pure function of its inputs: the workbook's zip entries and document dates carry a
fixed stamp (the month of the list) instead of the time of writing, so the same list gives the
same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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
        writer.writerow([_csv_text(_cell(v, c.kind), c.kind) for v, c in zip(row, columns)])
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
        return "'" + value   # shown as text, never run: the quote tells the reader it was added
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


def xlsx_bytes(sheets: list[tuple[str, list, list[list]]], stamp: dt.datetime, widths: dict[str, list[int]] | None = None,
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
                _append(sheet, [_cell(v, c.kind) for v, c in zip(row, columns)])
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
        for letter, width in zip("ABCDEFGH", (widths or {}).get(title, [])):
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
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + iso.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()


def is_local(root: str) -> bool:
    return "://" not in root or root.startswith("file:")


def local_path(root: str) -> Path:
    return Path(urlparse(root).path if root.startswith("file:") else root)


def staging_folder(root: str, name: str) -> Path:
    """A fresh local folder to build the month `name` in: beside its final place when the exports
    are local (so publishing is a rename), else in the local temporary folder."""
    if is_local(root):
        folder = local_path(root) / f".staging-{name}-{uuid.uuid4().hex[:8]}"
    else:
        folder = Path(tempfile.mkdtemp(prefix=f"signaux-export-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def publish(spark, staging: Path, root: str, name: str) -> str:
    """Make the folder `staging` the month `root/name`, replacing any previous one whole; returns
    the final location. Local: renames on one file system; elsewhere (HDFS, object stores): copy
    to a staging name beside the target through Hadoop's FileSystem, then renames."""
    if is_local(root):
        target = local_path(root) / name
        previous = target.with_name(f".previous-{name}-{uuid.uuid4().hex[:8]}")
        if target.exists():
            os.replace(target, previous)
        os.replace(staging, target)
        shutil.rmtree(previous, ignore_errors=True)
        return str(target)
    return _publish_hadoop(spark, staging, root, name)


def _publish_hadoop(spark, staging: Path, root: str, name: str) -> str:
    jvm = spark._jvm
    token = uuid.uuid4().hex[:8]
    target = jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/{name}")
    remote = jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/.staging-{name}-{token}")
    previous = jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/.previous-{name}-{token}")
    fs = target.getFileSystem(spark._jsc.hadoopConfiguration())
    fs.setWriteChecksum(False)
    fs.copyFromLocalFile(False, True, jvm.org.apache.hadoop.fs.Path(staging.resolve().as_uri()), remote)
    if fs.exists(target) and not fs.rename(target, previous):
        raise OSError(f"could not move the previous export {target} aside")
    if not fs.rename(remote, target):
        raise OSError(f"could not publish {remote} as {target}")
    fs.delete(previous, True)
    shutil.rmtree(staging, ignore_errors=True)
    return str(target)
