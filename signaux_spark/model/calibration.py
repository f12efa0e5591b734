"""Calibration: the GBT's probability (inflated by the positive-class weight and by negative
down-sampling) mapped to an observed failure rate, fitted on the validation months.

- `platt`: p = sigmoid(a * logit(raw) + b), fitted by Newton's method with Platt's smoothed targets
  ((P + 1) / (P + 2) for positives, 1 / (N + 2) for negatives), so it stays finite on separable data.
  Strictly increasing: the ranking is unchanged.
- `isotonic`: pool-adjacent-violators on the validation rows, linear between the ends of the pooled
  blocks and flat outside. Non-decreasing: rows within a block tie.
Both are fitted on `metrics.score_groups` tables (distinct raw score, positives, rows), so the fit
costs one Spark aggregation whatever the number of rows; they are applied in Spark by `column()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F

CLIP = 1e-12


@dataclass(frozen=True)
class Calibration:
    method: str
    params: dict  # platt: {"a", "b"}; isotonic: {"x", "y"} knots of the piecewise-linear map

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.method == "platt":
            z = np.clip(raw, CLIP, 1 - CLIP)
            return 1 / (1 + np.exp(-(self.params["a"] * np.log(z / (1 - z)) + self.params["b"])))
        return np.interp(raw, self.params["x"], self.params["y"])

    def column(self, raw: Column) -> Column:
        """The calibrated probability of a column of raw probabilities, in Spark."""
        if self.method == "platt":
            z = F.least(F.greatest(raw, F.lit(CLIP)), F.lit(1 - CLIP))
            margin = F.lit(self.params["a"]) * F.ln(z / (F.lit(1.0) - z)) + F.lit(self.params["b"])
            return F.lit(1.0) / (F.lit(1.0) + F.exp(-margin))
        x, y = list(self.params["x"]), list(self.params["y"])

        @F.pandas_udf("double")
        def isotonic(values: pd.Series) -> pd.Series:
            return pd.Series(np.interp(values.to_numpy(dtype=float), x, y))

        return isotonic(raw)

    def to_dict(self) -> dict:
        return {"method": self.method, **self.params}

    @staticmethod
    def from_dict(data: dict) -> Calibration:
        params = {k: v for k, v in data.items() if k != "method"}
        return Calibration(data["method"], params)


def fit(groups: pd.DataFrame, method: str) -> Calibration:
    """Fit on a table of distinct raw scores (`score`), positives (`pos`) and rows (`n`)."""
    if method == "platt":
        return _platt(groups)
    if method == "isotonic":
        return _isotonic(groups)
    raise ValueError(f"unknown calibration method {method!r}")


def _platt(g: pd.DataFrame, iterations: int = 100) -> Calibration:
    pos = g["pos"].to_numpy(float)
    neg = g["n"].to_numpy(float) - pos
    z = np.clip(g["score"].to_numpy(float), CLIP, 1 - CLIP)
    x = np.log(z / (1 - z))
    high, low = (pos.sum() + 1) / (pos.sum() + 2), 1 / (neg.sum() + 2)
    target = pos * high + neg * low  # sum of the smoothed targets of each group
    weight = pos + neg
    a, b = 1.0, 0.0
    design = np.column_stack([x, np.ones_like(x)])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a * x + b)))
        gradient = design.T @ (weight * p - target)
        hessian = design.T @ (design * (weight * p * (1 - p))[:, None]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return Calibration("platt", {"a": float(a), "b": float(b)})


def _isotonic(g: pd.DataFrame) -> Calibration:
    asc = g.sort_values("score", kind="stable")
    blocks: list[list[float]] = []  # [sum of positives, rows, lowest score, highest score]
    for score, pos, n in zip(asc["score"], asc["pos"], asc["n"], strict=True):
        blocks.append([float(pos), float(n), float(score), float(score)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2], last[3]]
    x, y = [], []
    for pos, n, low, high in blocks:
        x += [low, high] if high > low else [low]
        y += [pos / n] * (2 if high > low else 1)
    return Calibration("isotonic", {"x": x, "y": y})
