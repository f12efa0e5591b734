"""Assemble a source's line-level frame from split records (`text.py`) and parsed values
(`values.py`): typed bronze columns, lineage, quality flags, and the first reject reason.

Every source module's `parse` returns such a frame: one row per data record, `reason` null for an
accepted line, otherwise its reject reason and `detail`; `raw_line` kept for the rejects table.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from signaux_spark.sources.common import LINEAGE_FIELDS
from signaux_spark.sources.values import Parsed, no_problem
from signaux_spark.sql_text import identifier

LINE_COLUMNS = ["raw_line", "reason", "detail"]


def stage(df: DataFrame, **parsed: Parsed) -> tuple[DataFrame, SimpleNamespace]:
    """Evaluate each parsed value once per row, as columns: its helper columns, then its problem,
    then its value and flags where the problem is null. A value feeds the row's columns, rules and flags, and Spark
    does not share sub-expressions between the branches of a CASE: without this, an identifier's
    checks would run once per use. Returns the frame and the same names reading those columns."""
    for level in range(max((len(p.needs) for p in parsed.values()), default=0)):
        df = df.withColumns(
            {
                name: expression
                for p in parsed.values()
                if level < len(p.needs)
                for name, expression in p.needs[level].items()
            }
        )
    problems = {f"_{name}_problem": p.problem for name, p in parsed.items() if p.problem is not None}
    df = df.withColumns(problems) if problems else df
    columns, staged = {}, {}
    for name, p in parsed.items():
        ok = F.col(f"_{name}_problem").isNull() if p.problem is not None else F.lit(True)
        columns[f"_{name}_value"] = F.when(ok, p.value)
        columns.update({f"_{name}_flag{i}": F.when(ok, f) for i, f in enumerate(p.flags)})
        staged[name] = Parsed(
            F.col(f"_{name}_value"),
            F.col(f"_{name}_problem") if p.problem is not None else None,
            tuple(F.col(f"_{name}_flag{i}") for i in range(len(p.flags))),
        )
    return df.withColumns(columns), SimpleNamespace(**staged)


RECORD_COLUMNS = ["batch", "source_file", "file_kind", "line_number", "raw_line", "reason", "detail", "flags"]


def with_raw(records: DataFrame, columns: Sequence[str], keep: Sequence[str] = ()) -> DataFrame:
    """The records' lineage and split outcome, with their `fields` as a struct `raw` holding one
    field per layout column (by name); other columns of the split are dropped, but `keep`."""
    fields = ", ".join(f"get(fields, {i}) AS {identifier(name)}" for i, name in enumerate(columns))
    return records.select(*RECORD_COLUMNS, *keep, F.expr(f"struct({fields})").alias("raw"))


def raw(name: str) -> Column:
    """A layout column of `with_raw`'s struct, in one call to the JVM (the sources read over 200 of them)."""
    return F.col(f"raw.{identifier(name)}")


def on(name: str, parsed: Parsed) -> tuple[Column, Column]:
    """A reject rule from a parsed raw column: its problem, detailed by the column and raw value."""
    problem = no_problem() if parsed.problem is None else parsed.problem
    return problem, F.concat(F.lit(f"{name}="), F.coalesce(raw(name), F.lit("")))


def rule(condition_failed: Column, reason: str, detail: Column | str) -> tuple[Column, Column]:
    """A reject rule across columns (`invalid_interval`...)."""
    return F.when(condition_failed, F.lit(reason)), detail if isinstance(detail, Column) else F.lit(detail)


def assemble(
    records: DataFrame,
    schema: StructType,
    values: dict[str, Column],
    rules: Sequence[tuple[Column, Column]],
    flags: Sequence[Column] = (),
    keep: Sequence[str] = (),
) -> DataFrame:
    """The line-level frame: the bronze columns of `schema` (from `values`), lineage, quality flags,
    and the first failing rule's reason (a reason from the split, such as `wrong_field_count`, first).
    `keep` names extra columns carried along. `ingest_run_id` is left to the ingestion, which knows the run."""
    first = F.coalesce(
        F.when(F.col("reason").isNotNull(), F.struct(F.col("reason").alias("reason"), F.col("detail").alias("detail"))),
        *[
            F.when(problem.isNotNull(), F.struct(problem.alias("reason"), detail.alias("detail")))
            for problem, detail in rules
        ],
    )
    lineage = {f.name for f in LINEAGE_FIELDS}
    data = [
        F.lit(None).cast(f.dataType).alias(f.name)
        if f.name not in values
        else values[f.name].cast(f.dataType).alias(f.name)
        for f in schema.fields
        if f.name not in lineage
    ]
    quality = flag_set(F.concat(F.col("flags"), F.array(*flags, F.lit(None).cast("string"))))
    return records.select(
        *data,
        "batch",
        "source_file",
        "line_number",
        quality.alias("quality_flags"),
        "raw_line",
        first.getField("reason").alias("reason"),
        first.getField("detail").alias("detail"),
        *keep,
    )


def flag_set(flags: Column) -> Column:
    """`flags` without nulls or repeats, in their order. In generated code: `array_compact` is a
    lambda, which Spark evaluates value by value in its interpreter."""
    return F.array_except(flags, F.array(F.lit(None).cast("string")))


def default_constraints(schema: StructType) -> dict[str, str]:
    """CHECK constraints every bronze table with these columns gets (SOURCES.md 0.3, 0.5)."""
    names = set(schema.fieldNames())
    checks = {
        "batch_is_month": "batch RLIKE '^[0-9]{4}-(0[1-9]|1[0-2])$'",
        "line_number_positive": "line_number >= 1",
    }
    if "siren" in names:
        checks["siren_9_digits"] = "siren RLIKE '^[0-9]{9}$'"
    if "siret" in names:
        field = schema["siret"]
        null_ok = "siret IS NULL OR " if field.nullable else ""
        checks["siret_14_digits_of_siren"] = (
            f"{null_ok}(siret RLIKE '^[0-9]{{14}}$' AND substring(siret, 1, 9) = siren)"
        )
    for name in ("periode", "periode_debut", "periode_fin", "periode_prise_en_compte"):
        if name in names:
            checks[f"{name}_month_start"] = f"{name} IS NULL OR dayofmonth({name}) = 1"
    return checks
