"""The lake's table names (paths under `paths.lake`), each declared once. Stages that let a
setting choose a table (`model.feature_table`, `score.table`, ...) take these as defaults; the
others use them directly. No Spark here: config.py and the portal import it."""

from __future__ import annotations

# bronze: one table per source (`bronze(source)`), plus what ingestion refuses and reports.
REJECTS = "bronze/rejects"
INGEST_REPORT = "bronze/ingest_report"

# silver: the registry and the dense firm x month grid of monthly signals.
FIRMS = "silver/firms"
FIRM_MONTHS = "silver/firm_months"
# silver/states/<name>: what a carried signal knows at each month (features/states.py).
STATES = "silver/states"

# gold: model inputs, labels, scores, monitoring findings and the regions' feedback.
FEATURES = "gold/features"
LABELS = "gold/labels"
SCORES = "gold/scores"
MONITORING = "gold/monitoring"
FEEDBACK = "gold/feedback"

# ops: the monthly run record and its lease.
RUNS = "ops/runs"
LEASE = "ops/lease"

# What the features stage writes (silver and gold), in the order it writes them.
FEATURE_TABLES = (FIRMS, FIRM_MONTHS, FEATURES, LABELS)


def bronze(source: str) -> str:
    """The bronze table of a source (its module name in `sources/`)."""
    return f"bronze/{source}"


def state(name: str) -> str:
    """The table of a carried signal's state (`features/states.py`)."""
    return f"{STATES}/{name}"
