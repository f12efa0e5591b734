"""Social-contribution debts (SOURCES.md section 2): employee and employer shares at each month.

A history step counts from its effective month (processing date, the next month after the 20th:
`sources/urssaf_debit.py` owns that rule, the same that fills the bronze `periode_prise_en_compte`)
and never before its batch. A debt's state at t is its known step with the highest history number;
it is carried forward until the next step, and attached to the SIREN of that step's SIRET (a debt
moved to another establishment leaves the old one). Firm totals are running sums of the changes of
each debt's state, in whole centimes.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from signaux_spark.features.calendar import KEY, MONTH, batch_month, running_sum
from signaux_spark.features.states import DUE, VALUE, Carried, due_at
from signaux_spark.sources.urssaf_debit import effective_month

DEBT_KEY = ["numero_compte", "periode_debut", "numero_ecart_negatif"]


def _steps(debits: DataFrame) -> DataFrame:
    """(debt key, periode: the month the step counts from, step struct)."""
    return debits.select(
        *DEBT_KEY,
        F.greatest(effective_month(F.col("date_traitement")), batch_month()).alias(MONTH),
        F.struct(
            "numero_historique",
            "date_traitement",
            "batch",
            "line_number",
            KEY,
            F.round(F.col("dette_ouvriere") * 100).cast("long").alias("ouvriere"),
            F.round(F.col("dette_patronale") * 100).cast("long").alias("patronale"),
        ).alias("step"),
    )


def debt_states(debits: DataFrame, *, end: dt.date) -> DataFrame:
    """One row per debt and month its known state changes: debt key, periode, state struct
    (numero_historique, date_traitement, batch, line_number, siren, centimes ouvriere/patronale)."""
    steps = _steps(debits).where(F.col(MONTH) <= F.lit(end))
    per_month = steps.groupBy(*DEBT_KEY, MONTH).agg(F.max("step").alias("step"))
    so_far = Window.partitionBy(*DEBT_KEY).orderBy(MONTH).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return per_month.select(*DEBT_KEY, MONTH, F.max("step").over(so_far).alias("state"))


# The monthly run's state (features/states.py): each debt's latest step.
STEPS = Carried(
    "debits",
    "urssaf_debit",
    tuple(DEBT_KEY),
    lambda debits: _steps(debits).select(*DEBT_KEY, F.col(MONTH).alias(DUE), F.col("step").alias(VALUE)),
)


def debts_at(steps: DataFrame, period: dt.date) -> DataFrame:
    """siren, periode, dette_ouvriere, dette_patronale at `period` from the state STEPS: each debt's
    latest step counts for the SIREN of its SIRET."""
    totals = (
        due_at(steps, period)
        .groupBy(F.col("value.siren").alias(KEY))
        .agg(F.sum("value.ouvriere").alias("ouvriere"), F.sum("value.patronale").alias("patronale"))
    )
    return _in_euros(totals.withColumn(MONTH, F.lit(period)))


def _in_euros(totals: DataFrame) -> DataFrame:
    return totals.select(
        KEY,
        MONTH,
        (F.col("ouvriere") / 100).alias("dette_ouvriere"),
        (F.col("patronale") / 100).alias("dette_patronale"),
    )


def monthly_debts(debits: DataFrame, *, start: dt.date, end: dt.date) -> DataFrame:
    """siren, periode, dette_ouvriere, dette_patronale (EUR), dense from the firm's first debt."""
    states = debt_states(debits, end=end)
    previous = F.lag("state").over(Window.partitionBy(*DEBT_KEY).orderBy(MONTH))
    changes = states.select(MONTH, "state", previous.alias("previous"))
    delta = F.struct(F.lit(1).alias("sign"), F.col("state").alias("s"))
    undo = F.struct(F.lit(-1).alias("sign"), F.col("previous").alias("s"))
    deltas = (
        changes.select(MONTH, F.explode(F.array(delta, undo)).alias("d"))
        .where(F.col("d.s").isNotNull())
        .select(
            F.col("d.s.siren").alias(KEY),
            MONTH,
            (F.col("d.sign") * F.col("d.s.ouvriere")).alias("ouvriere"),
            (F.col("d.sign") * F.col("d.s.patronale")).alias("patronale"),
        )
    )
    return _in_euros(running_sum(deltas, ["ouvriere", "patronale"], start=start, end=end))
