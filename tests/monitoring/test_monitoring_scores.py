"""Score drift against the previous months: a month like them is all ok; a shifted distribution
with many more "risque fort" is a warning (PSI, national and regional shares); no earlier month
means nothing to compare, said plainly."""

from __future__ import annotations

import datetime as dt

import pytest

from signaux_spark.config import MonitoringSettings
from signaux_spark.monitoring.findings import OK, WARNING
from signaux_spark.monitoring.scores import score_findings
from signaux_spark.scoring.score import FORT, MODERE, NO_ALERT, PROCEEDING
from tests.scoring.scoring_kit import scores_frame

MONTHS = [dt.date(2024, m, 1) for m in (9, 10, 11)]
NOW = dt.date(2024, 12, 1)
CONF = MonitoringSettings()


def month_rows(period, *, shift=0.0):
    """600 firms in two regions; probabilities spread over 0..0.3 (+ shift); levels from 0.2 / 0.1."""
    rows = []
    for i in range(600):
        p = min(0.999, (i % 300) / 1000 + shift)
        level = FORT if p >= 0.2 else MODERE if p >= 0.1 else NO_ALERT
        rows.append({"siren": f"{i:09d}", "region": "84" if i < 300 else "11", "probability": p, "alert_level": level})
    rows.append({"siren": "999999999", "probability": None, "alert_level": PROCEEDING, "in_proceeding": True})
    return rows


@pytest.fixture(scope="module")
def scores(spark):
    frames = [scores_frame(spark, month_rows(m), m) for m in MONTHS]
    frames.append(scores_frame(spark, month_rows(NOW), NOW))
    frames.append(scores_frame(spark, month_rows(NOW + dt.timedelta(days=31), shift=0.15), dt.date(2025, 1, 1)))
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f)
    return out.cache()


def by_key(found):
    return {(f.check, f.subject): f for f in found}


def test_a_month_like_the_previous_ones_is_all_ok(scores):
    found = by_key(score_findings(scores, period=NOW, previous=MONTHS, conf=CONF))
    assert {f.status for f in found.values()} == {OK}
    shares = {(c, s) for c in ("fort_share", "alert_share") for s in ("France", "84", "11")}
    assert set(found) == {("psi", "France")} | shares
    assert found["fort_share", "France"].value == pytest.approx(200 / 600)  # p >= 0.2: i % 300 in 200..299
    assert found["psi", "France"].value == pytest.approx(0, abs=1e-9)
    assert "v1 against v1" in found["psi", "France"].message


def test_a_shifted_distribution_is_a_warning(scores):
    found = by_key(score_findings(scores, period=dt.date(2025, 1, 1), previous=[NOW], conf=CONF))
    assert found["psi", "France"].status == WARNING and found["psi", "France"].value > 1
    # fort: p >= 0.2 once shifted by 0.15: i % 300 >= 50, i.e. 500 of 600 against 200 of 600
    assert found["fort_share", "France"].value == pytest.approx(500 / 600)
    assert found["fort_share", "France"].status == WARNING and found["fort_share", "84"].status == WARNING
    assert found["alert_share", "France"].status == OK  # 600 against 400: a factor 1.5, below 2


def test_no_earlier_month_is_ok_with_a_reason(scores):
    (only,) = score_findings(scores, period=MONTHS[0], previous=[], conf=CONF)
    assert only.status == OK and "no earlier scored month" in only.message
