"""Months: the `YYYY-MM` text that names batches, periods and folders, and arithmetic on months
held as the first day of the month (`periode` is always such a date). One owner, so every job,
source and folder agrees on what a month is."""

from __future__ import annotations

import datetime as dt
import re

from signaux_spark.errors import MonthError

PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # YYYY-MM, months 01 to 12; nothing around it
QUARTER_STARTS = (1, 4, 7, 10)  # the first month of each quarter: when quarterly deliveries land


def is_month(text: str) -> bool:
    """True for a month written YYYY-MM (and nothing else: no path separator, no dots)."""
    return isinstance(text, str) and PATTERN.fullmatch(text) is not None


def parse_month(text: str) -> dt.date:
    """`YYYY-MM` -> the first day of that month; anything else raises MonthError."""
    if not is_month(text):
        raise MonthError(f"{text!r} is not a month YYYY-MM")
    return dt.date(int(text[:4]), int(text[5:]), 1)


def index(day: dt.date) -> int:
    """Months since year 0 (`year * 12 + month - 1`): integers to do month arithmetic on."""
    return day.year * 12 + day.month - 1


def from_index(i: int) -> dt.date:
    """The first day of the month `i` months after year 0 (inverse of `index`)."""
    return dt.date(int(i) // 12, int(i) % 12 + 1, 1)


def add_months(day: dt.date, n: int) -> dt.date:
    """First day of the month `n` months after the month of `day` (n may be negative)."""
    return from_index(index(day) + n)


def months_count(first: dt.date, last: dt.date) -> int:
    """Months from `first` to `last`, both included."""
    return index(last) - index(first) + 1


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first` to `last`, both included."""
    return [add_months(first, k) for k in range(months_count(first, last))]


def batch_range(first: str, last: str) -> list[str]:
    """Every month `YYYY-MM` from `first` to `last`, both included."""
    return [f"{m:%Y-%m}" for m in month_range(parse_month(first), parse_month(last))]
