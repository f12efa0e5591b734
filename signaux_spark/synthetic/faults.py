"""Line-level faults of SOURCES.md 14: which files they apply to, which lines are eligible, and how
each one rewrites a line. Every injected fault has exactly one expected outcome at ingestion
(SOURCES.md 0.5), chosen so that it cannot be mistaken for another (a changed SIREN digit always
breaks Luhn; a bad date is never a real calendar date; a bad period code is never valid)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from signaux_spark.synthetic.files import FileSpec

FPI_FIELD = {"altares_paydex:retro": 8, "altares_paydex:increment": 26}
MOIS_FIELD = {"ap_consommation": 5}
REDELIVERED_KEYS = {
    "urssaf_cotisation",
    "urssaf_debit",
    "urssaf_delai",
    "urssaf_procol",
    "ap_demande",
    "ap_consommation",
    "altares_paydex:increment",
}
MALFORMED_KEYS = {"urssaf_cotisation", "urssaf_debit", "urssaf_delai", "urssaf_procol", "altares_paydex:retro"}
PROVISIONAL_KEYS = {"urssaf_cotisation", "urssaf_debit", "urssaf_delai"}
FLOAT_ID_KEYS = {"ap_demande", "ap_consommation"}
FRENCH_MONTHS = ["FEV", "AVR", "MAI", "AOU"]  # not English abbreviations: never a valid ddMMMyyyy month


def unquote(value: str) -> tuple[str, bool]:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1], True
    return value, False


def requote(value: str, quoted: bool) -> str:
    return f'"{value}"' if quoted else value


def _ids(fields: list[str], spec: FileSpec):
    return [(i, kind, *unquote(fields[i])) for i, kind in spec.ids]


def lost_zeros(fields, spec, u):
    for i, _, value, quoted in _ids(fields, spec):
        fields[i] = requote(value.lstrip("0"), quoted)
    return fields, [(0, "flag:id_zero_padded")]


def bad_checksum(fields, spec, u):
    ids = _ids(fields, spec)
    if all(kind == "siren" for _, kind, _, _ in ids) and u[2] < 0.2:
        for i, _, value, quoted in ids:
            fields[i] = requote("0" * len(value), quoted)
        return fields, [(0, "invalid_siren")]
    pos = int(u[0] * 9)
    old = int(ids[0][2][pos])
    new = str((old + 1 + int(u[1] * 9)) % 10)
    for i, _, value, quoted in ids:
        fields[i] = requote(value[:pos] + new + value[pos + 1 :], quoted)
    return fields, [(0, "invalid_siren_checksum")]


def provisional(fields, spec, u):
    for i, kind, value, quoted in _ids(fields, spec):
        if kind == "siret":
            fields[i] = requote(value[:9] + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(u[0] * 23)] + value[10:], quoted)
    return fields, [(0, "provisional_siret")]


def float_identifier(fields, spec, u):
    i, _, value, quoted = [x for x in _ids(fields, spec) if x[1] == "siret"][0]
    if u[0] < 0.5:
        fields[i] = requote(value + ".0", quoted)
        return fields, [(0, "none")]
    fields[i] = requote(f"{value[0]}.{value[1:].rstrip('0') or '0'}E13", quoted)
    return fields, [(0, "invalid_siret")]


def malformed(fields, spec, u):
    """Truncated line, line cut in two by a newline, or a stray quote. Returns the line's text."""
    n = len(fields)
    sep, end = spec.sep, spec.line_end
    if u[0] < 0.75 and u[0] >= 0.4:
        candidates = [j for j in range(1, n - 1) if len(fields[j]) >= 2]
        if candidates:
            j = candidates[int(u[1] * len(candidates))]
            pos = 1 + int(u[2] * (len(fields[j]) - 1))
            first = sep.join(fields[:j] + [fields[j][:pos]])
            second = sep.join([fields[j][pos:]] + fields[j + 1 :])
            return first + end + second, [(0, "wrong_field_count"), (1, "wrong_field_count")]
    if u[0] >= 0.75:
        if spec.lazy_quotes:
            j = spec.amount_field
            expected = "invalid_number"
        else:
            candidates = [j for j in range(1, n) if len(fields[j]) >= 2]
            j = candidates[int(u[1] * len(candidates))] if candidates else None
            expected = "malformed_quotes"
        if j is not None and len(fields[j]) >= 2:
            pos = 1 + int(u[2] * (len(fields[j]) - 1))
            fields[j] = fields[j][:pos] + '"' + fields[j][pos:]
            return sep.join(fields), [(0, expected)]
    drop = 1 + int(u[1] * min(3, n - 2))
    return sep.join(fields[: n - drop]), [(0, "wrong_field_count")]


