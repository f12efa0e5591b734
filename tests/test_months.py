"""Months: `YYYY-MM` text, first days of months and the arithmetic every stage shares."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from signaux_spark import cli
from signaux_spark.errors import MonthError
from signaux_spark.months import (
    add_months,
    batch_range,
    from_index,
    index,
    is_month,
    month_range,
    months_count,
    parse_month,
)


def test_a_month_parses_to_its_first_day():
    assert parse_month("2024-01") == dt.date(2024, 1, 1)
    assert parse_month("1999-12") == dt.date(1999, 12, 1)


@pytest.mark.parametrize(
    "text", ["2024-13", "2024-00", "24-01", "", "2024-1", "2024-01-01", "2024/01", " 2024-01", "2024-01\n"]
)
def test_anything_but_yyyy_mm_is_refused_with_the_text_in_the_message(text):
    assert not is_month(text)
    with pytest.raises(MonthError, match="is not a month YYYY-MM") as err:
        parse_month(text)
    assert repr(text) in str(err.value)


def test_a_month_error_is_a_value_error_and_a_clear_argument_error_in_jobs():
    assert issubclass(MonthError, ValueError)
    with pytest.raises(argparse.ArgumentTypeError, match="'2024-13' is not a month YYYY-MM"):
        cli.month("2024-13")
    assert cli.month("2024-02") == dt.date(2024, 2, 1)


def test_not_a_string_is_not_a_month():
    assert not is_month(None) and not is_month(202401)
    with pytest.raises(MonthError):
        parse_month(None)


def test_adding_months_crosses_years_both_ways_and_forgets_the_day():
    assert add_months(dt.date(2024, 11, 1), 2) == dt.date(2025, 1, 1)
    assert add_months(dt.date(2024, 1, 31), -1) == dt.date(2023, 12, 1)
    assert add_months(dt.date(2024, 3, 15), 0) == dt.date(2024, 3, 1)
    assert add_months(dt.date(2024, 3, 1), -27) == dt.date(2021, 12, 1)


def test_index_and_from_index_are_inverse():
    for day in (dt.date(2000, 1, 1), dt.date(2023, 12, 1), dt.date(2024, 6, 1)):
        assert from_index(index(day)) == day
    assert index(dt.date(2024, 2, 1)) - index(dt.date(2023, 11, 1)) == 3


def test_ranges_include_both_ends():
    assert months_count(dt.date(2023, 11, 1), dt.date(2024, 2, 1)) == 4
    assert month_range(dt.date(2023, 11, 1), dt.date(2024, 2, 1)) == [
        dt.date(2023, 11, 1),
        dt.date(2023, 12, 1),
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 1),
    ]
    assert batch_range("2024-11", "2025-01") == ["2024-11", "2024-12", "2025-01"]
    assert batch_range("2024-05", "2024-05") == ["2024-05"]
    assert batch_range("2024-05", "2024-04") == []


def test_a_bad_bound_of_a_batch_range_is_refused():
    with pytest.raises(MonthError, match="'2024-13'"):
        batch_range("2024-01", "2024-13")
