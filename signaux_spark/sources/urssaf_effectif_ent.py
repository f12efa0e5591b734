"""urssaf_effectif_ent: firm headcount, wide file unpivoted to siren x month (SOURCES.md section 3)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField

from signaux_spark.sources import values as v
from signaux_spark.sources.common import bronze_schema
from signaux_spark.sources.contract import ParseContext, Source
from signaux_spark.sources.rows import LINE_COLUMNS, assemble, default_constraints, flag_set, on, raw, stage, with_raw
from signaux_spark.sources.text import FileKind, Layout

SOURCE = "urssaf_effectif_ent"
FILE_NAME = "sigfaible_effectif_siren.csv"
# The fixed columns; between them, one column per month named `eff` + YYYYQM (M in 1..3).
RAW_COLUMNS = ["siren", "rais_soc"]
MONTH_PREFIX = "eff"
EXTRACTION_DAY = 20


def month_column(name: str) -> str | None:
    """`eff202411` -> "2024-01-01" (YYYYQM with M the month within quarter Q); None otherwise."""
    match = re.fullmatch(r"eff(\d{4})([1-4])([1-3])", name.strip(), re.IGNORECASE)
    if not match:
        return None
    year, quarter, month = (int(g) for g in match.groups())
    return f"{year:04d}-{3 * (quarter - 1) + month:02d}-01"


LAYOUT = Layout(
    encoding="utf-8",
    sep=";",
    quoting="lazy",
    kinds=(
        FileKind(
            "main",
            re.escape(FILE_NAME),
            tuple(RAW_COLUMNS),
            wide_prefix=MONTH_PREFIX,
            wide_column=month_column,
            repair_column="rais_soc",
        ),
    ),
)

BRONZE_SCHEMA = bronze_schema(
    StructField("siren", StringType(), False),
    StructField("periode", DateType(), False),
    StructField("effectif", IntegerType(), False),
    StructField("rais_soc", StringType(), True),
)
# Cell level: a blank cell is not stored, so it never erases a value delivered earlier.
RECORD_KEY = ["siren", "periode"]
CONSTRAINTS = default_constraints(BRONZE_SCHEMA) | {"effectif_not_negative": "effectif >= 0"}


def parse(records: DataFrame, context: ParseContext) -> DataFrame:
    """One row per line, its cells kept as split (column, periode, value); `split_cells` types them."""
    df, p = stage(with_raw(records, RAW_COLUMNS, keep=["cells"]), siren=v.require(raw("siren"), v.siren(raw("siren"))))
    return assemble(
        df,
        BRONZE_SCHEMA,
        values={"siren": p.siren.value, "rais_soc": raw("rais_soc")},
        rules=[on("siren", p.siren)],
        flags=list(p.siren.flags),
        keep=["cells"],
    ).drop("periode", "effectif")


def split_cells(lines: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(bronze rows, reject rows): accepted lines unpivoted to one row per non-blank valid cell;
    line rejects plus one `invalid_headcount` reject per bad cell, the rest of its line kept. The cells
    are typed once exploded, where Spark generates code: typed inside the array (a lambda of
    `F.transform`), every value went through the interpreter, which in Spark 4.2 also reads the
    session's settings for each field it reads."""
    line = [c for c in lines.columns if c != "cells"]
    accepted = lines.filter(F.col("reason").isNull()).select(*line, F.inline("cells"))  # + column, periode, value
    count = v.headcount(F.col("value"))
    accepted = accepted.withColumns(
        {"effectif": count.value, "cell_reason": count.problem, "cell_flag": count.flags[0]}
    )
    rows = accepted.filter(F.col("cell_reason").isNull()).select(
        "siren",
        F.to_date("periode").alias("periode"),
        "effectif",
        "rais_soc",
        "batch",
        "source_file",
        "line_number",
        flag_set(F.concat("quality_flags", F.array("cell_flag"))).alias("quality_flags"),
    )
    cell_rejects = accepted.filter(F.col("cell_reason").isNotNull()).select(
        "batch",
        "source_file",
        "line_number",
        "raw_line",
        F.col("cell_reason").alias("reason"),
        F.concat("column", F.lit("="), "value").alias("detail"),
    )
    line_rejects = lines.filter(F.col("reason").isNotNull()).select(
        "batch", "source_file", "line_number", *LINE_COLUMNS
    )
    return rows, line_rejects.unionByName(cell_rejects)


SPEC = Source(SOURCE, FILE_NAME, LAYOUT, BRONZE_SCHEMA, RECORD_KEY, CONSTRAINTS, parse, split_rows=split_cells)
