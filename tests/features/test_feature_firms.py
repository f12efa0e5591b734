"""Registry: head office rule, department and region (Corsica, overseas, old 20), registry facts
known at each month, silver/firms."""

import pytest

from signaux_spark import reference
from signaux_spark.features import build
from signaux_spark.features.build import FIRMS_COLUMNS
from tests.features.features_kit import bronze, d

A, B, C, E, F, G = "812345676", "523109874", "042112359", "390045128", "887654325", "552100554"


def unit(siren, batch, **values):
    return {
        **dict(
            siren=siren,
            date_creation="2009-04-01",
            est_active=True,
            categorie_juridique="5499",
            naf="16.23Z",
            nic_siege="00017",
            denomination=f"FIRM {siren}",
            batch=batch,
        ),
        **values,
    }


def etab(siren, nic, commune, batch, siege=True, postal=None, **values):
    return {
        **dict(
            siret=siren + nic,
            siren=siren,
            nic=nic,
            date_creation="2009-04-01",
            est_siege=siege,
            code_commune=commune,
            code_postal=postal,
            commune="X",
            est_actif=True,
            batch=batch,
        ),
        **values,
    }


@pytest.fixture(scope="module")
def registry(spark, settings_module):
    units = [
        unit(A, "2024-01"),
        unit(B, "2024-01", naf="10.71C"),
        unit(C, "2024-01"),
        unit(E, "2024-01", nom="DUPONT", prenom="JEAN", denomination=None),
        unit(F, "2024-01"),
        # G moves its head office in March: the unit's head-office NIC changes with it.
        unit(G, "2024-01"),
        unit(G, "2024-03", nic_siege="00025"),
        # B ceases on 17 February (known from March).
        unit(B, "2024-03", naf="10.71C", est_active=False, date_debut_etat="2024-02-17"),
    ]
    etabs = [
        etab(A, "00017", "74010", "2024-01"),
        etab(B, "00017", "2A004", "2024-01"),
        etab(C, "00017", "20145", "2024-01", postal="20200"),  # old Corsican 20 resolved to 2B
        # E: two establishments flagged head office: the unit's NIC decides.
        etab(E, "00017", "97411", "2024-01"),
        etab(E, "00025", "75056", "2024-01"),
        # F: head office abroad (no commune code).
        etab(F, "00017", None, "2024-01", code_pays_etranger="99131"),
        etab(G, "00017", "2B033", "2024-01"),
        etab(G, "00017", "2B033", "2024-03", siege=False, est_actif=False, date_debut_etat="2024-02-28"),
        etab(G, "00025", "69123", "2024-03"),
    ]
    bronzes = {
        "sirene_unite_legale": bronze(spark, "sirene_unite_legale", units),
        "sirene_etablissement": bronze(spark, "sirene_etablissement", etabs),
    }
    deps, sections = reference.frames(spark, settings_module)
    reg = build.registry_months(bronzes, deps, sections, start=d("2024-01"), end=d("2024-04")).cache()
    yield {(r["siren"], r["periode"]): r for r in reg.collect()}, build.firms_table(reg, end=d("2024-04")).collect()
    reg.unpersist()


@pytest.fixture(scope="module")
def settings_module(tmp_path_factory):
    from tests.helpers import make_settings

    return make_settings(tmp_path_factory.mktemp("firms"))


def test_places_from_the_head_office(registry):
    months, _ = registry
    place = lambda s: (months[(s, d("2024-01"))]["departement"], months[(s, d("2024-01"))]["region"])  # noqa: E731
    assert place(A) == ("74", "84")
    assert place(B) == ("2A", "94")  # Corsica: 2A is a department of region 94
    assert place(C) == ("2B", "94")  # old 20 with postal code 20200
    assert place(E) == ("974", "04")  # two flagged head offices: the unit's NIC (La Réunion)
    assert months[(E, d("2024-01"))]["siege_incoherent"] and not months[(A, d("2024-01"))]["siege_incoherent"]
    assert place(F) == (None, None) and not months[(F, d("2024-01"))]["siege_francais"]
    assert (
        months[(A, d("2024-01"))]["naf_section"] == "C"
        and months[(A, d("2024-01"))]["libelle_section"] == "Industrie manufacturière"
    )


def test_registry_known_at_each_month(registry):
    months, _ = registry
    # G: Haute-Corse until February, Rhône from March (the move is delivered in March).
    assert [months[(G, d(m))]["departement"] for m in ("2024-01", "2024-02", "2024-03")] == ["2B", "2B", "69"]
    # B ceased on 17 February, known from March: alive in February, not in March.
    assert months[(B, d("2024-02"))]["alive"] and not months[(B, d("2024-03"))]["alive"]
    assert months[(A, d("2024-04"))]["alive"] and months[(A, d("2024-04"))]["siege_actif"]
    assert months[(A, d("2024-04"))]["age_entreprise"] == 180


def test_silver_firms_one_row_per_siren_as_known_last(registry):
    _, firms = registry
    by_siren = {r["siren"]: r for r in firms}
    assert len(firms) == 6 and list(firms[0].asDict()) == FIRMS_COLUMNS
    assert by_siren[E]["raison_sociale"] == "JEAN DUPONT"
    assert by_siren[G]["siret_siege"] == G + "00025" and by_siren[G]["libelle_region"] == "Auvergne-Rhône-Alpes"
    assert by_siren[B]["date_cessation"] == d("2024-02-17") and by_siren[B]["libelle_departement"] == "Corse-du-Sud"
