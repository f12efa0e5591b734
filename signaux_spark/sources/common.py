"""What every source shares: the lineage columns of bronze tables and the rejects table schema."""

from __future__ import annotations

from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

LINEAGE_FIELDS = [
    StructField("batch", StringType(), False),  # YYYY-MM of the delivery
    StructField("source_file", StringType(), False),
    StructField("line_number", LongType(), False),  # 1-based physical line; the header is line 1
    StructField("ingest_run_id", StringType(), False),
    StructField("quality_flags", ArrayType(StringType(), False), False),
]

# SOURCES.md 0.5: the only reasons a line (or a headcount cell) is refused.
REJECT_REASONS = (
    "wrong_field_count",
    "malformed_quotes",
    "missing_required_value",
    "invalid_siren",
    "invalid_siren_checksum",
    "invalid_siret",
    "provisional_siret",
    "invalid_date",
    "date_out_of_range",
    "invalid_period_code",
    "invalid_number",
    "negative_not_allowed",
    "invalid_interval",
    "unknown_procol_action",
    "ambiguous_procol_action",
    "invalid_headcount",
    "truncated_line",
)

REJECTS_SCHEMA = StructType(
    [
        StructField("source", StringType(), False),
        StructField("batch", StringType(), False),
        StructField("source_file", StringType(), False),
        StructField("line_number", LongType(), True),
        StructField("raw_line", StringType(), True),
        StructField("reason", StringType(), False),
        StructField("detail", StringType(), True),
        StructField("ingest_run_id", StringType(), False),
    ]
)


def bronze_schema(*fields: StructField) -> StructType:
    """A bronze table's schema: the source's typed columns followed by the lineage columns."""
    return StructType(list(fields) + LINEAGE_FIELDS)
