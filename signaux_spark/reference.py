"""The reference tables shipped with the project (`paths.reference`, SOURCES.md 12): departments
and their regions, NAF divisions and their sections. Read here only; small enough for the driver.
No Spark import at module level: the export and the ingestion use them as plain dicts."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from signaux_spark.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEPARTEMENTS = "departement_region.csv"  # departement, libelle_departement, region, libelle_region
NAF_SECTIONS = "naf_sections.csv"  # division, section, libelle_section


def rows(settings: Settings, name: str) -> list[dict[str, str]]:
    """Every row of one reference table (UTF-8 CSV with a header), as column -> text."""
    with open(Path(settings.path("reference")) / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mapping(settings: Settings, name: str, key: str, value: str) -> dict[str, str]:
    """One column of a reference table by another, e.g. departement -> region."""
    return {r[key]: r[value] for r in rows(settings, name)}


def frames(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """The department and NAF tables as DataFrames of strings (for joins in the features)."""

    def frame(name: str) -> DataFrame:
        found = rows(settings, name)
        columns = list(found[0])
        return spark.createDataFrame(
            [tuple(r[c] for c in columns) for r in found], ", ".join(f"{c} string" for c in columns)
        )

    return frame(DEPARTEMENTS), frame(NAF_SECTIONS)


def labels(settings: Settings) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(departement -> name, region -> name, NAF section -> label): the names the exports print."""
    places = rows(settings, DEPARTEMENTS)
    return (
        {r["departement"]: r["libelle_departement"] for r in places},
        {r["region"]: r["libelle_region"] for r in places},
        mapping(settings, NAF_SECTIONS, "section", "libelle_section"),
    )
