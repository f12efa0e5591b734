"""Feature drift against the training profile: the profile's bins, a normal month all ok, a feature
gone all null critical, a shifted feature a PSI warning named among the top drifting, a feature
absent from the month critical; and the PSI itself against a hand computation."""

from __future__ import annotations

import math

import pytest

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.features import BINS_PER_PASS, NULL, bin_counts, feature_findings, feature_profile
from signaux_spark.monitoring.findings import CRITICAL, OK, WARNING, psi

CONF = MonitoringSettings()
SCHEMA = "x double, z double, y string"


def frame(spark, n: int, *, x=lambda i: float(i), z=lambda i: None if i % 10 == 0 else float(i % 7), y=None):
    rows = [(x(i), z(i), y(i) if y else ("A" if i % 2 else "B")) for i in range(n)]
    return spark.createDataFrame(rows, SCHEMA)


@pytest.fixture(scope="module")
def reference(spark):
    return feature_profile(
        frame(spark, 400, x=lambda i: float(i % 400)), numeric=["x", "z"], categorical=["y"], bins=10
    )


def by_key(found):
    return {(f.check, f.subject): f for f in found}


def test_the_profile_holds_quantile_bins_and_shares(reference):
    x, z, y = (reference["features"][c] for c in ("x", "z", "y"))
    assert reference["rows"] == 400
    assert x["kind"] == "numeric" and len(x["edges"]) == 9 and x["edges"][0] == pytest.approx(39, abs=1)
    assert sum(x["shares"].values()) == pytest.approx(1) and max(x["shares"].values()) == pytest.approx(0.1, abs=0.01)
    assert z["shares"][NULL] == pytest.approx(0.1) and len(z["edges"]) <= 7  # 7 distinct values: ties merge bins
    assert y == {"kind": "categorical", "edges": [], "shares": {"A": 0.5, "B": 0.5}}


def test_a_normal_month_is_all_ok(spark, reference):
    found = feature_findings(frame(spark, 200, x=lambda i: float(2 * i)), reference, ["x", "z", "y"], CONF)
    assert {f.status for f in found} == {OK}
    assert {f.check for f in found} == {"null_share", "psi", "top_drift"}


def test_a_feature_all_null_is_critical_and_a_shifted_one_drifts(spark, reference):
    month = frame(spark, 200, x=lambda i: float(300 + i // 2), z=lambda i: None)
    found = by_key(feature_findings(month, reference, ["x", "z", "y"], CONF))
    assert found["null_share", "z"].status == CRITICAL and found["null_share", "z"].value == 1.0
    assert found["null_share", "z"].reference == pytest.approx(0.1)
    assert found["psi", "x"].status == WARNING and found["null_share", "x"].status == OK
    assert found["psi", "y"].status == OK and found["psi", "y"].value == pytest.approx(0)
    # the PSI by hand: x in 300..399 falls in the reference's top bins
    edges = reference["features"]["x"]["edges"]
    counts = {}
    for i in range(200):
        b = str(sum(300 + i // 2 > e for e in edges))
        counts[b] = counts.get(b, 0) + 1
    expected = sum(
        (max(counts.get(k, 0) / 200, 1e-4) - max(s, 1e-4)) * math.log(max(counts.get(k, 0) / 200, 1e-4) / max(s, 1e-4))
        for k, s in {**{k: 0 for k in counts}, **reference["features"]["x"]["shares"]}.items()
    )
    assert found["psi", "x"].value == pytest.approx(expected)
    top = found["top_drift", "features"]
    assert top.message.startswith("largest PSI: ") and "x (" in top.message
    assert found["psi", "z"].value is None and "no known value" in found["psi", "z"].message
    assert top.value == max(found["psi", c].value for c in ("x", "y"))


def test_more_nulls_short_of_all_is_a_warning(spark, reference):
    month = frame(spark, 200, x=lambda i: float(2 * i), z=lambda i: None if i % 10 < 7 else float(i % 7))
    found = by_key(feature_findings(month, reference, ["x", "z", "y"], CONF))
    assert found["null_share", "z"].status == WARNING and found["null_share", "z"].value == pytest.approx(0.7)


def test_fewer_nulls_than_in_training_is_no_drift(spark, reference):
    month = frame(spark, 210, x=lambda i: float(2 * i % 400), z=lambda i: float(i % 7))
    found = by_key(feature_findings(month, reference, ["x", "z", "y"], CONF))
    assert found["null_share", "z"].value == 0 and found["null_share", "z"].status == OK
    assert found["psi", "z"].status == OK and found["psi", "z"].value < 0.01


def test_a_feature_absent_from_the_month_is_critical(spark, reference):
    month = frame(spark, 50, x=lambda i: float(8 * i)).drop("z")
    found = by_key(feature_findings(month, reference, ["x", "z", "y"], CONF))
    assert found["present", "z"].status == CRITICAL and ("psi", "z") not in found
    assert found["psi", "x"].status == OK


def test_many_features_are_binned_in_several_passes_with_the_counts_of_each(spark):
    # more features than one pass bins, each with its own values, nulls and edges
    n, width = 50, 2 * BINS_PER_PASS + 3

    def value(i: int, k: int) -> float | None:
        return None if (i + k) % 9 == 0 else float((i * (k + 1)) % 13)

    rows = spark.createDataFrame(
        [tuple(value(i, k) for k in range(width)) for i in range(n)], ", ".join(f"f{k} double" for k in range(width))
    )
    edges = [2.0, 6.0, 10.0]
    counts = bin_counts(rows, {f"f{k}": ("numeric", edges) for k in range(width)})
    for k in range(width):
        expected: dict[str, int] = {}
        for i in range(n):
            key = NULL if value(i, k) is None else str(sum(value(i, k) > e for e in edges))
            expected[key] = expected.get(key, 0) + 1
        assert counts[f"f{k}"] == expected, k


def test_psi_of_known_distributions():
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1}) == pytest.approx(0.4 * math.log(1.8) - 0.4 * math.log(0.2))
    assert psi({"a": 1.0}, {"b": 1.0}) == pytest.approx(2 * (1 - 1e-4) * math.log(1 / 1e-4))
