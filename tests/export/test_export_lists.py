"""Who is on a month's list and what changed since the previous month, on hand-made gold/scores:
every évolution case, première alerte over all earlier months, the exits, the proceedings, the
order, the columns joined from silver/firms and gold/features, and the French flat table."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from signaux_spark.export import lists
from signaux_spark.scoring.score import FORT, MODERE, NO_ALERT, PROCEEDING
from tests.scoring.scoring_kit import features_frame, firms_frame, scores_frame

P, P1, P2 = dt.date(2020, 3, 1), dt.date(2020, 2, 1), dt.date(2020, 1, 1)
RED = {
    "in_proceeding": True,
    "proceeding_state": "Redressement judiciaire",
    "alert_level": PROCEEDING,
    "probability": None,
    "region_rank": None,
    "contributions": None,
    "top_factors": None,
}
BEFORE = [  # P2: H was alerted two months ago
    {"siren": "H", "alert_level": FORT, "probability": 0.5},
]
PREVIOUS = [  # P1
    {"siren": "A", "alert_level": FORT, "probability": 0.25},
    {"siren": "B", "alert_level": NO_ALERT, "probability": 0.05},
    {"siren": "C", "alert_level": MODERE, "probability": 0.15},
    {"siren": "D", "alert_level": FORT, "probability": 0.4},
    {"siren": "E", "alert_level": MODERE, "probability": 0.12},
    {"siren": "F", **RED},
    {"siren": "H", "alert_level": NO_ALERT, "probability": 0.05},
    {"siren": "I", "alert_level": NO_ALERT, "probability": 0.01},
]
FACTOR = {"feature": "dette_sociale", "topic": "dettes_sociales", "contribution": 1.25, "value": 12500.0, "level": None}
CURRENT = [  # P
    {"siren": "A", "alert_level": FORT, "probability": 0.30, "region_rank": 2, "top_factors": [FACTOR]},
    {"siren": "B", "alert_level": MODERE, "probability": 0.11, "region_rank": 5},
    {"siren": "C", "alert_level": FORT, "probability": 0.35, "region_rank": 1},
    {"siren": "D", "alert_level": MODERE, "probability": 0.18, "region_rank": 3},
    {"siren": "E", "alert_level": NO_ALERT, "probability": 0.02, "region_rank": 8},
    {"siren": "F", **RED},
    {"siren": "G", **RED, "proceeding_state": "Liquidation judiciaire"},
    {"siren": "H", "alert_level": MODERE, "probability": 0.16, "region_rank": 4},
    {"siren": "I", "alert_level": NO_ALERT, "probability": 0.01, "region_rank": 9},
    {"siren": "J", "alert_level": FORT, "probability": 0.9, "region_rank": 1, "region": "11", "departement": "75"},
]


def build(spark, previous=PREVIOUS, previous_scored=True, **options):
    scores = scores_frame(spark, BEFORE, P2).unionByName(scores_frame(spark, previous, P1))
    current = scores_frame(spark, CURRENT, P)
    firms = firms_frame(spark, {r["siren"]: ("69", "84") for r in CURRENT})
    features = features_frame(spark, [{"siren": "A", "effectif": 42, "dette_sociale": 12500.0, "ebe_sur_ca": -0.12}], P)
    rows = lists.list_rows(
        current,
        scores.where(f"periode = '{P1}'"),
        scores.where("alert_level IN ('risque fort', 'risque modéré')"),
        firms,
        features,
        period=P,
        previous_scored=previous_scored,
        **options,
    )
    return rows.toPandas()


@pytest.fixture(scope="module")
def listed(spark):
    return build(spark, financial_columns=("ebe_sur_ca",))


def by_siren(frame: pd.DataFrame) -> dict:
    return {r["siren"]: r for r in frame.to_dict("records")}


def test_alerts_exits_and_proceedings_are_listed_in_risk_order(listed):
    assert list(listed["siren"]) == ["J", "C", "A", "D", "H", "B", "E", "F", "G"]
    assert list(listed["region"]) == ["11"] + ["84"] * 8
    assert "I" not in set(listed["siren"])  # never alerted: not listed


def test_evolution_since_the_previous_month(listed):
    rows = by_siren(listed)
    evolution = {s: r["evolution"] for s, r in rows.items()}
    assert evolution == {
        "A": lists.STABLE,
        "B": lists.NEW,
        "C": lists.WORSE,
        "D": lists.BETTER,
        "E": lists.EXIT,
        "F": lists.OLD_PROCEEDING,
        "G": lists.NEW_PROCEEDING,
        "H": lists.NEW,
        "J": lists.NEW,
    }
    previous = {s: r["niveau_mois_precedent"] for s, r in rows.items()}
    assert (previous["A"], previous["E"], previous["G"], previous["J"]) == (
        FORT,
        MODERE,
        lists.NOT_FOLLOWED,
        lists.NOT_FOLLOWED,
    )
    assert rows["A"]["variation_probabilite"] == pytest.approx(5.0)
    assert pd.isna(rows["G"]["variation_probabilite"]) and pd.isna(rows["J"]["variation_probabilite"])


def test_first_alert_looks_at_every_earlier_month(listed):
    first = {s: r["premiere_alerte"] for s, r in by_siren(listed).items()}
    # H was alerted two months ago (not last month): not a first alert; exits and proceedings: empty
    assert first == {
        "A": "non",
        "B": "oui",
        "C": "non",
        "D": "non",
        "E": None,
        "F": None,
        "G": None,
        "H": "non",
        "J": "oui",
    }


def test_values_come_from_the_firm_registry_and_the_features(listed):
    a = by_siren(listed)["A"]
    assert (a["siret_siege"], a["raison_sociale"], a["code_naf"], a["categorie_juridique"], a["commune"]) == (
        "A00017",
        "ENTREPRISE A",
        "43.21A",
        "5710",
        "COMMUNE 69",
    )
    assert (a["dernier_effectif"], a["dette_sociale"], a["ebe_sur_ca"], a["liste"]) == (42, 12500.0, -0.12, "2020-03")
    assert a["probabilite"] == pytest.approx(30.0) and a["rang_region"] == 2
    g = by_siren(listed)["G"]
    assert (g["niveau_alerte"], g["procedure_collective"]) == (PROCEEDING, "Liquidation judiciaire")


def test_exits_and_proceedings_can_be_left_out(spark):
    rows = build(spark, include_exits=False, include_proceedings=False)
    assert list(rows["siren"]) == ["J", "C", "A", "D", "H", "B"]


def test_without_scores_for_the_previous_month_evolution_is_not_computed(spark):
    rows = build(spark, previous=[], previous_scored=False)
    assert set(rows["evolution"]) == {lists.NOT_COMPUTED}
    assert rows["niveau_mois_precedent"].isna().all()
    assert by_siren(rows)["H"]["premiere_alerte"] == "non"  # alerted in an earlier month still counts


def test_flat_table_in_french_with_confidential_values_hidden(listed):
    hidden = lists.Disclosure(False, frozenset({"sante_financiere"}), ("ebe_sur_ca",))
    rows = listed[listed["region"] == "84"].copy()
    rows.loc[rows["siren"] == "A", "facteurs"] = pd.Series(
        [
            [
                FACTOR,
                {**FACTOR, "feature": "ebe_sur_ca", "topic": "sante_financiere", "value": -0.12, "contribution": 0.5},
            ]
        ],
        index=rows.index[rows["siren"] == "A"],
    )
    table = lists.region_table(rows, ["dettes_sociales", "sante_financiere"], {"69": "Rhône"}, hidden)
    assert list(table.columns) == [c.key for c in lists.table_columns(["dettes_sociales", "sante_financiere"], hidden)]
    assert "ebe_sur_ca" not in table.columns
    a = table[table["siren"] == "A"].iloc[0]
    assert (a["libelle_departement"], a["secteur"], a["forme_juridique"]) == (
        "Rhône",
        "C - Construction",
        "5710 - société par actions simplifiée (SAS)",
    )
    assert a["contribution_dettes_sociales"] == pytest.approx(-0.9)
    assert a["principaux_facteurs"] == (
        "dette sociale : 12\u202f500 € (+1,25) ; EBE / chiffre d'affaires : valeur confidentielle (+0,50)"
    )
    records = lists.region_records(rows, table, ["dettes_sociales", "sante_financiere"], hidden)
    factors = records[list(table["siren"]).index("A")]["facteurs"]
    assert factors[1] == {
        "variable": "ebe_sur_ca",
        "libelle": "EBE / chiffre d'affaires",
        "theme": "sante_financiere",
        "valeur": None,
        "unite": "",
        "contribution": 0.5,
        "confidentiel": True,
    }
    shown = lists.Disclosure(True, frozenset({"sante_financiere"}), ("ebe_sur_ca",))
    table = lists.region_table(rows, ["dettes_sociales"], {"69": "Rhône"}, shown)
    a = table[table["siren"] == "A"].iloc[0]
    assert (
        a["ebe_sur_ca"] == pytest.approx(-0.12)
        and "EBE / chiffre d'affaires : -0,12 (+0,50)" in a["principaux_facteurs"]
    )
