"""From the bytes of one delivered file to records with physical line numbers (SOURCES.md 0.2).

Pure Python, run inside Spark tasks one file at a time (never on the driver): gunzip, resolve the
encoding, split lines (LF or CRLF), match the header, split fields (RFC 4180 quoting, lazy quotes),
drop blank and duplicated lines, check field counts, read the Altares trailer, unpivot wide headcount
columns. A problem with the whole file raises `StructuralError`; a problem with one line becomes
that record's reject reason. Values are only trimmed here; typing happens in Spark (`values.py`).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
QUOTE = '"'
# A quoted field may hold line breaks; past this many physical lines the opening quote is taken
# for a stray one, so one bad quote cannot swallow the rest of the file.
MAX_RECORD_LINES = 50
TRAILER = re.compile(r"fin du fichier\s*:\s*total\s+(\d+)\s+ligne\(s\)[\s;]*", re.IGNORECASE)


class StructuralError(ValueError):
    """A problem with a whole file: nothing of it can be loaded."""


@dataclass(frozen=True)
class FileKind:
    """One kind of file a source delivers (Altares has two: retro stock and monthly increment)."""

    name: str
    pattern: str  # regular expression on the file name, without `.gz`
    columns: tuple[str, ...]  # required columns, in the order records carry them
    by_position: bool = False  # header not matched by name (Altares increment)
    trailer: bool = False  # ends with `Fin du fichier : total N ligne(s)`
    wide_prefix: str = ""  # extra columns `<prefix>...` are cells (headcount months)
    wide_column: Callable[[str], str | None] | None = None  # column name -> periode or None
    repair_column: str = ""  # surplus fields are joined back into this last column


@dataclass(frozen=True)
class Layout:
    """How a source's files are written: encoding, separator, quoting and file kinds."""

    encoding: str  # "utf-8" or "iso-8859-15"
    sep: str
    quoting: str  # "rfc4180" (quoted line breaks), "strict" (one line), "lazy"
    kinds: tuple[FileKind, ...]
    ignored_columns: frozenset[str] = frozenset()  # lower-case names dropped without a warning

    def kind_of(self, file_name: str) -> FileKind | None:
        name = file_name[:-3] if file_name.endswith(".gz") else file_name
        for kind in self.kinds:
            if re.fullmatch(kind.pattern, name):
                return kind
        return None


@dataclass
class Record:
    line_number: int
    raw_line: str
    fields: list[str | None] | None = None  # in FileKind.columns order; None when rejected here
    reason: str | None = None
    detail: str | None = None
    flags: list[str] = field(default_factory=list)
    cells: list[dict[str, str]] | None = None  # wide files: {"column", "periode", "value"}


@dataclass
class FileSummary:
    """What happened to every line of a file: lines = header + trailer + blank + duplicates + records."""

    file_kind: str
    encoding: str = ""
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    physical_lines: int = 0
    lines: int = 0
    header: int = 0
    trailer: int = 0
    blank: int = 0
    duplicates: int = 0
    records: int = 0


def decode(data: bytes, declared: str) -> tuple[str, str, list[str]]:
    """Bytes -> (text, encoding used, file flags), by the resolution order of SOURCES.md 0.2."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as err:
                raise StructuralError(
                    f"undecodable: not {encoding} after its byte-order mark ({err.reason} at byte {err.start})"
                ) from None
            return text, encoding, ([] if encoding == declared else ["encoding_bom_override"])
    if b"\x00" in data:
        raise StructuralError("undecodable: NUL bytes without a UTF-16 byte-order mark")
    if declared == "utf-8":
        try:
            return data.decode("utf-8"), "utf-8", []
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252"), "cp1252", ["encoding_fallback_cp1252"]
        except UnicodeDecodeError as err:
            raise StructuralError(
                f"undecodable: neither UTF-8 nor Windows-1252 (byte 0x{data[err.start]:02X} at {err.start})"
            ) from None
    if declared == "iso-8859-15":
        if not data.isascii():
            try:
                return data.decode("utf-8"), "utf-8", ["encoding_utf8_instead_of_latin9"]
            except UnicodeDecodeError:
                pass
        return data.decode("iso-8859-15"), "iso-8859-15", []
    raise ValueError(f"unsupported declared encoding {declared}")


def gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise StructuralError(f"not a valid gzip file ({err})") from None


def physical_lines(text: str) -> list[str]:
    """Lines ended by LF or CRLF (mixed allowed); a final newline is optional."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def split_quoted(text: str, sep: str) -> tuple[list[str] | None, str]:
    """RFC 4180 split of one record: (fields, "ok"), (None, "open") when a quoted field is still
    open at the end of the text, or (None, "malformed") for a quote out of place."""
    fields: list[str] = []
    pos, end = 0, len(text)
    while True:
        if pos < end and text[pos] == QUOTE:
            parts, start = [], pos + 1
            while True:
                close = text.find(QUOTE, start)
                if close < 0:
                    return None, "open"
                if text.startswith(QUOTE, close + 1):  # "" is one quote
                    parts.append(text[start : close + 1])
                    start = close + 2
                    continue
                parts.append(text[start:close])
                pos = close + 1
                break
            fields.append("".join(parts))
            if pos == end:
                return fields, "ok"
            if text[pos] != sep:
                return None, "malformed"
            pos += 1
        else:
            stop = text.find(sep, pos)
            value = text[pos:] if stop < 0 else text[pos:stop]
            if QUOTE in value:
                return None, "malformed"
            fields.append(value)
            if stop < 0:
                return fields, "ok"
            pos = stop + 1


