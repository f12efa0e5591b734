"""Ingestion: deliveries into the bronze tables. `run.py` orchestrates (one Spark read and split for
every file, then each source typed, counted and written), `split.py` is the Spark side of the split
(`sources/text.py`), `report.py` the ingest report. What a source gives ingestion is the contract
`sources/contract.py`; ingestion knows no source by name."""

from signaux_spark.ingest.report import REPORT_SCHEMA, IngestReport, UnitReport
from signaux_spark.ingest.run import SPECS, ingest

__all__ = [
    "REPORT_SCHEMA",
    "SPECS",
    "IngestReport",
    "UnitReport",
    "ingest",
]
