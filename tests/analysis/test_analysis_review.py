"""A region's list, its explanations and how a month's alerts turned out, on hand-made frames."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from signaux_spark.analysis.review import (
    alert_outcomes,
    busiest_region,
    list_outcomes,
    list_table,
    months_with_outcomes,
    read_region_list,
    region_folders,
    scored_months,
    scored_outcomes,
    top_explanations,
)

OCT, NOV = dt.date(2024, 10, 1), dt.date(2024, 11, 1)
FORT, MODERE, NONE, PROC = "risque fort", "risque modéré", "pas d'alerte", "procédure en cours"
SCORES = (
    "siren string, periode date, region string, probability double, alert_level string, region_rank int, "
    "base_log_odds double, log_odds double, contributions map<string,double>, "
    "top_factors array<struct<feature:string,topic:string,contribution:double,value:double,level:string>>"
)


@pytest.fixture
def scores(spark):
    factor = lambda f, c, v=None, level=None: (f, "t", c, v, level)  # noqa: E731
    return spark.createDataFrame(
        [
            (
                "a",
                NOV,
                "84",
                0.60,
                FORT,
                1,
                -3.0,
                1.0,
                {"dettes": 3.0, "effectif": 1.0},
                [factor("dette_sociale", 3.0, 1200.0)],
            ),
            (
                "b",
                NOV,
                "84",
                0.20,
                MODERE,
                2,
                -3.0,
                -1.0,
                {"dettes": 2.5, "effectif": -0.5},
                [factor("region", 0.2, level="84")],
            ),
            ("c", NOV, "84", 0.01, NONE, 3, -3.0, -4.0, None, None),
            ("d", NOV, "11", 0.50, FORT, 1, -3.0, 0.5, {"dettes": 3.5}, []),
            ("e", NOV, "11", None, PROC, None, None, None, None, None),
            ("a", OCT, "84", 0.50, FORT, 1, -3.0, 0.5, None, None),
            ("b", OCT, "84", 0.05, NONE, 3, -3.0, -3.0, None, None),
            ("c", OCT, "84", 0.30, MODERE, 2, -3.0, -1.5, None, None),
            ("d", OCT, "11", 0.02, NONE, 1, -3.0, -4.0, None, None),
            ("f", OCT, "11", 0.40, MODERE, 2, -3.0, -0.8, None, None),
        ],
        SCORES,
    )


@pytest.fixture
def labels(spark):
    # October's outcomes are known (a and d failed); November's are not yet (null labels)
    return spark.createDataFrame(
        [
            ("a", OCT, 1),
            ("b", OCT, 0),
            ("c", OCT, 0),
            ("d", OCT, 1),
            ("f", OCT, 0),
            ("a", NOV, None),
            ("b", NOV, None),
            ("e", OCT, 1),
        ],
        "siren string, periode date, failure int",
    )


def test_months_and_the_region_with_most_alerts(scores):
    assert scored_months(scores) == [OCT, NOV]
    assert busiest_region(scores, NOV) == "84"  # two alerts against one
    assert busiest_region(scores, OCT) == "84"  # a and c against f
    assert busiest_region(scores, dt.date(2024, 12, 1)) is None


def test_busiest_region_breaks_ties_by_code(scores):
    tie = scores.where("periode = DATE'2024-11-01' AND siren <> 'b'")
    assert busiest_region(tie, NOV) == "11"


def test_top_explanations_in_rank_order_with_topics_and_factors(scores):
    table = top_explanations(scores, period=NOV, region="84", top=2)
    assert list(table["siren"]) == ["a", "b"]
    assert list(table.columns) == [
        "region_rank",
        "siren",
        "alert_level",
        "probability",
        "base_log_odds",
        "log_odds",
        "dettes",
        "effectif",
        "top_factors",
    ]
    assert table.loc[0, "dettes"] == 3.0 and table.loc[1, "effectif"] == -0.5
    assert table.loc[0, "top_factors"] == "dette_sociale = 1200.0 (+3.00)"
    assert table.loc[1, "top_factors"] == "region = 84 (+0.20)"


def test_region_list_files(tmp_path):
    folder = tmp_path / "2024-11" / "84"
    folder.mkdir(parents=True)
    (tmp_path / "2024-11" / "national").mkdir()
    (tmp_path / "2024-11" / "11").mkdir()
    (folder / "manifest.json").write_text("{}")
    document = {
        "liste": "2024-11",
        "entreprises": [
            {
                "siren": "a",
                "niveau_alerte": FORT,
                "contributions": {"dettes": 3.0},
                "facteurs": [
                    {"variable": "dette_sociale", "contribution": 3.0},
                    {"variable": "effectif", "contribution": 0.5},
                ],
            },
            {"siren": "e", "niveau_alerte": PROC, "contributions": None, "facteurs": []},
        ],
    }
    (folder / "signaux_faibles_84_2024-11.json").write_text(json.dumps(document), encoding="utf-8")
    assert list(region_folders(tmp_path, "2024-11")) == ["11", "84"]
    assert region_folders(tmp_path, "2024-12") == {}
    table = list_table(read_region_list(folder))
    assert list(table["siren"]) == ["a", "e"]
    assert table.loc[0, "contribution dettes"] == 3.0 and math.isnan(table.loc[1, "contribution dettes"])
    assert table.loc[0, "facteurs"] == "dette_sociale (+3.00); effectif (+0.50)" and table.loc[1, "facteurs"] == ""
    with pytest.raises(FileNotFoundError):
        read_region_list(tmp_path / "2024-11" / "11")


def test_outcomes_only_for_scored_firms_with_known_labels(scores, labels):
    assert months_with_outcomes(scores, labels) == [OCT]
    assert months_with_outcomes(scores, labels.where("periode = DATE'2024-11-01'")) == []
    october = scored_outcomes(scores, labels).where("periode = DATE'2024-10-01'")
    assert sorted(r["siren"] for r in october.collect()) == ["a", "b", "c", "d", "f"]  # e: no score that month


def test_alert_outcomes_give_the_precision_of_each_level(scores, labels):
    october = scored_outcomes(scores, labels).where("periode = DATE'2024-10-01'")
    table = alert_outcomes(october).set_index("group")
    # fort: a (failed); modéré: c, f (none failed); no alert: b, d (d failed)
    assert table.loc[FORT, ["firms", "failures"]].tolist() == [1, 1]
    assert table.loc[MODERE, ["firms", "failures"]].tolist() == [2, 0]
    assert table.loc["alertes (fort + modéré)", "failure_rate"] == pytest.approx(1 / 3)
    assert table.loc[NONE, "failure_rate"] == pytest.approx(1 / 2)
    assert table.loc["toutes les entreprises notées", ["firms", "failures"]].tolist() == [5, 2]


def test_list_outcomes_per_region(scores, labels):
    october = scored_outcomes(scores, labels).where("periode = DATE'2024-10-01'")
    # one firm listed per region (share 0.2 of 2 or 3 firms, rounded up): 84 lists a (failed), 11 lists f (not)
    table = list_outcomes(october, share=0.2).set_index("region")
    assert table.loc["84", ["listed", "caught", "positives"]].tolist() == [1, 1, 1]
    assert table.loc["11", ["listed", "caught", "positives"]].tolist() == [1, 0, 1]
    assert table.loc["84", "precision"] == 1.0 and table.loc["11", "recall"] == 0.0
    sized = list_outcomes(october, share=0.2, sizes={"11": 2}).set_index("region")
    assert sized.loc["11", ["listed", "caught"]].tolist() == [2, 1]
