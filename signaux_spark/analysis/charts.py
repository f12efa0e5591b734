"""The notebooks' figures (matplotlib): each takes the small pandas table an analysis function
returned and gives back the figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def by_batch(table: pd.DataFrame, *, title: str, ylabel: str):
    """One line per column of a batch x source table (rows or firms per batch), log scale."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colours = plt.cm.tab20.colors
    for i, column in enumerate(table.columns):
        ax.plot(table.index, table[column], label=column, linewidth=1.2, color=colours[(2 * i) % 20 + (2 * i) // 20])
    ticks = table.index[:: max(1, len(table.index) // 12)]
    ax.set_xticks(ticks)
    ax.set_xticklabels(ticks, rotation=45, ha="right")
    ax.set(yscale="log", title=title, ylabel=ylabel, xlabel="batch")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def distributions(sample: pd.DataFrame, features: list[str], *, label: str, bins: int = 30):
    """Histograms (densities) of each feature for the firms that failed (1) and the others (0), on
    the 1-99 % range of the known values so that a few extreme firms do not squash the rest."""
    columns = 3
    rows = max(1, -(-len(features) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3 * rows), squeeze=False)
    for ax, feature in zip(axes.flat, features, strict=False):  # the grid may have spare cells
        known = sample[[label, feature]].dropna()
        values = known[feature].astype(float)
        if values.empty:
            ax.set_title(f"{feature} (no value)")
            continue
        low, high = np.nanpercentile(values, [1, 99])
        edges = np.linspace(low, high if high > low else low + 1, bins + 1)
        for outcome, colour in ((0, "tab:blue"), (1, "tab:red")):
            part = values[known[label] == outcome].clip(edges[0], edges[-1])
            if len(part):
                ax.hist(part, bins=edges, density=True, alpha=0.5, color=colour, label=f"{label}={outcome}")
        ax.set_title(feature, fontsize=9)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(features) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def heatmap(table: pd.DataFrame, *, title: str, every: int = 6):
    """A 0-1 table (features x months) as colours; one month label out of `every`."""
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.3 * len(table) + 1)))
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", vmin=0, vmax=1, cmap="viridis")
    ax.set_yticks(range(len(table.index)))
    ax.set_yticklabels(table.index, fontsize=8)
    positions = list(range(0, len(table.columns), every))
    ax.set_xticks(positions)
    ax.set_xticklabels([str(table.columns[i])[:7] for i in positions], rotation=45, ha="right", fontsize=8)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.03)
    fig.tight_layout()
    return fig


def contributions(table: pd.DataFrame, topics: list[str], *, title: str):
    """Each firm's contributions per topic (log-odds) as stacked horizontal bars, positive to the
    right (raising the risk), negative to the left; firms in the table's order, first on top.
    Firms without an explanation (all topics missing) are left out."""
    table = table.dropna(subset=topics, how="all")
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.45 * len(table) + 1)))
    labels = [f"{r.region_rank}. {r.siren}" for r in table.itertuples()]
    y = np.arange(len(table))[::-1]
    right, left = np.zeros(len(table)), np.zeros(len(table))
    for topic in topics:
        values = table[topic].fillna(0).to_numpy(dtype=float)
        start = np.where(values >= 0, right, left)
        ax.barh(y, values, left=start, label=topic)
        right += np.clip(values, 0, None)
        left += np.clip(values, None, 0)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set(xlabel="contribution (log-odds)", title=title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
