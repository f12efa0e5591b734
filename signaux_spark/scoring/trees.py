"""The fitted trees in a form Spark's Python workers can explain scores with, for both estimators.

Each form has `log_odds_explainer()`: built once per task, it maps the assembled vectors of a batch
(n x num_features) to (base, contributions) in log-odds, with base + the sum of a row's
contributions = the row's log-odds. `XGBoostForest` carries XGBoost's booster as bytes and uses its
own exact TreeSHAP (`pred_contribs`), whose margin is already the log-odds. `Forest` is Spark's GBT:

A Spark ML model lives in the JVM and cannot be pickled. Its trees are read once on the driver into
shap's dict-of-arrays tree format (children, split feature and threshold, node value, node cover),
which pickles, broadcasts, and which `shap.TreeExplainer` reads as it is. Each tree's values are
multiplied by its tree weight, so the sum of the trees is Spark's margin: P(failure) =
sigmoid(2 * margin). Internal node values are the cover-weighted means of their children, the
expectation path-dependent TreeSHAP assumes, so the explainer's base value plus the SHAP values of
a row give back its margin exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Forest:
    """The trees of a GBT in shap's format (numpy arrays only: picklable)."""

    trees: tuple[dict[str, np.ndarray], ...]
    num_features: int

    @property
    def tree_count(self) -> int:
        return len(self.trees)

    def log_odds_explainer(self):
        """SHAP values of the margin, times 2: Spark's P(failure) is sigmoid(2 * margin)."""
        import shap

        explainer = shap.TreeExplainer(self.shap_model())
        base = 2.0 * float(np.ravel(explainer.expected_value)[0])

        def explain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            phi = 2.0 * np.asarray(explainer.shap_values(x, check_additivity=False)).reshape(len(x), -1)
            return np.full(len(x), base), phi

        return explain

    def shap_model(self) -> dict:
        """What `shap.TreeExplainer` takes: raw (margin) outputs, no offset."""
        return {
            "trees": [dict(t) for t in self.trees],
            "tree_output": "raw_value",
            "base_offset": 0.0,
            "input_dtype": np.float64,
            "internal_dtype": np.float64,
        }

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Spark's margin of each row of `x` (n x num_features), by walking the trees."""
        x = np.asarray(x, dtype=float)
        total = np.zeros(len(x))
        for tree in self.trees:
            node = np.zeros(len(x), dtype=int)
            while True:
                inner = tree["children_left"][node] >= 0
                if not inner.any():
                    break
                rows = np.flatnonzero(inner)
                at = node[rows]
                left = x[rows, tree["features"][at]] <= tree["thresholds"][at]
                node[rows] = np.where(left, tree["children_left"][at], tree["children_right"][at])
            total += tree["values"][node, 0]
        return total


@dataclass(frozen=True)
class XGBoostForest:
    """An XGBoost booster (raw UBJSON bytes: picklable) and the rounds its predictions use."""

    booster: bytes
    num_features: int
    tree_count: int

    def log_odds_explainer(self):
        """XGBoost's contributions (`pred_contribs`): the last column is the base (bias)."""
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(bytearray(self.booster))
        booster.set_param({"nthread": 1})  # one Spark task, one core

        def explain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            contributions = booster.predict(
                xgboost.DMatrix(x, missing=np.nan), pred_contribs=True, iteration_range=(0, self.tree_count)
            )
            return contributions[:, -1].astype(np.float64), contributions[:, :-1].astype(np.float64)

        return explain


def xgboost_forest(booster, rounds: int) -> XGBoostForest:
    """From a fitted `xgboost.Booster` (driver side) and the rounds the model predicts with."""
    return XGBoostForest(bytes(booster.save_raw("ubj")), int(booster.num_features()), int(rounds))


class UnsupportedTree(ValueError):
    """A tree shap cannot read (a categorical split)."""


def forest_of(gbt) -> Forest:
    """Read the trees of a fitted Spark `GBTClassificationModel` (driver side, through py4j)."""
    trees = tuple(
        _tree(model._java_obj.rootNode(), weight) for model, weight in zip(gbt.trees, gbt.treeWeights, strict=True)
    )
    return Forest(trees=trees, num_features=int(gbt.numFeatures))


def _tree(root, weight: float) -> dict[str, np.ndarray]:
    """One tree in pre-order: node 0 is the root, -1 marks a leaf's children."""
    left, right, feature, threshold, value, cover = [], [], [], [], [], []
    pending = [(root, None, None)]  # (java node, parent index, "left" | "right")
    while pending:
        node, parent, side = pending.pop()
        index = len(value)
        if parent is not None:
            (left if side == "left" else right)[parent] = index
        value.append(node.prediction() * weight)
        cover.append(float(node.impurityStats().stats()[0]))  # weighted count of the node
        left.append(-1)
        right.append(-1)
        if node.getClass().getSimpleName() == "InternalNode":
            split = node.split()
            if split.getClass().getSimpleName() != "ContinuousSplit":
                raise UnsupportedTree("the GBT has a categorical split: SHAP needs continuous splits only")
            feature.append(int(split.featureIndex()))
            threshold.append(float(split.threshold()))
            pending.append((node.rightChild(), index, "right"))
            pending.append((node.leftChild(), index, "left"))
        else:
            feature.append(-1)
            threshold.append(0.0)
    arrays = {
        "children_left": np.array(left, dtype=np.int32),
        "children_right": np.array(right, dtype=np.int32),
        "features": np.array(feature, dtype=np.int32),
        "thresholds": np.array(threshold, dtype=np.float64),
        "values": np.array(value, dtype=np.float64).reshape(-1, 1),
        "node_sample_weight": np.array(cover, dtype=np.float64),
    }
    arrays["children_default"] = arrays["children_left"].copy()  # the assembled vector has no missing value
    _expectations(arrays)
    return arrays


def _expectations(tree: dict[str, np.ndarray]) -> None:
    """Internal node value <- cover-weighted mean of its children (children come after parents)."""
    left, right = tree["children_left"], tree["children_right"]
    values, cover = tree["values"][:, 0], tree["node_sample_weight"]
    for node in range(len(values) - 1, -1, -1):
        if left[node] >= 0:
            a, b = left[node], right[node]
            total = cover[a] + cover[b]
            if total > 0:
                values[node] = (cover[a] * values[a] + cover[b] * values[b]) / total
                cover[node] = total
