"""The raw encodings of SOURCES.md, written from the spec (independently of the parsers): URSSAF
period codes and (A)AAMMJJ dates, ddMMMyyyy, French and ISO dates, centimes, decimal commas.

Every function takes numpy arrays and returns a pyarrow string array (vectorised in C++), so that
millions of lines are formatted without a Python loop.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from signaux_spark.synthetic.calendar import ymd

MONTH_ABBREVIATIONS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def strings(values) -> pa.Array:
    """A pyarrow string array from a numpy array (or list) of Python strings."""
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


def take(values, index) -> pa.Array:
    """values[index] for a small table of strings (per firm or per establishment) repeated over many
    rows: the strings are converted once, the gather runs in C++."""
    return strings(values).take(pa.array(np.asarray(index, dtype=np.int64)))


def txt(values) -> pa.Array:
    """Integers as decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def zpad(values, width: int) -> pa.Array:
    """Non-negative integers left-padded with zeros."""
    return pc.utf8_lpad(txt(values), width=width, padding="0")


def cat(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and plain strings (at least one array)."""
    return pc.binary_join_element_wise(*parts, "")


def join(parts, sep: str) -> pa.Array:
    """Element-wise join of field arrays with a separator: the text of a line."""
    return pc.binary_join_element_wise(*parts, sep)


def pick(mask, when_true, when_false) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), when_true, when_false)


def constant(text: str, n: int) -> pa.Array:
    """The same text n times."""
    return take([text], np.zeros(n, dtype=np.int64))


def blank(n: int) -> pa.Array:
    """n empty strings."""
    return constant("", n)


def iso_date(dates) -> pa.Array:
    """yyyy-mm-dd."""
    y, m, d = ymd(dates)
    return cat(zpad(y, 4), "-", zpad(m, 2), "-", zpad(d, 2))


def french_date(dates) -> pa.Array:
    """dd/mm/yyyy."""
    y, m, d = ymd(dates)
    return cat(zpad(d, 2), "/", zpad(m, 2), "/", zpad(y, 4))


def compact_date(dates) -> pa.Array:
    """yyyymmdd (plain date, e.g. URSSAF Dt_immat)."""
    y, m, d = ymd(dates)
    return txt(y * 10000 + m * 100 + d)


def urssaf_date(dates) -> pa.Array:
    """(A)AAMMJJ: the integer yyyymmdd - 19000000 (2024-03-18 -> 1240318, 1999-06-12 -> 990612)."""
    y, m, d = ymd(dates)
    return txt(y * 10000 + m * 100 + d - 19000000)


def procol_date(dates) -> pa.Array:
    """ddMMMyyyy with English month abbreviations (26MAY2014)."""
    y, m, d = ymd(dates)
    names = pa.array(np.asarray(MONTH_ABBREVIATIONS, dtype=object)[m - 1], type=pa.string())
    return cat(zpad(d, 2), names, zpad(y, 4))


def timestamp(dates, seconds_of_day) -> pa.Array:
    """yyyy-mm-ddTHH:MM:SS."""
    s = np.asarray(seconds_of_day, dtype=np.int64)
    return cat(iso_date(dates), "T", zpad(s // 3600, 2), ":", zpad(s // 60 % 60, 2), ":", zpad(s % 60, 2))


def period_code(start_month, n_months, width: int = 6) -> pa.Array:
    """URSSAF period: YYYYQM (width 6) or YYQM (width 4; `width` may be an array). One month: M = 1..3 within quarter Q;
    a quarter (3 months, starting on a quarter's first month): M = 0; a calendar year: QM = 62."""
    start = np.asarray(start_month, dtype=np.int64)
    n = np.broadcast_to(np.asarray(n_months, dtype=np.int64), start.shape)
    year, month0 = start // 12, start % 12
    quarter = month0 // 3 + 1
    qm = np.where(n == 12, 62, np.where(n == 3, quarter * 10, quarter * 10 + month0 % 3 + 1))
    if np.ndim(width) == 0:
        year_part = zpad(year, 4) if width == 6 else zpad(year % 100, 2)
    else:
        year_part = pick(np.asarray(width) == 4, zpad(year % 100, 2), zpad(year, 4))
    return cat(year_part, zpad(qm, 2))


def signed(cents, mark: str) -> pa.Array:
    """Amount in cents as euros with two decimals and the given decimal mark (-1240,00)."""
    cents = np.asarray(cents, dtype=np.int64)
    a = np.abs(cents)
    return cat(take(["", "-"], cents < 0), txt(a // 100), mark, zpad(a % 100, 2))


def comma_amount(cents) -> pa.Array:
    return signed(cents, ",")


def dot_amount(cents) -> pa.Array:
    return signed(cents, ".")


def decimal(values, decimals: int, mark: str = ".") -> pa.Array:
    """A float rounded to `decimals` places, with the given mark (3.1, -9.8, 0.21)."""
    scale = 10**decimals
    scaled = np.rint(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    a = np.abs(scaled)
    return cat(take(["", "-"], scaled < 0), txt(a // scale), mark, zpad(a % scale, decimals))


def float_form(values) -> pa.Array:
    """An integer written as a float (14 -> 14.0), as the AP exports do."""
    return cat(txt(values), ".0")


def effectif_column(months) -> pa.Array:
    """Headcount column name eff + YYYYQM with M in 1..3 (January 2024 -> eff202411)."""
    return cat("eff", period_code(months, 1, width=6))
