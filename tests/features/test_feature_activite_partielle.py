"""Short-time work: the example of SOURCES.md section 6 (952.5 h in March, 1,786.0 h in June with
max, 2,425.3 h with sum, motif 6 excluded), requests known from their batch, consumption."""

import pytest

from signaux_spark.features.activite_partielle import authorised_hours, consumed_hours
from tests.features.features_kit import bronze, d

A, B = "812345676", "042112359"


def request(number, siret, statut, start, end, hours, motif, batch):
    return dict(
        id_demande=number,
        siret=siret,
        siren=siret[:9],
        date_statut=statut,
        date_debut=start,
        date_fin=end,
        heures_autorisees=hours,
        motif_recours=motif,
        batch=batch,
    )


def requests(spark, first_batch="2020-03"):
    return bronze(
        spark,
        "ap_demande",
        [
            request("07420012345", A + "00017", "2020-03-25", "2020-03-16", "2020-06-30", 6370.0, 5, first_batch),
            request("07420019876", A + "00017", "2020-06-22", "2020-06-01", "2020-09-30", 2600.0, 1, "2020-06"),
            request("06920004567", B + "00015", "2021-01-12", "2021-01-04", "2021-03-31", 18000.0, 6, "2021-01"),
        ],
    )


@pytest.fixture(scope="module")
def hours(spark):
    demandes = requests(spark)
    by_policy = {
        policy: {
            (r["siren"], r["periode"]): r["ap_heures_autorisees"]
            for r in authorised_hours(demandes, start=d("2020-01"), end=d("2021-03"), policy=policy).collect()
        }
        for policy in ("max", "sum")
    }
    late = {
        (r["siren"], r["periode"]): r["ap_heures_autorisees"]
        for r in authorised_hours(requests(spark, "2020-05"), start=d("2020-01"), end=d("2020-06")).collect()
    }
    return by_policy, late


def test_daily_rates_merged_by_max(hours):
    by_policy, _ = hours
    rate = 6370 / 107  # 16 March - 30 June: 107 days
    got = by_policy["max"]
    assert got[(A, d("2020-03"))] == pytest.approx(16 * rate, abs=1e-3) == pytest.approx(952.5, abs=0.05)
    assert got[(A, d("2020-04"))] == pytest.approx(30 * rate, abs=1e-3)
    assert got[(A, d("2020-06"))] == pytest.approx(1786.0, abs=0.05)  # max of the two rates
    assert got[(A, d("2020-07"))] == pytest.approx(31 * 2600 / 122, abs=1e-3)  # 1 June - 30 Sept: 122 days
    assert by_policy["sum"][(A, d("2020-06"))] == pytest.approx(2425.3, abs=0.05)
    assert not [k for k in got if k[0] == B]  # motif 6: no authorised hours
    assert (A, d("2020-02")) not in got and (A, d("2020-10")) not in got


def test_request_counts_from_its_batch(hours):
    _, late = hours
    # Filed in May for March: unknown in March and April, May counts from May on.
    assert (A, d("2020-03")) not in late and (A, d("2020-04")) not in late
    assert late[(A, d("2020-05"))] == pytest.approx(31 * 6370 / 107, abs=1e-3)


def test_consumption_of_the_previous_month_or_not_yet_known(spark):
    conso = bronze(
        spark,
        "ap_consommation",
        [
            dict(
                id_demande="07420012345",
                siret=A + "00017",
                siren=A,
                periode="2020-04",
                heures_consommees=1204.5,
                batch="2020-05",
            ),
            dict(
                id_demande="07420012345",
                siret=A + "00017",
                siren=A,
                periode="2020-05",
                heures_consommees=1480.0,
                batch="2020-06",
            ),
            dict(
                id_demande="07420012345",
                siret=A + "00017",
                siren=A,
                periode="2020-05",
                heures_consommees=1500.0,
                batch="2020-07",
            ),
            dict(
                id_demande="07420019876",
                siret=A + "00017",
                siren=A,
                periode="2020-07",
                heures_consommees=402.0,
                batch="2020-08",
            ),
        ],
    )
    out = {
        r["periode"]: (r["ap_heures_consommees"], r["ap_attendue"])
        for r in consumed_hours(conso, requests(spark), start=d("2020-01"), end=d("2020-12"))
        .where(f"siren = '{A}'")
        .collect()
    }
    assert out[d("2020-04")] == (None, True)  # March covered, nothing reported: not yet known
    assert out[d("2020-05")] == (1204.5, False)  # April
    assert out[d("2020-06")] == (1480.0, False)  # May as known in June (the July correction is later)
    assert out[d("2020-07")] == (None, True)  # June covered, never reported by July
    assert out[d("2020-08")] == (402.0, False)
    assert d("2020-11") not in out  # October: no request, no consumption (zero)
