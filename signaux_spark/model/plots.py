"""Figures logged with each training: precision-recall curves, calibration (reliability) curve,
feature importances per raw feature, precision of each region's list. Matplotlib without a display."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from signaux_spark.model.metrics import expected_calibration_error  # noqa: E402


def pr_curves(curves: dict[str, pd.DataFrame], thresholds: dict[str, float]):
    """Precision against recall per block, with the operating points of the alert thresholds."""
    fig, ax = plt.subplots(figsize=(6, 5))
    for block, curve in curves.items():
        ax.step(curve["recall"], curve["precision"], where="post", label=block)
        for level, t in thresholds.items():
            at = curve[curve["threshold"] >= t]
            if len(at):
                ax.plot(at["recall"].iloc[-1], at["precision"].iloc[-1], "o", color="black")
                ax.annotate(f"{level} ({block})", (at["recall"].iloc[-1], at["precision"].iloc[-1]), fontsize=8)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title="Precision-recall")
    ax.legend()
    return fig


def calibration_curve(tables: dict[str, pd.DataFrame]):
    """Reliability plot: observed failure rate against mean calibrated probability, by decile of
    score (equal-count bins), with each block's expected calibration error."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = max(max(t["predicted"].max(), t["observed"].max()) for t in tables.values())
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1)
    for block, table in tables.items():
        ece = expected_calibration_error(table)
        ax.plot(table["predicted"], table["observed"], marker="o", label=f"{block} (ECE {100 * ece:.2f} pt)")
    ax.set(xlabel="mean calibrated probability", ylabel="observed failure rate", title="Calibration by decile")
    ax.legend()
    return fig


def importances(values: pd.Series, top: int = 30):
    """GBT importances summed per raw feature, largest first."""
    shown = values.sort_values(ascending=True).tail(top)
    fig, ax = plt.subplots(figsize=(7, max(3, 0.25 * len(shown) + 1)))
    ax.barh(shown.index, shown.to_numpy())
    ax.set(xlabel="importance (share of gain)", title="Feature importances")
    fig.tight_layout()
    return fig


def region_precision(lists: pd.DataFrame):
    """Precision of each region's monthly lists over the block, with the number of listed rows."""
    fig, ax = plt.subplots(figsize=(8, 4))
    regions = lists["region"].fillna("?").astype(str)
    ax.bar(regions, lists["precision"].fillna(0))
    for x, (p, n) in enumerate(zip(lists["precision"].fillna(0), lists["listed"], strict=True)):
        ax.annotate(str(int(n)), (x, p), ha="center", va="bottom", fontsize=7)
    ax.set(xlabel="region", ylabel="precision of the list", title="Precision at each region's list size")
    fig.tight_layout()
    return fig
