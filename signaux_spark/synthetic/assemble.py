"""Second stage: for one batch, concatenate the partitions' chunks of each file kind (in firm
order) into the one delivered file, add the header (and the Altares trailer), apply the file-level
pitfalls (encoding, header variation, blank lines, gzip, trailer) and write the batch's fault
manifest with the final physical line numbers."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path

import numpy as np

from signaux_spark.synthetic.calendar import month_str
from signaux_spark.synthetic.files import ALTARES_TRAILER, SPECS, FileSpec, Schedule
from signaux_spark.synthetic.plan import Plan
from signaux_spark.synthetic.rng import Stream

MANIFEST_COLUMNS = ["source", "batch", "file", "line_number", "fault", "expected"]
UNKNOWN_COLUMN = "code_extraction"
# Expected file flags of a wrongly encoded delivery (SOURCES.md 0.2).
ENCODING_FLAGS = {
    "cp1252": "file_flag:encoding_fallback_cp1252",
    "utf-16": "file_flag:encoding_bom_override",
    "utf-8": "file_flag:encoding_utf8_instead_of_latin9",
}


def chunk_dir(work: str, batch: int) -> Path:
    return Path(work) / month_str(batch)


def assemble_batch(batch: int, plan: Plan, out_dir: str, work: str) -> list[dict]:
    """Write every file landing in `batch` and `faults/<batch>.csv`; return one stats row per file."""
    schedule = Schedule(plan)
    folder = chunk_dir(work, batch)
    sidecars = []
    for meta in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        sidecars.append((meta.with_suffix(".dat"), json.loads(meta.read_text())))
    manifest: list[list] = []
    stats = []
    for key, spec in SPECS.items():
        name = spec.name(batch, plan)
        relative = f"{spec.source}/{month_str(batch)}/{name}"
        if schedule.late(key, batch):
            manifest.append([spec.source, month_str(batch), relative, "", "late_delivery", "missing_delivery"])
            continue
        if not schedule.lands(key, batch):
            continue
        chunks = [(path, side[key]) for path, side in sidecars if key in side]
        stats.append(_write_file(spec, batch, plan, out_dir, relative, chunks, manifest))
    path = Path(out_dir) / "faults" / f"{month_str(batch)}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest.sort(key=lambda r: (r[2], -1 if r[3] == "" else r[3], r[4], r[5]))
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(manifest)
    return stats


class FilePitfalls:
    """The file-level pitfalls drawn for one file (all from hashes of seed, file kind and batch)."""

    def __init__(self, spec: FileSpec, batch: int, plan: Plan, total: int):
        u = Stream(plan.seed, f"file/{spec.key}").uniform(batch, np.arange(12))
        rates = plan.faults
        self.encoding = None
        if spec.recoding and u[0] < rates["wrong_encoding"]:
            self.encoding = spec.recoding[int(u[1] * len(spec.recoding))]
        self.header = None
        if u[2] < rates["header_variation"]:
            extra_allowed = spec.source != "urssaf_effectif_ent" and spec.key != "altares_paydex:increment"
            self.header = "extra" if extra_allowed and u[3] < 0.5 else ("upper" if u[3] < 0.75 else "lower")
        self.blanks: list[int] = []  # data line indexes a blank line is inserted before
        self.other_ending = spec.line_end == "\n"
        if u[4] < rates["blank_lines"]:
            inner = 1 + int(u[5] * 3)
            if total >= 2:
                self.blanks = sorted(
                    int(1 + v * (total - 1))
                    for v in Stream(plan.seed, f"blank/{spec.key}").uniform(batch, np.arange(inner))
                )
            if spec.key != "altares_paydex:increment":
                self.blanks += [total] * (1 + int(u[6] * 2))
        self.gzip = u[7] < rates["gzip_file"]
        self.trailer = None
        if spec.key == "altares_paydex:increment":
            self.trailer = "ok"
            if u[8] < rates["altares_trailer"]:
                self.trailer = "missing" if u[9] < 0.5 else "wrong"
        self.trailer_semicolon = u[10] < 0.3
        self.wrong_by = 1 + int(u[11] * 5)


def _blank_line(spec: FileSpec, k: int) -> str:
    end = "\r\n" if spec.line_end == "\n" else "\n"
    return ("   " if k % 2 else "") + end


def _write_file(spec: FileSpec, batch: int, plan: Plan, out_dir: str, relative: str, chunks, manifest) -> dict:
    total = sum(c["lines"] for _, c in chunks)
    fp = FilePitfalls(spec, batch, plan, total)
    header = spec.header(batch, plan)
    if fp.header == "upper":
        header = [h.upper() for h in header]
    elif fp.header == "lower":
        header = [h.lower() for h in header]
    elif fp.header == "extra":
        header = header + [UNKNOWN_COLUMN]
    if spec.quoted:
        header = [f'"{h}"' for h in header]
    extra = (spec.sep + ('"X"' if spec.quoted else "X")) if fp.header == "extra" else ""
    target = Path(out_dir) / "landing" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    plain = target.with_name(target.name + ".part")

    blanks = np.asarray(fp.blanks, dtype=np.int64)
    written_lines = 0
    with open(plain, "wb") as out:
        out.write((spec.sep.join(header) + spec.line_end).encode("utf-8"))
        seen = 0
        for path, c in chunks:
            with open(path, "rb") as f:
                f.seek(c["offset"])
                data = f.read(c["length"])
            if len(blanks) or extra:
                data = _rewrite_lines(data, seen, blanks, extra, spec)
            out.write(data)
            for line, fault, expected in c["notes"]:
                g = seen + line
                manifest.append(
                    [
                        spec.source,
                        month_str(batch),
                        relative,
                        2 + g + int(np.searchsorted(blanks, g, side="right")),
                        fault,
                        expected,
                    ]
                )
            seen += c["lines"]
            written_lines += c["lines"]
        tail = blanks[blanks >= seen]
        for k in range(len(tail)):
            out.write(_blank_line(spec, k).encode("utf-8"))
        if fp.trailer in ("ok", "wrong"):
            n = total + (fp.wrong_by if fp.trailer == "wrong" else 0)
            out.write(
                (ALTARES_TRAILER.format(n=n) + (";" if fp.trailer_semicolon else "") + spec.line_end).encode("utf-8")
            )
    for k, position in enumerate(blanks):
        manifest.append(
            [spec.source, month_str(batch), relative, 2 + int(position) + k, "blank_lines", "skipped_blank"]
        )
    file_rows = []
    if fp.header:
        file_rows.append(("header_variation", "none"))
    if fp.trailer in ("missing", "wrong"):
        file_rows.append(
            (
                "altares_trailer",
                "file_flag:missing_trailer" if fp.trailer == "missing" else "file_flag:trailer_count_mismatch",
            )
        )
    encoding = _encode(plain, spec, fp.encoding)
    if fp.encoding and encoding:
        file_rows.append(("wrong_encoding", ENCODING_FLAGS[encoding]))
    if fp.gzip:
        with open(plain, "rb") as src, open(target.with_name(target.name + ".gz"), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                while block := src.read(1 << 22):
                    gz.write(block)
        os.remove(plain)
        relative_final = relative + ".gz"
        file_rows.append(("gzip_file", "none"))
        for row in manifest:
            if row[2] == relative:
                row[2] = relative_final
        target = target.with_name(target.name + ".gz")
    else:
        os.replace(plain, target)
        relative_final = relative
    for fault, expected in file_rows:
        manifest.append([spec.source, month_str(batch), relative_final, "", fault, expected])
    return {
        "source": spec.source,
        "batch": month_str(batch),
        "file": relative_final,
        "lines": written_lines,
        "bytes": target.stat().st_size,
    }


def _rewrite_lines(data: bytes, seen: int, blanks: np.ndarray, extra: str, spec: FileSpec) -> bytes:
    """Insert blank lines before the given global data line indexes and append the unknown column."""
    pieces = data.split(b"\n")[:-1]
    out = io.BytesIO()
    extra_b = extra.encode("utf-8")
    crlf = spec.line_end == "\r\n"
    k = int(np.searchsorted(blanks, seen, side="left"))
    for i, piece in enumerate(pieces):
        g = seen + i
        while k < len(blanks) and blanks[k] == g and g > 0:
            out.write(_blank_line(spec, k).encode("utf-8"))
            k += 1
        body = piece[:-1] if crlf and piece.endswith(b"\r") else piece
        out.write(body + extra_b + (b"\r\n" if crlf and piece.endswith(b"\r") else b"\n"))
    return out.getvalue()


def _encode(path: Path, spec: FileSpec, wrong: str | None) -> str | None:
    """Re-encode the UTF-8 file in place: to the declared encoding, or to the wrong one. Returns the
    wrong encoding actually applied (None when the pitfall would not be visible, e.g. pure ASCII)."""
    declared = spec.encoding
    target = wrong or declared
    if target == "utf-8":
        if wrong and not _has_non_ascii(path):
            return None
        return wrong
    if target == "cp1252" and not _has_non_ascii(path):
        target = "utf-16"
    tmp = path.with_name(path.name + ".enc")
    with open(path, encoding="utf-8", newline="") as src, open(tmp, "wb") as out:
        if target == "utf-16":
            out.write(b"\xff\xfe")
        codec = "utf-16-le" if target == "utf-16" else target
        while block := src.read(1 << 20):
            out.write(block.encode(codec))
    os.replace(tmp, path)
    return target if wrong else None


def _has_non_ascii(path: Path) -> bool:
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            if max(block, default=0) >= 0x80:
                return True
    return False
