"""The backtest of past lists against the truth of a tiny hand-made lake, computed here
independently: precision and recall per level and month, each region's list, the trend, and a
warning when a month's lists fall far short of what the model's test promised."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.findings import OK, WARNING
from signaux_spark.monitoring.outcomes import ALERTS_GROUP, outcome_findings
from signaux_spark.scoring.score import FORT, MODERE, NO_ALERT
from tests.scoring.scoring_kit import scores_frame

MONTHS = [dt.date(2022, m, 1) for m in (1, 2, 3)]
CONF = MonitoringSettings(outcome_min_alerts=3)
SHARE = 0.1


def firms(m: int):
    """(siren, region, probability, level, failure) of month index m: 30 firms, two regions."""
    out = []
    for i in range(30):
        p = ((i * 37 + m * 11) % 100) / 100
        level = FORT if p >= 0.8 else MODERE if p >= 0.5 else NO_ALERT
        failure = 1 if (p >= 0.6 and (i + m) % 2 == 0) or (i * 7 + m) % 9 == 0 else 0
        out.append((f"{i:09d}", "84" if i < 20 else "11", p, level, failure))
    return out


TRUTH = {month: firms(m) for m, month in enumerate(MONTHS)}


@pytest.fixture(scope="module")
def lake(spark):
    scores = labels = None
    for month, rows in TRUTH.items():
        listed = [{"siren": r[0], "region": r[1], "probability": r[2], "alert_level": r[3]} for r in rows]
        s = scores_frame(spark, listed, month)
        lab = spark.createDataFrame([(r[0], month, r[4]) for r in rows], "siren string, periode date, failure int")
        scores, labels = (s, lab) if scores is None else (scores.unionByName(s), labels.unionByName(lab))
    return scores.cache(), labels.cache()


def by_key(found):
    return {(f.check, f.subject): f for f in found}


def test_precision_and_recall_per_level_and_month_match_the_truth(lake):
    scores, labels = lake
    promised = {
        "1": {
            "precision_fort": 0.5,
            "recall_fort": 0.2,
            "precision_modere": 0.4,
            "recall_modere": 0.5,
            "list_precision": 0.5,
            "list_recall": 0.2,
        }
    }
    found = by_key(
        outcome_findings(
            scores, labels, months=MONTHS, promised=promised, label="failure", share=SHARE, sizes={}, conf=CONF
        )
    )
    for month, rows in TRUTH.items():
        failures = sum(r[4] for r in rows)
        for group, levels, suffix in ((FORT, {FORT}, "fort"), (ALERTS_GROUP, {FORT, MODERE}, "modere")):
            alerted = [r for r in rows if r[3] in levels]
            caught = sum(r[4] for r in alerted)
            precision = found["precision", f"{month:%Y-%m} {group}"]
            recall = found["recall", f"{month:%Y-%m} {group}"]
            assert precision.value == pytest.approx(caught / len(alerted))
            assert recall.value == pytest.approx(caught / failures)
            assert precision.reference == promised["1"][f"precision_{suffix}"]
            short = len(alerted) >= 3 and caught / len(alerted) < 0.5 * promised["1"][f"precision_{suffix}"]
            assert precision.status == (WARNING if short else OK)
    for region in ("84", "11"):
        listed = caught = positives = 0
        for rows in TRUTH.values():
            mine = sorted((r for r in rows if r[1] == region), key=lambda r: (-r[2], r[0]))
            top = mine[: math.ceil(SHARE * len(mine))]
            listed, caught = listed + len(top), caught + sum(r[4] for r in top)
            positives += sum(r[4] for r in mine)
        assert found["list_precision", f"region {region}"].value == pytest.approx(caught / listed)
        assert found["list_recall", f"region {region}"].value == pytest.approx(caught / positives)
    fort = [sum(r[4] for r in rows if r[3] == FORT) / sum(r[3] == FORT for r in rows) for rows in TRUTH.values()]
    trend = found["trend", FORT]
    assert trend.reference == pytest.approx(fort[0]) and trend.value == pytest.approx((fort[1] + fort[2]) / 2)


def test_lists_far_below_the_promise_are_a_warning(lake):
    scores, labels = lake
    promised = {"1": {"precision_fort": 0.99, "recall_fort": 0.99, "precision_modere": 0.99, "recall_modere": 0.99}}
    found = outcome_findings(
        scores, labels, months=MONTHS, promised=promised, label="failure", share=SHARE, sizes={}, conf=CONF
    )
    warned = [f for f in found if f.status == WARNING]
    assert {f.check for f in warned} == {"precision", "recall"}
    assert all(f.value < 0.5 * 0.99 for f in warned)
    assert all(
        f.value >= 0.5 * 0.99
        for f in found
        if f.status == OK
        and f.check in ("precision", "recall")
        and f.value is not None
        and "risque fort" not in f.subject
    )
    assert all(f.status == OK for f in found if f.check.startswith("list_"))  # no list promise: never flagged


def test_no_matured_list_and_no_promise_are_said_plainly(lake):
    scores, labels = lake
    (only,) = outcome_findings(
        scores, labels, months=[], promised={}, label="failure", share=SHARE, sizes={}, conf=CONF
    )
    assert only.status == OK and "no scored month has observed outcomes" in only.message
    found = by_key(
        outcome_findings(
            scores, labels, months=MONTHS[:1], promised={}, label="failure", share=SHARE, sizes={}, conf=CONF
        )
    )
    assert found["precision", f"{MONTHS[0]:%Y-%m} {FORT}"].reference is None
    assert "no test figure" in found["precision", f"{MONTHS[0]:%Y-%m} {FORT}"].message
