"""Months as integers (`year * 12 + month - 1`) and days as numpy datetime64[D], vectorised."""

from __future__ import annotations

import numpy as np

from signaux_spark.months import from_index, index, parse_month

_EPOCH_MONTH = 1970 * 12


def month_number(text: str) -> int:
    """'YYYY-MM' -> month index (MonthError for anything else)."""
    return index(parse_month(text))


def month_str(m: int) -> str:
    """Month index -> 'YYYY-MM'."""
    return f"{from_index(m):%Y-%m}"


def month_start(m) -> np.ndarray:
    """First day of each month index, as datetime64[D]."""
    return (np.asarray(m, dtype=np.int64) - _EPOCH_MONTH).astype("datetime64[M]").astype("datetime64[D]")


def day_of(m, day) -> np.ndarray:
    """The given day (1-based, clipped to the month's length) of each month, as datetime64[D]."""
    m = np.asarray(m, dtype=np.int64)
    day = np.minimum(np.asarray(day, dtype=np.int64), days_in_month(m))
    return month_start(m) + (day - 1).astype("timedelta64[D]")


def days_in_month(m) -> np.ndarray:
    m = np.asarray(m, dtype=np.int64)
    return (month_start(m + 1) - month_start(m)).astype(np.int64)


def month_of(dates) -> np.ndarray:
    """Month index of each datetime64[D]."""
    return np.asarray(dates).astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH


def ymd(dates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day arrays of datetime64[D] values."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    months = month_of(dates)
    day = (dates - month_start(months)).astype(np.int64) + 1
    return months // 12, months % 12 + 1, day


def months_later(dates, k) -> np.ndarray:
    """Same day k months later (clipped to the target month's length)."""
    _, _, d = ymd(dates)
    return day_of(month_of(dates) + np.asarray(k, dtype=np.int64), d)
