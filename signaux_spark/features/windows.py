"""Windows defined on months over the dense firm-month grid, resolved from the feature names.

`<base>_lag<n>m` is the base n months earlier, `<base>_mean<n>m` its mean over the n months ending
at t (known values only), `<base>_diff<n>m` the base minus its value n months earlier, and
`<base>_missing` 1 when the base is null, else 0. Frames are ranges of month numbers, so a month
without a row is a missing value, never the previous row.
"""

from __future__ import annotations

import datetime as dt
import re

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, month_index

WINDOW_NAME = re.compile(r"(?P<base>\w+?)_(?P<op>lag|mean|diff)(?P<months>\d+)m")
MISSING_NAME = re.compile(r"(?P<base>\w+)_missing")


class UnknownFeature(ValueError):
    """A feature name that is neither a column nor a window or flag of one."""


def resolve(names: list[str], columns: list[str]) -> dict[str, tuple[str, str, int]]:
    """For each name that is not a column: (op, base, months), op in lag/mean/diff/missing."""
    plan: dict[str, tuple[str, str, int]] = {}
    for name in names:
        if name in columns or name in plan:
            continue
        window = WINDOW_NAME.fullmatch(name)
        missing = MISSING_NAME.fullmatch(name)
        if window and window["base"] in columns:
            plan[name] = (window["op"], window["base"], int(window["months"]))
        elif missing and (missing["base"] in columns or missing["base"] in plan):
            plan[name] = ("missing", missing["base"], 0)
        else:
            raise UnknownFeature(
                f"feature '{name}' is not a column of the firm-month grid, nor a "
                f"<base>_lag|mean|diff<n>m window or <base>_missing flag of one"
            )
        if window and int(window["months"]) < 1:
            raise UnknownFeature(f"feature '{name}': the window must be at least 1 month")
    return plan


def longest_window(names: list[str]) -> int:
    """Longest window, in months, that any of the names could ask for."""
    return max([int(m["months"]) for m in map(WINDOW_NAME.fullmatch, names) if m], default=0)


def with_windows(df: DataFrame, names: list[str]) -> DataFrame:
    """Add the windows and missing flags among `names` (names already columns are left alone)."""
    plan = resolve(names, df.columns)
    by_month = Window.partitionBy(KEY).orderBy(month_index(MONTH))

    def lag(base: str, months: int) -> Column:
        return F.max(base).over(by_month.rangeBetween(-months, -months))

    def window(op: str, base: str, months: int) -> Column:
        if op == "lag":
            return lag(base, months)
        if op == "mean":
            return F.avg(base).over(by_month.rangeBetween(-(months - 1), 0))
        return F.col(base) - lag(base, months)

    windows = {name: window(*spec) for name, spec in plan.items() if spec[0] != "missing"}
    return _with_flags(df.select("*", *[col.alias(name) for name, col in windows.items()]), plan)


def windows_at(df: DataFrame, names: list[str], month: dt.date) -> DataFrame:
    """The rows of `month` with the windows and flags of `with_windows`, as one aggregation per
    firm over the months the windows reach instead of window frames over the whole grid: the same
    values for a single month at a fraction of the cost (the monthly run)."""
    plan = resolve(names, df.columns)
    ago = month_index(F.lit(month)) - month_index(MONTH)

    def lag(base: str, months: int) -> Column:
        return F.max(F.when(ago == months, F.col(base)))

    aggregates: dict[str, Column] = {}
    for name, (op, base, months) in plan.items():
        if op == "lag":
            aggregates[name] = lag(base, months)
        elif op == "mean":
            aggregates[name] = F.avg(F.when(ago.between(0, months - 1), F.col(base)))
        elif op == "diff":
            aggregates[f"_{name}_lag"] = lag(base, months)
    reach = max([months for op, _, months in plan.values()], default=0)
    per_firm = df.where(ago.between(0, reach))
    current = df.where(F.col(MONTH) == F.lit(month))
    if aggregates:
        current = current.join(per_firm.groupBy(KEY).agg(*[c.alias(n) for n, c in aggregates.items()]), KEY, "left")
    windows = {
        name: (F.col(base) - F.col(f"_{name}_lag")) if op == "diff" else F.col(name)
        for name, (op, base, _) in plan.items()
        if op != "missing"
    }
    return _with_flags(current.select(*df.columns, *[col.alias(name) for name, col in windows.items()]), plan)


def _with_flags(df: DataFrame, plan: dict[str, tuple[str, str, int]]) -> DataFrame:
    flags = {name: F.col(base).isNull().cast("int") for name, (op, base, _) in plan.items() if op == "missing"}
    return df.select("*", *[col.alias(name) for name, col in flags.items()])