def split_records(lines: list[str], sep: str, quoting: str) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """(line number, raw text, fields or None, reason or None) per record; blank lines give
    fields None and reason "blank". Only "rfc4180" sources join physical lines inside quotes."""
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        number = i + 1
        if not line.strip():
            yield number, line, None, "blank"
            i += 1
            continue
        if quoting == "lazy" or QUOTE not in line:
            yield number, line, line.split(sep), None
            i += 1
            continue
        fields, state = split_quoted(line, sep)
        if state == "open" and quoting == "rfc4180":
            text, last = line, i
            while state == "open" and last + 1 < count and last + 1 - i < MAX_RECORD_LINES:
                last += 1
                text = text + "\n" + lines[last]
                fields, state = split_quoted(text, sep)
            if state == "ok":
                yield number, text, fields, None
                i = last + 1
                continue
        if state == "ok":
            yield number, line, fields, None
        else:
            yield number, line, None, "malformed_quotes"
        i += 1


def clean(value: str) -> str | None:
    """Trimmed value; empty is null (SOURCES.md 0.2)."""
    value = value.strip()
    return value or None


@dataclass
class Header:
    positions: list[int]  # for each required column, its index in the line
    width: int  # number of fields a data line must have
    cells: list[tuple[int, str, str]]  # wide files: (index, column name, periode)
    repair_from: int | None  # index of the column that absorbs surplus fields


def read_header(names: list[str], kind: FileKind, ignored: frozenset[str], summary: FileSummary) -> Header:
    """Match the header line to the kind's columns; structural errors for missing or doubled ones."""
    if kind.by_position:
        if len(names) < len(kind.columns):
            raise StructuralError(f"header has {len(names)} columns, the {kind.name} layout has {len(kind.columns)}")
        if len(names) > len(kind.columns):
            summary.flags.append("extra_columns")
            summary.warnings.append(
                f"{len(names) - len(kind.columns)} extra columns after position {len(kind.columns) - 1} ignored"
            )
        return Header(list(range(len(kind.columns))), len(names), [], None)
    index: dict[str, int] = {}
    cells: list[tuple[int, str, str]] = []
    months: dict[str, str] = {}
    extra, undecoded = [], []
    for i, raw in enumerate(names):
        name = raw.strip()
        key = name.lower()
        if key in index:
            raise StructuralError(f"column {name} appears twice in the header")
        if key in {c.lower() for c in kind.columns}:
            index[key] = i
        elif kind.wide_prefix and key.startswith(kind.wide_prefix):
            periode = kind.wide_column(name) if kind.wide_column else None
            if periode is None:
                undecoded.append(name)
            elif periode in months:
                raise StructuralError(f"columns {months[periode]} and {name} are both the month {periode[:7]}")
            else:
                months[periode] = name
                cells.append((i, name, periode))
        elif key not in ignored:
            extra.append(name or f"<empty #{i + 1}>")
    missing = [c for c in kind.columns if c.lower() not in index]
    if missing:
        raise StructuralError(f"missing header column(s) {', '.join(missing)}")
    if extra:
        summary.flags.append("extra_columns")
        summary.warnings.append(f"extra columns ignored: {', '.join(extra)}")
    if undecoded:
        summary.flags.append("undecoded_month_columns")
        summary.warnings.append(f"columns that are not a month ignored: {', '.join(undecoded)}")
    positions = [index[c.lower()] for c in kind.columns]
    repair_from = None
    if kind.repair_column and index[kind.repair_column.lower()] == len(names) - 1:
        repair_from = len(names) - 1
    return Header(positions, len(names), cells, repair_from)


