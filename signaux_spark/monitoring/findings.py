"""What a check reports: one finding per check and subject, with the figure, what it was compared
with and a status. Also the few statistics the checks share (robust bounds, PSI, binomial z)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from pyspark.sql import types as T

OK, WARNING, CRITICAL = "ok", "warning", "critical"
STATUSES = (OK, WARNING, CRITICAL)
FAMILIES = ("deliveries", "features", "scores", "outcomes")

SCHEMA = T.StructType(
    [
        T.StructField("periode", T.DateType(), False),
        T.StructField("family", T.StringType(), False),  # deliveries | features | scores | outcomes
        T.StructField("check", T.StringType(), False),  # e.g. lines, reject_rate, psi, fort_share, precision
        T.StructField("subject", T.StringType(), False),  # a source, a feature, a region, a list month...
        T.StructField("value", T.DoubleType(), True),  # this month's figure
        T.StructField("reference", T.DoubleType(), True),  # what it is compared with
        T.StructField("status", T.StringType(), False),
        T.StructField("message", T.StringType(), False),
        T.StructField("run_id", T.StringType(), True),
    ]
)
CONSTRAINTS = {
    "status_known": "status IN ('ok', 'warning', 'critical')",
    "family_known": "family IN ('deliveries', 'features', 'scores', 'outcomes')",
}
MAD_SCALE = 1.4826  # MAD x this estimates a normal standard deviation
PSI_FLOOR = 1e-4  # an empty bin counts as this share (PSI of an empty bin is otherwise infinite)


@dataclass(frozen=True)
class Finding:
    family: str
    check: str
    subject: str
    value: float | None
    reference: float | None
    status: str
    message: str


def worst(statuses) -> str:
    """The most severe status of a collection (ok when empty)."""
    found = set(statuses)
    return next((s for s in (CRITICAL, WARNING) if s in found), OK)


def robust_deviation(value: float, history: list[float], *, mad_limit: float, min_change: float) -> bool:
    """True when `value` is beyond median +- mad_limit x 1.4826 x MAD of `history` and at least
    `min_change` (relative) away from the median: both, so a very steady history (MAD 0) does not
    turn a 1 % move into an alarm."""
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history) * MAD_SCALE
    far = abs(value - median) > mad_limit * mad
    moved = abs(value - median) > min_change * abs(median) if median else value != 0
    return far and moved


def psi(expected: dict[str, float], actual: dict[str, float]) -> float:
    """Population stability index of two distributions over the same bins (shares summing to 1):
    sum of (actual - expected) x ln(actual / expected), empty bins floored at PSI_FLOOR."""
    total = 0.0
    for key in set(expected) | set(actual):
        e, a = max(expected.get(key, 0.0), PSI_FLOOR), max(actual.get(key, 0.0), PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def binomial_z(count: int, n: int, p: float) -> float:
    """How many standard deviations `count` events among `n` are from the share `p` expected."""
    p = min(max(p, 0.5 / max(n, 1)), 1 - 0.5 / max(n, 1))  # a share of 0 or 1 would make any move infinite
    return (count - n * p) / math.sqrt(n * p * (1 - p)) if n else 0.0
