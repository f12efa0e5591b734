"""Collective proceedings (SOURCES.md sections 5 and 13.2): the firm's state at each month and
the failure label.

Firm-level events are the distinct (siren, date, action, stage) without `solde_procedure`, each
known from the first batch that carried it. The state at month t uses the events dated on or
before the first day of t: per action its latest event (same date: the later stage in the stage
order wins); the action is active unless ended, or a continuation plan of 10 years or more; the
firm's state is its most severe active action. For features only the events delivered by t count;
labels use every event known when they are built.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, carry_forward, first_month_on_or_after

IN_BONIS = "In bonis"
FAILURE_ACTIONS = ["sauvegarde", "redressement", "liquidation"]
ENDING_STAGES = ["fin_procedure", "inclusion_autre_procedure", "abandon_procedure"]
SEVERITY = {"sauvegarde": 1, "redressement": 2, "liquidation": 3}
LABELS = {
    "liquidation": "Liquidation judiciaire",
    "redressement": "Redressement judiciaire",
    "sauvegarde": "Sauvegarde",
}
PLAN_LABELS = {"redressement": "Plan de redressement", "sauvegarde": "Plan de sauvegarde"}


def _case(col: Column, mapping: dict, default=None) -> Column:
    expr = None
    for key, value in mapping.items():
        expr = F.when(col == key, F.lit(value)) if expr is None else expr.when(col == key, F.lit(value))
    return expr.otherwise(F.lit(default))


def stage_rank(stage: Column) -> Column:
    """Order of stages on the same date: opening < conversion and unknown < plan < closure < endings."""
    return (
        F.when(stage == "ouverture", 0)
        .when(stage == "plan_continuation", 2)
        .when(stage == "cloture_insuffisance_actif", 3)
        .when(stage.isin(ENDING_STAGES), 4)
        .otherwise(1)
    )


def firm_events(procol: DataFrame) -> DataFrame:
    """siren, date_effet, action, stage, known (first batch month that carried the event)."""
    return (
        procol.select(
            KEY,
            "date_effet",
            F.lower(F.trim("action_procol")).alias("action"),
            F.lower(F.trim("stade_procol")).alias("stage"),
            batch_month().alias("known"),
        )
        .where(F.col("stage") != "solde_procedure")
        .groupBy(KEY, "date_effet", "action", "stage")
        .agg(F.min("known").alias("known"))
    )


def states(
    events: DataFrame, *, start: dt.date, end: dt.date, point_in_time: bool = True, plan_years: int = 10
) -> DataFrame:
    """siren, periode, proceeding_state, in_proceeding for the months from the firm's first event
    (or `start`) to `end`. `point_in_time=False` ignores when the events were delivered."""
    dated = first_month_on_or_after(F.col("date_effet"))
    usable = F.greatest(dated, F.col("known")) if point_in_time else dated
    events = events.withColumn("usable", F.greatest(usable, F.lit(start))).where(F.col("usable") <= F.lit(end))
    plan_end = F.add_months(F.col("date_effet"), 12 * plan_years)
    # The state can change when an event becomes usable or when a plan reaches its 10 years.
    changes = (
        events.select(KEY, F.col("usable").alias(MONTH))
        .unionByName(
            events.where(F.col("stage") == "plan_continuation").select(
                KEY, F.greatest(F.col("usable"), first_month_on_or_after(plan_end)).alias(MONTH)
            )
        )
        .where(F.col(MONTH) <= F.lit(end))
        .distinct()
    )
    known = changes.join(events, KEY).where(F.col("usable") <= F.col(MONTH))
    latest = known.groupBy(KEY, MONTH, "action").agg(
        F.max(F.struct("date_effet", stage_rank(F.col("stage")).alias("rank"), "stage")).alias("last")
    )
    ended = F.col("last.stage").isin(ENDING_STAGES) | (
        (F.col("last.stage") == "plan_continuation")
        & (F.add_months(F.col("last.date_effet"), 12 * plan_years) <= F.col(MONTH))
    )
    label = F.when(F.col("last.stage") == "plan_continuation", _case(F.col("action"), PLAN_LABELS, None)).otherwise(
        F.lit(None)
    )
    label = F.coalesce(label, _case(F.col("action"), LABELS, None))
    active = latest.where(~ended & F.col("action").isin(FAILURE_ACTIONS)).select(
        KEY, MONTH, _case(F.col("action"), SEVERITY, 0).alias("severity"), label.alias("label")
    )
    worst = active.groupBy(KEY, MONTH).agg(F.max(F.struct("severity", "label")).alias("worst"))
    at_changes = changes.join(worst, [KEY, MONTH], "left").select(
        KEY,
        MONTH,
        F.struct(F.col(MONTH).alias("since"), F.coalesce(F.col("worst.label"), F.lit(IN_BONIS)).alias("label")).alias(
            "state"
        ),
    )
    return carry_forward(at_changes, "state", start=start, end=end).select(
        KEY,
        MONTH,
        F.col("state.label").alias("proceeding_state"),
        (F.col("state.label") != IN_BONIS).alias("in_proceeding"),
    )


def labels(
    rows: DataFrame,
    events: DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    observed_until: dt.date,
    horizon_months: int = 18,
    plan_years: int = 10,
) -> DataFrame:
    """siren, periode, failure, in_proceeding_known, next_opening for the (siren, periode) rows of
    the months start..end.

    failure = 1 when an opening is dated in (periode, periode + horizon], 0 when none, null when
    periode + horizon is after the last day the proceedings are fully observed."""
    openings = (
        events.where((F.col("stage") == "ouverture") & F.col("action").isin(FAILURE_ACTIONS))
        .groupBy(KEY)
        .agg(F.array_sort(F.collect_set("date_effet")).alias("openings"))
    )
    state = states(events, start=start, end=end, point_in_time=False, plan_years=plan_years)
    horizon_end = F.add_months(F.col(MONTH), horizon_months)
    next_opening = F.array_min(
        F.filter(F.coalesce(F.col("openings"), F.array().cast("array<date>")), lambda d: d > F.col(MONTH))
    )
    return (
        rows.select(KEY, MONTH)
        .join(openings, KEY, "left")
        .join(state, [KEY, MONTH], "left")
        .select(
            KEY,
            MONTH,
            F.when(horizon_end > F.lit(observed_until), F.lit(None).cast("int"))
            .otherwise(F.coalesce((next_opening <= horizon_end).cast("int"), F.lit(0)))
            .alias("failure"),
            F.coalesce(F.col("in_proceeding"), F.lit(False)).alias("in_proceeding_known"),
            next_opening.alias("next_opening"),
        )
    )
