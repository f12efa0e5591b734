"""The monthly run's carried states (features/states.py): folded month by month they give the
signals the whole history gives; stored, they are reused only while bronze still holds the batches
they were built from, and only the last months are kept."""

import random

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.config import FeatureSettings
from signaux_spark.features import build, effectif
from signaux_spark.features.states import AS_OF, fold, states_at
from signaux_spark.ingest.report import IngestReport, UnitReport, write_report
from signaux_spark.io import Lake
from signaux_spark.months import add_months, month_range
from tests.features.features_kit import bronze, d, empty_bronze
from tests.helpers import make_settings

CARRIED_SOURCES = ("urssaf_cotisation", "urssaf_debit", "urssaf_effectif_ent", "altares_paydex")
SIRENS = ("812345676", "523109874", "042112359")
FIRST, LAST = d("2023-06"), d("2024-03")


def month(m):
    return f"{m:%Y-%m}"


def random_bronze(spark, seed):
    """Deliveries of the carried sources over FIRST..LAST, drawn to hit every case: headcounts
    of months after their batch, the same month revised up and down across the threshold, debt
    steps effective months after their batch or moved to another firm, contribution lines
    delivered again in later batches, periods of 1, 3 and 12 months, paydex values dated before
    their batch, after it, or revised by a later batch."""
    rng = random.Random(seed)
    batches = month_range(FIRST, LAST)
    cells, steps, lines, paydex = [], [], [], []
    for batch in batches:
        for _ in range(rng.randint(2, 9)):
            m = add_months(batch, rng.randint(-40, 2))
            cells.append(
                dict(siren=rng.choice(SIRENS), periode=month(m), effectif=rng.randint(7, 13), batch=month(batch))
            )
        for _ in range(rng.randint(1, 4)):
            processed = add_months(batch, rng.randint(-3, 2))
            steps.append(
                dict(
                    siret=rng.choice(SIRENS) + "00017",
                    siren=rng.choice(SIRENS),
                    numero_compte=f"C{rng.randint(1, 3)}",
                    periode_debut="2022-01",
                    periode_fin="2022-02",
                    numero_ecart_negatif=rng.randint(1, 2),
                    numero_historique=rng.randint(1, 5),
                    date_traitement=f"{processed:%Y-%m}-{rng.randint(1, 28):02d}",
                    periode_prise_en_compte=month(processed),  # not read by the features
                    dette_ouvriere=float(rng.randint(0, 900)),
                    dette_patronale=float(rng.randint(0, 900)),
                    batch=month(batch),
                )
            )
        for _ in range(rng.randint(1, 5)):
            if lines and rng.random() < 0.3:  # the same line again
                lines.append({**rng.choice(lines), "batch": month(batch)})
                continue
            n = rng.choice([1, 3, 12])
            start = add_months(batch, -rng.randint(n, 18))
            siren = rng.choice(SIRENS)
            lines.append(
                dict(
                    siret=siren + "00017",
                    siren=siren,
                    compte="1",
                    periode_debut=month(start),
                    periode_fin=month(add_months(start, n)),
                    n_mois=n,
                    cotisation_due=float(rng.randint(-50, 5000)),
                    batch=month(batch),
                )
            )
        for _ in range(rng.randint(0, 3)):
            if paydex and rng.random() < 0.3:  # a value date delivered again, revised
                paydex.append({**rng.choice(paydex), "paydex": rng.randint(0, 90), "batch": month(batch)})
                continue
            valued = add_months(batch, rng.randint(-6, 1))
            paydex.append(
                dict(
                    siren=rng.choice(SIRENS),
                    paydex=rng.randint(0, 90),
                    fpi_30=float(rng.randint(-5, 120)),
                    fpi_90=float(rng.randint(0, 60)),
                    date_valeur=f"{valued:%Y-%m}-{rng.choice([1, 15, 28]):02d}",
                    file_kind="increment",
                    batch=month(batch),
                )
            )
    return {
        "altares_paydex": bronze(spark, "altares_paydex", paydex),
        "urssaf_effectif_ent": bronze(spark, "urssaf_effectif_ent", cells),
        "urssaf_debit": bronze(spark, "urssaf_debit", steps),
        "urssaf_cotisation": bronze(spark, "urssaf_cotisation", lines),
    }


def informative(signal):
    """The rows holding a value: a firm-month without a row reads as null or zero in firm_months,
    so a row of nulls and zeros (the one-pass grid keeps them after a firm's first event) says nothing."""
    values = [c for c in signal.columns if c not in ("siren", "periode")]
    return signal.where(" OR ".join(f"coalesce({c} != 0, false)" for c in values))


def features_settings():
    return FeatureSettings(perimeter_min_effectif=10, perimeter_window_months=6)


