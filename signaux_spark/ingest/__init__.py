"""Ingestion: deliveries into the bronze tables. `run.py` orchestrates (one Spark read and split for
every file, then each source typed, counted and written), `split.py` is the Spark side of the split
(`sources/text.py`), `report.py` the ingest report. What a source gives ingestion is the contract
`sources/contract.py`; ingestion knows no source by name."""

from signaux_spark.ingest.report import REPORT_SCHEMA, REPORT_TABLE, IngestReport, UnitReport
from signaux_spark.ingest.run import REJECTS_TABLE, SPECS, ingest

__all__ = [
    "REJECTS_TABLE",
    "REPORT_SCHEMA",
    "REPORT_TABLE",
    "SPECS",
    "IngestReport",
    "UnitReport",
    "ingest",
]
