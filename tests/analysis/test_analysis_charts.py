"""The notebooks' figures: what they draw from small tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from signaux_spark.analysis.charts import by_batch, contributions, distributions, heatmap  # noqa: E402


def test_contributions_stack_each_explained_firm_by_sign():
    table = pd.DataFrame(
        {
            "region_rank": [1, 2, 3],
            "siren": ["a", "b", "c"],
            "dettes": [2.0, -1.0, np.nan],
            "effectif": [0.5, 1.5, np.nan],
        }
    )
    ax = contributions(table, ["dettes", "effectif"], title="t").axes[0]
    ticks = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert ticks == {"1. a": 1, "2. b": 0}  # c has no explanation; the first firm on top
    bars = {(round(p.get_y() + p.get_height() / 2), p.get_x(), p.get_width()) for p in ax.patches}
    # firm a (top, y=1): dettes from 0 to 2, effectif from 2 to 2.5; firm b (y=0): dettes 0 to -1, effectif 0 to 1.5
    assert bars == {(1, 0.0, 2.0), (1, 2.0, 0.5), (0, 0.0, -1.0), (0, 0.0, 1.5)}


def test_distributions_heatmap_and_batches_draw_one_panel_each():
    sample = pd.DataFrame({"failure": [0, 0, 1, 1], "x": [1.0, 2.0, 5.0, 6.0], "y": [np.nan] * 4})
    fig = distributions(sample, ["x", "y"], label="failure")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["x", "y (no value)"]
    assert len(visible[0].patches) == 2 * 30  # one histogram per outcome
    table = pd.DataFrame({"2024-01": [0.0, 1.0], "2024-02": [0.5, 1.0]}, index=["x", "y"])
    assert heatmap(table, title="m").axes[0].images[0].get_array().tolist() == [[0.0, 0.5], [1.0, 1.0]]
    lines = by_batch(pd.DataFrame({"s1": [1, 2], "s2": [3, 4]}, index=["2024-01", "2024-02"]), title="t", ylabel="n")
    assert [line.get_label() for line in lines.axes[0].get_lines()] == ["s1", "s2"]
