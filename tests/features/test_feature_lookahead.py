"""No look-ahead (property): data delivered after month M, or delivered by M but dated after M by
its source's timing rule, never changes the features of M.

Each example holds several scenarios; a scenario is one firm and its twin (another SIREN, its own
sector and region so the context shares stay apart) with the same data known at M and different
random data after M. The features of M of both must be equal.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from signaux_spark import reference
from signaux_spark.config import load_settings
from signaux_spark.features import build
from signaux_spark.months import add_months, index
from signaux_spark.sources import SOURCES
from tests.features.features_kit import bronze, d

pytestmark = pytest.mark.slow  # builds the features of many generated histories: make test-fast leaves it out

CUTS = [d("2023-09"), d("2023-10"), d("2023-11"), d("2023-12")]
PLACES = [
    ("01.11Z", "74010"),
    ("05.10Z", "75056"),
    ("16.23Z", "13055"),
    ("35.11Z", "59350"),
    ("41.20A", "33063"),
    ("47.11B", "31555"),
]  # distinct sections and regions


def month(m):
    return f"{m:%Y-%m}"


def day(m, dd):
    return f"{m:%Y-%m}-{dd:02d}"


def known_rows(rng, siren, cut, naf, commune):
    """Data of one firm known at `cut` (delivered by then, dated by then)."""
    rows = {s: [] for s in SOURCES}
    siret = siren + "00017"
    early = add_months(cut, -rng.randint(6, 30))
    rows["sirene_unite_legale"].append(
        dict(
            siren=siren,
            date_creation="2010-01-01",
            est_active=True,
            naf=naf,
            categorie_juridique="5499",
            nic_siege="00017",
            batch=month(early),
        )
    )
    rows["sirene_etablissement"].append(
        dict(
            siret=siret,
            siren=siren,
            nic="00017",
            est_siege=True,
            est_actif=True,
            code_commune=commune,
            date_creation="2010-01-01",
            batch=month(early),
        )
    )
    for _ in range(rng.randint(0, 8)):
        m = add_months(cut, -rng.randint(1, 40))
        rows["urssaf_effectif_ent"].append(
            dict(
                siren=siren,
                periode=month(m),
                effectif=rng.randint(0, 30),
                batch=month(add_months(m, rng.randint(1, cut_gap(m, cut)))),
            )
        )
        rows["urssaf_cotisation"].append(
            dict(
                siret=siret,
                siren=siren,
                compte="1",
                periode_debut=month(m),
                periode_fin=month(add_months(m, 1)),
                n_mois=1,
                cotisation_due=float(rng.randint(-50, 5000)),
                batch=month(add_months(m, rng.randint(1, cut_gap(m, cut)))),
            )
        )
        processed = day(m, rng.randint(1, 20))
        rows["urssaf_debit"].append(
            dict(
                siret=siret,
                siren=siren,
                numero_compte="C" + siren,
                periode_debut="2020-01",
                periode_fin="2020-02",
                numero_ecart_negatif=rng.randint(1, 3),
                numero_historique=rng.randint(1, 4),
                date_traitement=processed,
                periode_prise_en_compte=month(m),
                dette_ouvriere=float(rng.randint(0, 900)),
                dette_patronale=float(rng.randint(0, 900)),
                batch=month(add_months(m, rng.randint(0, cut_gap(m, cut) - 1))),
            )
        )
        rows["altares_paydex"].append(
            dict(
                siren=siren,
                paydex=rng.randint(0, 90),
                fpi_30=float(rng.randint(0, 100)),
                fpi_90=float(rng.randint(0, 100)),
                date_valeur=day(m, rng.randint(1, 28)),
                file_kind="increment",
                batch=month(add_months(m, 1)),
            )
        )
        rows["dgfip_liasses"].append(
            dict(
                siren=siren,
                no_ocfi=str(rng.randint(1, 3)),
                date_deb_exercice="2019-01-01",
                date_fin_exercice=f"{2019 + rng.randint(0, 3)}-12-31",
                dte_depot=day(m, rng.randint(1, 28)),
                mnt_af_ca=rng.randint(0, 9),
                mnt_af_sig_ebe_ret=rng.randint(-5, 5),
                batch=month(add_months(m, 1)),
            )
        )
        rows["ap_consommation"].append(
            dict(
                id_demande="R1" + siren,
                siret=siret,
                siren=siren,
                periode=month(m),
                heures_consommees=float(rng.randint(0, 100)),
                batch=month(add_months(m, 1)),
            )
        )
    for _ in range(rng.randint(0, 2)):
        m = add_months(cut, -rng.randint(0, 30))
        rows["urssaf_delai"].append(
            dict(
                siret=siret,
                siren=siren,
                numero_compte="C" + siren,
                numero_contentieux=str(rng.randint(1, 2)),
                date_creation=day(m, 2),
                date_echeance=day(add_months(m, rng.randint(0, 12)), 3),
                montant_echeancier=float(rng.randint(1, 9000)),
                stade=rng.choice(["APPROB", "REJ", "DEBUT"]),
                batch=month(m),
            )
        )
        rows["ap_demande"].append(
            dict(
                id_demande=f"R{rng.randint(1, 2)}" + siren,
                siret=siret,
                siren=siren,
                date_statut=day(m, 1),
                date_debut=day(m, rng.randint(1, 9)),
                date_fin=day(add_months(m, rng.randint(0, 9)), 28),
                heures_autorisees=float(rng.randint(0, 9000)),
                motif_recours=rng.randint(1, 7),
                batch=month(m),
            )
        )
        rows["urssaf_procol"].append(
            dict(
                siret=siret,
                siren=siren,
                date_effet=day(add_months(m, -1), rng.randint(1, 28)),
                action_procol=rng.choice(["sauvegarde", "redressement", "liquidation"]),
                stade_procol=rng.choice(["ouverture", "plan_continuation", "fin_procedure"]),
                batch=month(m),
            )
        )
    return rows


def cut_gap(m, cut):
    """Months from m to the cut, at least 1."""
    return max(1, index(cut) - index(m))


def later_rows(rng, siren, cut):
    """Data of one firm that must not count at `cut`: delivered after it, or dated after it."""
    rows = {s: [] for s in SOURCES}
    siret = siren + "00017"
    for _ in range(rng.randint(1, 6)):
        late = add_months(cut, rng.randint(1, 4))  # delivered after the cut
        m = add_months(cut, rng.randint(-24, 3))  # about any month
        after = add_months(cut, 1)
        on_time = month(cut)  # delivered by the cut but dated after it
        rows["sirene_unite_legale"].append(
            dict(
                siren=siren,
                est_active=rng.random() < 0.5,
                naf="84.11Z",
                categorie_juridique="7210",
                nic_siege="00099",
                date_debut_etat=day(m, 1),
                batch=month(late),
            )
        )
        rows["sirene_etablissement"].append(
            dict(
                siret=siret,
                siren=siren,
                nic="00017",
                est_siege=rng.random() < 0.5,
                est_actif=False,
                code_commune="2A004",
                date_debut_etat=day(m, 1),
                batch=month(late),
            )
        )
        rows["urssaf_effectif_ent"] += [
            dict(siren=siren, periode=month(m), effectif=rng.randint(0, 99), batch=month(late)),
            dict(siren=siren, periode=month(after), effectif=99, batch=on_time),
        ]
        rows["urssaf_cotisation"] += [
            dict(
                siret=siret,
                siren=siren,
                compte="2",
                periode_debut=month(m),
                periode_fin=month(add_months(m, 3)),
                n_mois=3,
                cotisation_due=float(rng.randint(-9000, 9000)),
                batch=month(late),
            ),
            dict(
                siret=siret,
                siren=siren,
                compte="2",
                periode_debut=month(cut),
                periode_fin=month(after),
                n_mois=1,
                cotisation_due=777.0,
                batch=on_time,
            ),
        ]  # month M is only known from M+1
        rows["urssaf_debit"] += [
            dict(
                siret=siret,
                siren=siren,
                numero_compte="C" + siren,
                periode_debut="2020-01",
                periode_fin="2020-02",
                numero_ecart_negatif=rng.randint(1, 3),
                numero_historique=rng.randint(1, 9),
                date_traitement=day(m, 5),
                periode_prise_en_compte=month(m),
                dette_ouvriere=float(rng.randint(0, 9e5)),
                dette_patronale=1.0,
                batch=month(late),
            ),
            dict(
                siret=siret,
                siren=siren,
                numero_compte="C" + siren,
                periode_debut="2020-01",
                periode_fin="2020-02",
                numero_ecart_negatif=1,
                numero_historique=99,
                date_traitement=day(cut, 25),  # after the 20th
                periode_prise_en_compte=month(after),
                dette_ouvriere=5e5,
                dette_patronale=5e5,
                batch=on_time,
            ),
        ]
        rows["urssaf_delai"].append(
            dict(
                siret=siret,
                siren=siren,
                numero_compte="C" + siren,
                numero_contentieux="1",
                date_creation=day(m, 2),
                date_echeance=day(add_months(m, 6), 2),
                montant_echeancier=9999.0,
                stade="APPROB",
                batch=month(late),
            )
        )
        rows["urssaf_procol"] += [
            dict(
                siret=siret,
                siren=siren,
                date_effet=day(m, 3),
                action_procol="liquidation",
                stade_procol="ouverture",
                batch=month(late),
            ),
            dict(
                siret=siret,
                siren=siren,
                date_effet=day(cut, 2),
                action_procol="liquidation",
                stade_procol="ouverture",
                batch=on_time,
            ),
        ]
        rows["ap_demande"].append(
            dict(
                id_demande="R1" + siren,
                siret=siret,
                siren=siren,
                date_statut=day(late, 1),
                date_debut=day(m, 1),
                date_fin=day(add_months(m, 6), 1),
                heures_autorisees=9999.0,
                motif_recours=1,
                batch=month(late),
            )
        )
        rows["ap_consommation"] += [
            dict(
                id_demande="R1" + siren,
                siret=siret,
                siren=siren,
                periode=month(m),
                heures_consommees=999.0,
                batch=month(late),
            ),
            dict(
                id_demande="R1" + siren,
                siret=siret,
                siren=siren,
                periode=month(cut),
                heures_consommees=555.0,
                batch=on_time,
            ),
        ]  # consumption of M counts at M+1
        rows["dgfip_liasses"] += [
            dict(
                siren=siren,
                no_ocfi="0",
                date_deb_exercice="2022-01-01",
                date_fin_exercice="2022-12-31",
                dte_depot=day(m, 1),
                mnt_af_ca=1,
                batch=month(late),
            ),
            dict(
                siren=siren,
                no_ocfi="0",
                date_deb_exercice="2023-01-01",
                date_fin_exercice="2023-06-30",
                dte_depot=day(after, 1),
                mnt_af_ca=2,
                batch=on_time,
            ),
        ]
        rows["altares_paydex"] += [
            dict(
                siren=siren,
                paydex=99,
                fpi_30=1.0,
                fpi_90=1.0,
                date_valeur=day(m, 9),
                file_kind="increment",
                batch=month(late),
            ),
            dict(
                siren=siren,
                paydex=98,
                fpi_30=1.0,
                fpi_90=1.0,
                date_valeur=day(after, 9),
                file_kind="increment",
                batch=on_time,
            ),
        ]
    return rows


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**31), cuts=st.lists(st.sampled_from(CUTS), min_size=3, max_size=3))
def test_data_after_the_month_never_changes_its_features(spark, seed, cuts):
    rng = random.Random(seed)
    rows = {s: [] for s in SOURCES}
    pairs = []
    for i, cut in enumerate(cuts):
        siren, twin = f"1000000{i}1", f"2000000{i}2"
        for firm, place in ((siren, PLACES[2 * i]), (twin, PLACES[2 * i + 1])):
            known = known_rows(random.Random(seed + i), firm, cut, *place)
            for source, extra in later_rows(rng, firm, cut).items():
                rows[source] += known[source] + extra
        pairs.append((siren, twin, cut))
    tables = {s: bronze(spark, s, rows[s]) for s in SOURCES}
    conf = load_settings()
    first, last = min(cuts), max(cuts)
    deps, sections = reference.frames(spark, conf)
    start = add_months(first, -36)
    registry = build.registry_months(tables, deps, sections, start=start, end=last)
    months = build.firm_months(tables, registry, start=start, end=last, settings=conf.features)
    features = build.gold_features(months, first=first, last=last, settings=conf.features)
    got = {
        (r["siren"], r["periode"]): r.asDict() for r in features.where(F.col("periode").isin(list(set(cuts)))).collect()
    }
    for siren, twin, cut in pairs:
        a, b = got.get((siren, cut)), got.get((twin, cut))
        assert a is not None and b is not None, (siren, cut)
        differ = {
            k: (a[k], b[k]) for k in a if k not in ("siren", "naf_section", "region", "departement") and a[k] != b[k]
        }
        assert not differ, f"features of {cut} changed by later data: {differ}"