def bad_date(fields, spec, u):
    idx, fmt = spec.date_field
    value, quoted = unquote(fields[idx])
    variant = int(u[0] * 3)
    if fmt == "iso":
        y, m, d = value[:4], value[5:7], value[8:10]
        bad = [f"{y}-02-30", f"{y}-13-{d}", f"{y}-04-31"][variant]
    elif fmt == "french":
        d, m, y = value[:2], value[3:5], value[6:10]
        bad = [f"31/02/{y}", f"{m}/{d}/{y}" if int(d) > 12 else f"30/02/{y}", f"{d}/13/{y}"][variant]
    elif fmt == "urssaf":
        d = value[-2:]
        century_year = value[:-4]
        bad = [f"1{13 + int(u[1] * 80)}{d}", f"{century_year}13{d}", f"{century_year}02{30 + int(u[1] * 2)}"][variant]
    else:  # procol ddMMMyyyy
        y = value[5:9]
        bad = [f"31{FRENCH_MONTHS[int(u[1] * 4)]}{y}", f"30FEB{y}", f"{value[:2]}{FRENCH_MONTHS[int(u[1] * 4)]}{y}"][
            variant
        ]
    fields[idx] = requote(bad, quoted)
    return fields, [(0, "invalid_date")]


def bad_period(fields, spec, u):
    value = fields[spec.period_field]
    year_part = value[:-2]
    qm = ["00", "50", "14", "27", "63", "05", "09", "38"][int(u[0] * 8)]
    fields[spec.period_field] = year_part + qm
    return fields, [(0, "invalid_period_code")]


def debit_in_euros(fields, spec, u):
    cents = int(fields[spec.amount_field])
    mark = "," if u[0] < 0.7 else "."
    fields[spec.amount_field] = f"{cents // 100}{mark}{cents % 100:02d}"
    return fields, [(0, "invalid_number")]


def fpi_out_of_range(fields, spec, u):
    i = FPI_FIELD[spec.key]
    fields[i] = str(101 + int(u[0] * 50)) if u[1] < 0.7 else str(-1 - int(u[0] * 20))
    return fields, [(0, "flag:fpi_out_of_range")]


def mois_not_first(fields, spec, u):
    i = MOIS_FIELD[spec.key]
    value, quoted = unquote(fields[i])
    fields[i] = requote(value[:8] + ("15" if u[0] < 0.5 else "28"), quoted)
    return fields, [(0, "flag:day_truncated")]


@dataclass(frozen=True)
class LineFault:
    key: str
    applies: Callable[[FileSpec], bool]
    rewrite: Callable | None  # None: handled by the caller (copies of lines)
    eligible: Callable[[list[pa.Array], FileSpec], np.ndarray] | None = None


def _starts_with_zero(fields, spec):
    mask = np.zeros(len(fields[0]), dtype=bool)
    for i, _ in spec.ids:
        col = pc.utf8_ltrim(fields[i], characters='"')
        mask |= np.asarray(pc.starts_with(col, "0"))
    return mask


def _siret_without_leading_zero(fields, spec):
    i = [i for i, kind in spec.ids if kind == "siret"][0]
    return ~np.asarray(pc.starts_with(pc.utf8_ltrim(fields[i], characters='"'), "0"))


def _cents_not_round(fields, spec):
    return np.asarray(pc.cast(fields[spec.amount_field], pa.int64())) % 100 != 0


def _fpi_present(fields, spec):
    return np.asarray(pc.utf8_length(pc.utf8_trim_whitespace(fields[FPI_FIELD[spec.key]]))) > 0


# Order matters only for reproducibility: a line gets at most one of these faults.
LINE_FAULTS = [
    LineFault("duplicate_line", lambda s: True, None),
    LineFault("redelivered_row", lambda s: s.key in REDELIVERED_KEYS, None),
    LineFault("lost_leading_zeros", lambda s: bool(s.ids), lost_zeros, _starts_with_zero),
    LineFault("float_identifier", lambda s: s.key in FLOAT_ID_KEYS, float_identifier, _siret_without_leading_zero),
    LineFault("bad_checksum", lambda s: bool(s.ids), bad_checksum),
    LineFault("provisional_siret", lambda s: s.key in PROVISIONAL_KEYS, provisional),
    LineFault("malformed_line", lambda s: s.key in MALFORMED_KEYS, malformed),
    LineFault("bad_date", lambda s: s.date_field is not None, bad_date),
    LineFault("bad_period", lambda s: s.period_field is not None, bad_period),
    LineFault("debit_in_euros", lambda s: s.key == "urssaf_debit", debit_in_euros, _cents_not_round),
    LineFault("fpi_out_of_range", lambda s: s.key in FPI_FIELD, fpi_out_of_range, _fpi_present),
    LineFault("mois_not_first", lambda s: s.key in MOIS_FIELD, mois_not_first),
]
