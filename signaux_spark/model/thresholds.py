"""Alert thresholds on the calibrated probability, chosen on the validation months.

"risque fort" maximises F0.5 (precision weighs more: few, reliable alerts), "risque modéré"
maximises F2 (recall weighs more: a wider watch list). A firm is alerted at a level when its
probability is >= the level's threshold, and fort is never below modéré.

With F = (1 + b²) TP / (b² P + K) (K alerts), a larger b never prefers fewer alerts, so with ties
resolved towards the higher threshold the F2 optimum is never above the F0.5 one; `choose` still
guards the order explicitly, since scoring relies on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from signaux_spark.model.metrics import threshold_curve


@dataclass(frozen=True)
class Thresholds:
    fort: float
    modere: float

    def levels(self) -> dict[str, float]:
        return {"fort": self.fort, "modere": self.modere}

    def to_dict(self) -> dict:
        return asdict(self)


def best_fbeta(groups: pd.DataFrame, beta: float) -> tuple[float, float]:
    """(threshold, F-beta) where F-beta is highest; the highest such threshold on ties. F-beta is
    computed from counts, (1 + b²) caught / (b² positives + alerts), so equal values tie exactly."""
    curve = threshold_curve(groups)
    caught, alerts = curve["caught"].to_numpy(float), curve["alerts"].to_numpy(float)
    f = (1 + beta**2) * caught / (beta**2 * groups["pos"].sum() + alerts)
    best = int(np.argmax(f))
    return float(curve["threshold"].iloc[best]), float(f[best])


def choose(groups: pd.DataFrame) -> Thresholds:
    """Thresholds from a validation `score_groups` table (its `cal` column is what they apply to)."""
    fort, _ = best_fbeta(groups, 0.5)
    modere, _ = best_fbeta(groups, 2.0)
    return Thresholds(fort=max(fort, modere), modere=modere)
