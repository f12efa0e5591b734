"""An independent reader of the generated landing files, written from SOURCES.md (not from the
generator's code): it decodes, splits and validates every line the way ingestion must, and lists
what ingestion should report (rejects with their reason, duplicates, blank lines, the row flags the
manifest tracks and the file flags). Tests compare that list with the fault manifest exactly."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import re
from collections import Counter
from pathlib import Path

SOURCE_DECLARED = {"altares_paydex": "iso-8859-15"}
URSSAF = {"urssaf_cotisation", "urssaf_debit", "urssaf_delai", "urssaf_procol", "urssaf_effectif_ent"}
EXTRACTION_DAY = {
    "urssaf_cotisation": 20,
    "urssaf_debit": 20,
    "urssaf_delai": 20,
    "urssaf_procol": 20,
    "urssaf_effectif_ent": 20,
    "ap_demande": 5,
    "ap_consommation": 5,
    "dgfip_liasses": 15,
    "altares_paydex": 10,
    "sirene_unite_legale": 1,
    "sirene_etablissement": 1,
}
TRACKED_FLAGS = {
    "id_zero_padded",
    "pseudo_siret",
    "thousands_separator_removed",
    "fpi_out_of_range",
    "day_truncated",
    "orphan_request",
    "naf_not_rev2",
}
MONTHS = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
SEPARATORS = {
    "ap_demande": ",",
    "ap_consommation": ",",
    "dgfip_liasses": "|",
    "sirene_unite_legale": ",",
    "sirene_etablissement": ",",
}
QUOTED = {"ap_demande", "ap_consommation", "sirene_unite_legale", "sirene_etablissement"}
LAZY = {"urssaf_cotisation", "urssaf_effectif_ent"}


class Reject(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# ----- identifiers (SOURCES.md 0.3) -----


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def identifier(value: str, kind: str, urssaf: bool, flags: set) -> str:
    width = 9 if kind == "siren" else 14
    v = value.strip()
    if v.endswith(".0"):
        v = v[:-2]
    if re.fullmatch(r"\d(\.\d+)?[eE][+-]?\d+", v):
        raise Reject(f"invalid_{kind}")
    if kind == "siret" and re.search(r"[A-Za-z]", v):
        raise Reject("provisional_siret")
    if not v.isdigit() or len(v) > width:
        raise Reject(f"invalid_{kind}" if v else "missing_required_value")
    if len(v) < width:
        v = v.zfill(width)
        flags.add("id_zero_padded")
    if set(v) == {"0"}:
        raise Reject(f"invalid_{kind}")
    if not luhn(v[:9]) and v[:9] != "356000000":
        raise Reject("invalid_siren_checksum")
    if kind == "siret":
        if urssaf and v[9] in "5679":
            flags.add("pseudo_siret")
        elif not luhn(v):
            flags.add("siret_checksum_failed")
    return v


# ----- dates, periods, numbers (SOURCES.md 0.4) -----


def real_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise Reject("invalid_date") from None


def iso(v: str) -> dt.date:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v.strip())
    if not m:
        raise Reject("invalid_date")
    return real_date(*map(int, m.groups()))


def french(v: str) -> dt.date:
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", v.strip())
    if not m:
        return iso(v)
    d, mo, y = map(int, m.groups())
    return real_date(y, mo, d)


def urssaf_date(v: str) -> dt.date:
    if not v.strip().isdigit():
        raise Reject("invalid_date")
    s = str(int(v) + 19000000)
    return real_date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def procol_date(v: str) -> dt.date:
    m = re.fullmatch(r"(\d{2})([A-Za-z]{3})(\d{4})", v.strip())
    if not m or m.group(2).upper() not in MONTHS:
        raise Reject("invalid_date")
    return real_date(int(m.group(3)), MONTHS[m.group(2).upper()], int(m.group(1)))


def period(v: str) -> tuple[dt.date, int]:
    v = v.strip()
    if not re.fullmatch(r"\d{4}|\d{6}", v):
        raise Reject("invalid_period_code")
    year = int(v[:-2]) if len(v) == 6 else (2000 + int(v[:2]) if int(v[:2]) < 50 else 1900 + int(v[:2]))
    q, m = int(v[-2]), int(v[-1])
    if (q, m) == (6, 2):
        return dt.date(year, 1, 1), 12
    if not (1 <= q <= 4 and 0 <= m <= 3):
        raise Reject("invalid_period_code")
    return (dt.date(year, 3 * (q - 1) + 1, 1), 3) if m == 0 else (dt.date(year, 3 * (q - 1) + m, 1), 1)


def number(v: str, required=True) -> float | None:
    v = v.strip()
    if not v:
        if required:
            raise Reject("missing_required_value")
        return None
    if not re.fullmatch(r"-?\d+([.,]\d+)?", v):
        raise Reject("invalid_number")
    return float(v.replace(",", "."))


def centimes(v: str) -> int:
    if not re.fullmatch(r"-?\d+", v.strip()):
        raise Reject("invalid_number" if v.strip() else "missing_required_value")
    return int(v)


def extraction(source: str, batch: str) -> dt.date:
    return dt.date(int(batch[:4]), int(batch[5:]), EXTRACTION_DAY[source])


def batch_start(batch: str) -> dt.date:
    return dt.date(int(batch[:4]), int(batch[5:]), 1)


def in_time(d: dt.date, source: str, batch: str, floor=dt.date(1990, 1, 1)):
    if d < floor or d > extraction(source, batch):
        raise Reject("date_out_of_range")


# ----- decoding and lines (SOURCES.md 0.2) -----


def decode(raw: bytes, source: str) -> tuple[str, set]:
    flags = set()
    declared = SOURCE_DECLARED.get(source, "utf-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), ({"encoding_bom_override"} if declared != "utf-8" else set())
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le"), {"encoding_bom_override"}
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be"), {"encoding_bom_override"}
    assert b"\x00" not in raw, "NUL bytes without a UTF-16 BOM"
    if declared == "utf-8":
        try:
            return raw.decode("utf-8"), flags
        except UnicodeDecodeError:
            return raw.decode("cp1252"), {"encoding_fallback_cp1252"}
    try:
        text = raw.decode("utf-8")
        if any(ord(c) > 127 for c in text):
            return text, {"encoding_utf8_instead_of_latin9"}
    except UnicodeDecodeError:
        pass
    return raw.decode("iso-8859-15"), flags


def physical_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def split_fields(line: str, source: str) -> list[str]:
    sep = SEPARATORS.get(source, ";")
    if source in QUOTED:
        fields = next(csv.reader([line], delimiter=sep, quotechar='"', strict=True))
        return fields
    if '"' in line and source not in LAZY:
        raise Reject("malformed_quotes")
    return line.split(sep)


# ----- one checker per source: returns row flags, raises Reject -----


def check_cotisation(f, batch, flags, ctx):
    identifier(f[2], "siret", True, flags)
    start, _ = period(f[4])
    if start < dt.date(1990, 1, 1) or start > batch_start(batch):
        raise Reject("date_out_of_range")
    number(f[7])


def check_debit(f, batch, flags, ctx):
    siren = identifier(f[3], "siren", True, flags)
    siret = identifier(f[4], "siret", True, flags)
    period(f[8])
    for v in (f[9], f[10]):
        if not v.strip().isdigit():
            raise Reject("invalid_number" if v.strip() else "missing_required_value")
    in_time(urssaf_date(f[11]), "urssaf_debit", batch)
    centimes(f[12])
    centimes(f[13])
    ctx["debit_sirets"].append((siren, siret))


def check_delai(f, batch, flags, ctx):
    identifier(f[2], "siret", True, flags)
    created, due = french(f[5]), french(f[6])
    in_time(created, "urssaf_delai", batch)
    if due < created:
        raise Reject("invalid_interval")
    if (number(f[11]) or 0) <= 0:
        raise Reject("invalid_number")


def check_procol(f, batch, flags, ctx):
    identifier(f[0], "siret", True, flags)
    identifier(f[1], "siren", True, flags)
    in_time(procol_date(f[2]), "urssaf_procol", batch, floor=dt.date(2006, 1, 1))
    tokens = f[4].strip().lower().split("_")
    actions = [t for t in tokens if t in ("liquidation", "redressement", "sauvegarde")]
    if not actions:
        raise Reject("unknown_procol_action")
    if len(actions) > 1:
        raise Reject("ambiguous_procol_action")


def headcount_cell(value: str) -> str | None:
    """Checks one headcount cell (SOURCES.md 3); returns the flag it raises, if any."""
    v = value.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", v):
        return "flag:thousands_separator_removed"
    if re.fullmatch(r"\d+\.0", v):
        return None
    if not v.isdigit():
        raise Reject("invalid_headcount")
    return None


def check_ap_demande(f, batch, flags, ctx):
    if not f[0].strip():
        raise Reject("missing_required_value")
    identifier(f[1], "siret", False, flags)
    start, end = iso(f[5]), iso(f[6])
    if end < start:
        raise Reject("invalid_interval")
    if (number(f[7], required=False) or 0) < 0:
        raise Reject("negative_not_allowed")
    in_time(iso(f[4]), "ap_demande", batch)


def check_ap_consommation(f, batch, flags, ctx):
    identifier(f[1], "siret", False, flags)
    month = iso(f[5])
    if month.day != 1:
        flags.add("day_truncated")
    if month.replace(day=1) > batch_start(batch):
        raise Reject("date_out_of_range")
    if number(f[2]) < 0:
        raise Reject("negative_not_allowed")
    if f[0].strip() not in ctx["requests"]:
        flags.add("orphan_request")


def check_dgfip(f, batch, flags, ctx):
    identifier(f[0], "siren", False, flags)
    start, end, depot = iso(f[3]), iso(f[4]), iso(f[5])
    if end <= start or (end.year - start.year) * 12 + end.month - start.month > 24:
        raise Reject("invalid_interval")
    if depot < start:
        raise Reject("date_out_of_range")
    in_time(depot, "dgfip_liasses", batch)


def fpi(v, flags):
    if v.strip() and not 0 <= float(v.strip().replace(",", ".")) <= 100:
        flags.add("fpi_out_of_range")


def check_altares_retro(f, batch, flags, ctx):
    identifier(f[0], "siren", False, flags)
    in_time(french(f[10]), "altares_paydex", batch)
    fpi(f[8], flags)


def check_altares_increment(f, batch, flags, ctx):
    identifier(f[1], "siren", False, flags)
    identifier(f[2], "siret", False, flags)
    in_time(iso(f[30]), "altares_paydex", batch)
    fpi(f[26], flags)


def check_unite_legale(f, batch, flags, ctx):
    identifier(f[0], "siren", False, flags)
    if f[15] != "NAFRev2" and f[14]:
        flags.add("naf_not_rev2")


def check_etablissement(f, batch, flags, ctx):
    siren = identifier(f[0], "siren", False, flags)
    siret = identifier(f[2], "siret", False, flags)
    if siret != siren + f[1].strip():
        raise Reject("invalid_siret")


CHECKS = {
    "urssaf_cotisation": check_cotisation,
    "urssaf_debit": check_debit,
    "urssaf_delai": check_delai,
    "urssaf_procol": check_procol,
    "ap_demande": check_ap_demande,
    "ap_consommation": check_ap_consommation,
    "dgfip_liasses": check_dgfip,
    "sirene_unite_legale": check_unite_legale,
    "sirene_etablissement": check_etablissement,
}


def read_file(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def check_file(path: Path, source: str, batch: str, expected_header: list[str] | None, ctx: dict):
    """Outcomes of one file: (Counter of (line, outcome), file flags, header, data lines)."""
    text, file_flags = decode(read_file(path), source)
    lines = physical_lines(text)
    outcomes = Counter()
    header = (
        split_fields(lines[0], source)
        if source not in QUOTED
        else next(csv.reader([lines[0]], delimiter=SEPARATORS[source]))
    )
    width = len(header)
    increment = source == "altares_paydex" and "Mensuel" in path.name
    body = lines[1:]
    if increment:
        trailer = [i for i, ln in enumerate(body) if ln.startswith("Fin du fichier")]
        data_count = sum(1 for ln in (body[: trailer[0]] if trailer else body) if ln.strip())
        if not trailer:
            file_flags.add("missing_trailer")
        else:
            assert trailer[0] == len(body) - 1, "a line after the trailer"
            n = int(re.search(r"total (\d+) ligne", body[trailer[0]]).group(1))
            if n != data_count:
                file_flags.add("trailer_count_mismatch")
            body = body[: trailer[0]]
    seen = set()
    for i, line in enumerate(body):
        number_ = i + 2
        if not line.strip():
            outcomes[(number_, "skipped_blank")] += 1
            continue
        key = line.strip()
        if key in seen:
            outcomes[(number_, "duplicate_dropped")] += 1
            continue
        seen.add(key)
        flags: set = set()
        try:
            try:
                fields = split_fields(line, source)
            except csv.Error:
                raise Reject("malformed_quotes") from None
            if source == "urssaf_effectif_ent":
                if len(fields) != width:
                    raise Reject("wrong_field_count")
                identifier(fields[0], "siren", True, flags)
                for cell in fields[1:-1]:
                    if cell.strip():
                        try:
                            flag = headcount_cell(cell)
                        except Reject as cell_reject:
                            flag = cell_reject.reason
                        if flag:
                            outcomes[(number_, flag)] += 1
            else:
                if len(fields) != width:
                    raise Reject("wrong_field_count")
                if source == "altares_paydex":
                    (check_altares_increment if increment else check_altares_retro)(fields, batch, flags, ctx)
                else:
                    CHECKS[source](fields, batch, flags, ctx)
            for flag in flags & TRACKED_FLAGS:
                outcomes[(number_, f"flag:{flag}")] += 1
            ctx["lines"].append((source, path.name, number_, line, flags))
        except Reject as reject:
            outcomes[(number_, reject.reason)] += 1
    return outcomes, file_flags, header, len(body)