def file_records(
    file_name: str, data: bytes, layout: Layout, *, require_rows: bool = False
) -> tuple[FileSummary, Iterator[Record]]:
    """Decode one file and split it lazily: its records one at a time, so that a task holds the
    file's lines but never all its records (a national stock file has millions). The summary is
    complete once the records are exhausted; a StructuralError may come from either call or while
    iterating (the file is then refused whole, whatever records came before)."""
    kind = layout.kind_of(file_name)
    if kind is None:
        raise StructuralError("file name matches no delivery of this source")
    summary = FileSummary(file_kind=kind.name)
    if file_name.endswith(".gz"):
        data = gunzip(data)
    text, summary.encoding, summary.flags = decode(data, layout.encoding)
    del data  # the caller passes a temporary: the decoded text replaces the bytes
    lines = physical_lines(text)
    summary.physical_lines = len(lines)
    if not lines or not any(line.strip() for line in lines):
        raise StructuralError("empty file: no header line")
    cut = not text.endswith("\n")
    del text
    if cut:
        summary.flags.append("no_final_line_ending")
        summary.warnings.append("the last line has no line ending: the file may be cut short")
    return summary, _records(lines, cut, kind, layout, summary, require_rows)


def _records(
    lines: list[str], cut: bool, kind: FileKind, layout: Layout, summary: FileSummary, require_rows: bool
) -> Iterator[Record]:
    header: Header | None = None
    seen: set[str] = set()
    trailer_at: int | None = None
    trailer_count = 0
    for number, raw, fields, reason in split_records(lines, layout.sep, layout.quoting):
        summary.lines += 1
        if reason == "blank":
            summary.blank += 1
            continue
        if header is None:
            if fields is None:
                raise StructuralError(f"header line {number} has unbalanced quotes")
            header = read_header(fields, kind, layout.ignored_columns, summary)
            summary.header = 1
            continue
        if trailer_at is not None:
            raise StructuralError(f"line {number} comes after the trailer line {trailer_at}")
        if kind.trailer:
            match = TRAILER.fullmatch(raw.strip())
            if match:
                trailer_at, trailer_count = number, int(match.group(1))
                summary.trailer = 1
                continue
        key = raw.strip()
        if key in seen:
            summary.duplicates += 1
            continue
        seen.add(key)
        summary.records += 1
        if cut and number + raw.count("\n") == len(lines):
            yield Record(
                number,
                raw,
                reason="truncated_line",
                detail="the file ends inside this line (no line ending): it may be cut short",
            )
        else:
            yield make_record(number, raw, fields, reason, header, kind, layout.sep)

    if kind.trailer:
        if trailer_at is None:
            summary.flags.append("missing_trailer")
        elif trailer_count != summary.records + summary.duplicates:
            summary.flags.append("trailer_count_mismatch")
            summary.warnings.append(
                f"trailer counts {trailer_count} lines, the file has {summary.records + summary.duplicates}"
            )
    if require_rows and not summary.records:
        raise StructuralError("no data line (this source must deliver rows)")


def make_record(
    number: int, raw: str, fields: list[str] | None, reason: str | None, header: Header, kind: FileKind, sep: str
) -> Record:
    """One data record: field count check (and the repair rule), required columns, wide cells."""
    if fields is None:
        return Record(number, raw, reason=reason, detail="unbalanced or misplaced quote")
    flags = []
    if len(fields) > header.width and header.repair_from is not None:
        fields = fields[: header.repair_from] + [sep.join(fields[header.repair_from :])]
        flags.append(f"{kind.repair_column}_repaired")
    if len(fields) != header.width:
        return Record(
            number, raw, reason="wrong_field_count", detail=f"{len(fields)} fields, the header has {header.width}"
        )
    record = Record(number, raw, fields=[clean(fields[i]) for i in header.positions], flags=flags)
    if kind.wide_prefix:
        record.cells = [
            {"column": name, "periode": periode, "value": value}
            for i, name, periode in header.cells
            if (value := clean(fields[i])) is not None
        ]
    return record