@pytest.mark.slow  # ten months of states folded for a random history
def test_states_folded_month_by_month_give_the_whole_history_signals(spark):
    """From 2023-10 on (the months before only feed the states), each carried signal at each
    month equals the one-pass signal from bronze."""
    frames = random_bronze(spark, seed=2)
    settings = features_settings()
    specs = build.carried(settings)
    checked = month_range(d("2023-10"), LAST)
    states, by_month = {}, []
    for m in month_range(FIRST, LAST):
        for spec in specs:
            batch = frames[spec.source].where(F.col("batch") == month(m))
            states[spec.name] = fold(spec, states.get(spec.name), spec.events(batch), m).localCheckpoint()
        if m in checked:
            by_month.append(build.signals_at(states, m, settings))
    one_pass = build.signals({**empty_bronze(spark), **frames}, start=checked[0], end=checked[-1], settings=settings)
    for name in by_month[0]:
        got = by_month[0][name]
        for other in by_month[1:]:
            got = got.unionByName(other[name])
        got, want = informative(got), informative(one_pass[name].select(*got.columns))
        assert want.count() > 0, name
        assert_df_equality(got, want.select(*got.columns), ignore_row_order=True, ignore_nullable=True)


def load_report(spark, settings, run_id, batches):
    report = IngestReport(run_id, batches)
    report.units = [UnitReport(s, b, status="loaded") for s in CARRIED_SOURCES for b in batches]
    write_report(spark, Lake(settings), report)


def test_stored_states_are_reused_while_bronze_holds_their_batches(spark, tmp_path):
    settings = make_settings(tmp_path)
    lake = Lake(settings)
    spec = effectif.LATEST_CELL
    cells = [
        dict(siren=SIRENS[0], periode="2024-01", effectif=12, batch="2024-02"),
        dict(siren=SIRENS[0], periode="2024-02", effectif=14, batch="2024-03"),
        dict(siren=SIRENS[0], periode="2024-03", effectif=16, batch="2024-04"),
        dict(siren=SIRENS[0], periode="2024-04", effectif=18, batch="2024-05"),
    ]
    rows = bronze(spark, spec.source, cells)
    load_report(spark, settings, "run-1", ["2024-02", "2024-03", "2024-04", "2024-05"])

    def headcount(m):
        state = states_at(spark, lake, {spec.source: rows.where(F.col("batch") <= month(m))}, [spec], m)
        return effectif.headcount_at(state[spec.name], m).first()["effectif"]

    def pending(m):
        """The months of the cells not due yet in the stored state at m."""
        state = lake.read(spark, tables.state(spec.name)).where(F.col(AS_OF) == m)
        return [r["value"]["mois"] for r in state.where(F.col("due") > F.lit(m)).collect()]

    assert headcount(d("2024-02")) == 12  # built from bronze
    assert headcount(d("2024-03")) == 14
    # The batch 2024-02 now holds the headcount of 2024-09 in bronze, but the report still says
    # run-1 loaded it: the stored state of 2024-03 is folded with the batch of 2024-04 only.
    moved = F.when(F.col("batch") == "2024-02", F.lit(d("2024-09"))).otherwise(F.col("periode"))
    rows = rows.withColumn("periode", moved)
    assert headcount(d("2024-04")) == 16 and pending(d("2024-04")) == []
    # Once the report shows 2024-02 loaded again, the state is rebuilt from bronze, and the cell of
    # 2024-09 waits in it until it is due.
    load_report(spark, settings, "run-2", ["2024-02"])
    assert headcount(d("2024-05")) == 18 and pending(d("2024-05")) == [d("2024-09")]
    kept = lake.read(spark, tables.state(spec.name)).select(AS_OF).distinct().collect()
    assert sorted(r[0] for r in kept) == [d("2024-03"), d("2024-04"), d("2024-05")]


def test_a_state_built_under_another_window_is_rebuilt(spark, tmp_path):
    settings = make_settings(tmp_path)
    lake = Lake(settings)
    cells = [
        dict(siren=SIRENS[0], periode="2023-01", effectif=12, batch="2023-02"),
        dict(siren=SIRENS[0], periode="2024-01", effectif=12, batch="2024-02"),
    ]
    rows = bronze(spark, "urssaf_effectif_ent", cells)

    def months_at_threshold(m, window):
        spec = effectif.window_cells(window)
        state = states_at(spark, lake, {spec.source: rows.where(F.col("batch") <= month(m))}, [spec], m)
        counted = effectif.months_at_threshold_at(state[spec.name], m, threshold=10, window_months=window)
        return counted.first()["mois_effectif_seuil"]

    assert months_at_threshold(d("2024-02"), 6) == 1  # the state keeps the months from 2023-09 on
    # With a 24-month window the state of 2024-02 lacks 2023-01: it is not reused but rebuilt.
    assert months_at_threshold(d("2024-03"), 24) == 2
