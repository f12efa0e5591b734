"""Proceedings: the worked example of SOURCES.md 13.2 (state and label), stage order on one
date, the 10-year plan, point in time against every event known."""

import pytest
from chispa import assert_df_equality

from signaux_spark.features import procol
from signaux_spark.months import add_months
from tests.features.features_kit import bronze, d

B, P = "523109874", "812345676"


def event(siren, day, action, stage, batch, siret_nic="00017"):
    return dict(
        siret=siren + siret_nic, siren=siren, date_effet=day, action_procol=action, stade_procol=stage, batch=batch
    )


@pytest.fixture(scope="module")
def events(spark):
    rows = [
        # The worked example: the opening repeated per establishment, a solde that is ignored.
        event(B, "2022-03-14", "redressement", "ouverture", "2022-03"),
        event(B, "2022-03-14", "Redressement", "Ouverture", "2022-03", "00025"),
        event(B, "2022-11-09", "liquidation", "ouverture", "2022-11"),
        event(B, "2022-11-09", "redressement", "inclusion_autre_procedure", "2022-11"),
        event(B, "2023-01-17", "liquidation", "solde_procedure", "2023-01", "00025"),
        # A continuation plan stops counting 10 years after its date; the opening was recorded late.
        event(P, "2010-01-05", "sauvegarde", "ouverture", "2010-06"),
        event(P, "2010-06-15", "sauvegarde", "plan_continuation", "2010-07"),
    ]
    return procol.firm_events(bronze(spark, "urssaf_procol", rows))


def test_worked_example_state_at_each_month(spark, events):
    out = procol.states(events, start=d("2022-02"), end=d("2023-01")).where(f"siren = '{B}'")
    # Rows start with the first usable event (the grid fills "In bonis" before it): the opening of
    # 14 March counts from April, the liquidation of 9 November from December.
    months = [add_months(d("2022-04"), i) for i in range(10)]
    state = {m: "Redressement judiciaire" if m <= d("2022-11") else "Liquidation judiciaire" for m in months}
    expected = spark.createDataFrame(
        [(B, m, s, s != "In bonis") for m, s in state.items()],
        "siren string, periode date, proceeding_state string, in_proceeding boolean",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_plan_lasts_ten_years_and_late_events_count_from_their_batch(spark, events):
    out = {
        r["periode"]: r["proceeding_state"]
        for r in procol.states(events, start=d("2010-01"), end=d("2020-08")).where(f"siren = '{P}'").collect()
    }
    assert min(out) == d("2010-06")  # opened on 5 January, delivered in June only
    assert out[d("2010-06")] == "Sauvegarde"
    assert out[d("2010-07")] == "Plan de sauvegarde"  # dated 15 June: counts from 1 July
    assert out[d("2020-06")] == "Plan de sauvegarde"  # 2010-06-15 + 10 years = 2020-06-15, after 1 June
    assert out[d("2020-07")] == "In bonis"  # ... and on or before 1 July: the plan is over
    known = {
        r["periode"]: r["proceeding_state"]
        for r in procol.states(events, start=d("2010-01"), end=d("2010-03"), point_in_time=False)
        .where(f"siren = '{P}'")
        .collect()
    }
    assert known[d("2010-02")] == "Sauvegarde"  # every event known: the late opening counts from February


def test_same_date_stage_order_and_most_severe_action(spark):
    rows = [
        event(P, "2021-05-03", "redressement", "fin_procedure", "2021-05"),
        event(P, "2021-05-03", "redressement", "ouverture", "2021-05"),
        event(B, "2021-05-03", "sauvegarde", "ouverture", "2021-05"),
        event(B, "2021-05-03", "liquidation", "ouverture", "2021-05"),
        event(B, "2021-05-03", "liquidation", "etape_inconnue", "2021-05"),
    ]
    out = procol.states(procol.firm_events(bronze(spark, "urssaf_procol", rows)), start=d("2021-06"), end=d("2021-06"))
    assert {r["siren"]: r["proceeding_state"] for r in out.collect()} == {P: "In bonis", B: "Liquidation judiciaire"}


def test_labels_of_the_worked_example(spark, events):
    months = [add_months(d("2020-08"), i) for i in range(24)]
    rows = spark.createDataFrame([(B, m) for m in months], "siren string, periode date")
    out = {
        r["periode"]: r
        for r in procol.labels(rows, events, start=months[0], end=months[-1], observed_until=d("2023-10-20")).collect()
    }
    # failure = 1 from 2020-10 (an opening within 18 months) to 2022-03 (14 March after 1 March);
    # 2020-09 + 18 months = 2022-03-01, before the opening of 14 March.
    assert out[d("2020-09")]["failure"] == 0
    assert all(out[m]["failure"] == 1 for m in months if d("2020-10") <= m <= d("2022-03"))
    assert out[d("2022-03")]["next_opening"] == d("2022-03-14")
    assert out[d("2022-04")]["next_opening"] == d("2022-11-09") and out[d("2022-04")]["in_proceeding_known"]
    assert not out[d("2022-03")]["in_proceeding_known"]
    # 2022-05 + 18 months = 2023-11-01, after the last day observed: unknown.
    assert out[d("2022-04")]["failure"] == 1 and out[d("2022-05")]["failure"] is None
