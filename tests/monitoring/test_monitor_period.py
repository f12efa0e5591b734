"""The monitor step on a small lake (the tiny registered model, two scored months, an ingest report
of 13 batches): findings of every family written to gold/monitoring and replaced on a rerun; the
export renders the monitoring page and links it from the national summary; a halved delivery is
critical and stops with one line; a model without a feature reference gives a warning, not a crash."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil

import pytest

from signaux_spark import tables
from signaux_spark.errors import JobError
from signaux_spark.export.publish import export_period
from signaux_spark.ingest import REPORT_SCHEMA
from signaux_spark.io import Lake
from signaux_spark.monitoring.features import REFERENCE_ARTIFACT
from signaux_spark.monitoring.findings import CRITICAL, FAMILIES, OK, WARNING
from signaux_spark.monitoring.run import monitor_period, verdict
from signaux_spark.scoring.score import score_period
from signaux_spark.sources import SOURCES
from tests.scoring.scoring_kit import RISKY, SAFE, features_frame, firms_frame, settings_for, tiny_model

pytestmark = pytest.mark.slow  # monitors a generated lake: make test-fast leaves it out

P1, P2 = dt.date(2020, 2, 1), dt.date(2020, 3, 1)
BATCHES = [f"2019-{m:02d}" for m in range(3, 13)] + ["2020-01", "2020-02", "2020-03"]
PLACES = {f"00000010{i}": ("69", "84") if i < 5 else ("75", "11") for i in range(1, 9)}


def report_rows(lines: dict[str, int]):
    """Every source loaded in every batch, `lines[source]` lines (100 by default), 1 % rejected."""
    rows = []
    for batch in BATCHES:
        for source in SOURCES:
            n = lines.get((source, batch), 100 + int(batch[-2:]))
            rows.append(
                {f.name: None for f in REPORT_SCHEMA.fields}
                | {
                    "run_id": "r",
                    "batch": batch,
                    "source": source,
                    "status": "loaded",
                    "files": [],
                    "file_flags": [],
                    "warnings": [],
                    "lines_read": n,
                    "header_lines": 0,
                    "trailer_lines": 0,
                    "blank_lines": 0,
                    "duplicates_dropped": 0,
                    "accepted_lines": n - n // 100,
                    "rejected_lines": n // 100,
                    "rows_written": n,
                    "rejects_by_reason": {},
                    "file_lines": [],
                    "elapsed_seconds": 1.0,
                }
            )
    return rows


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    mlflow_dir, _ = tiny_model(spark, tmp_path_factory)
    root = tmp_path_factory.mktemp("monitor")
    settings = settings_for(root, mlflow_dir)
    lake = Lake(settings)
    profiles = [RISKY, SAFE, SAFE, SAFE, RISKY, SAFE, SAFE, SAFE]
    firms = [
        {"siren": s, "departement": d, "region": r, **p}
        for (s, (d, r)), p in zip(PLACES.items(), profiles, strict=True)
    ]
    months = [features_frame(spark, firms, period) for period in (P1, P2)]
    lake.write(months[0].unionByName(months[1]), tables.FEATURES, partition_by=["periode"])
    lake.write(firms_frame(spark, PLACES), tables.FIRMS)
    for period in (P1, P2):
        score_period(spark, settings, period)
    lake.write(spark.createDataFrame(report_rows({}), REPORT_SCHEMA), tables.INGEST_REPORT)
    sirens = spark.createDataFrame([(b, s) for b in BATCHES for s in PLACES], "batch string, siren string")
    for source in SOURCES:
        lake.write(sirens, tables.bronze(source))
    return settings


def test_a_normal_month_writes_every_family_and_a_rerun_replaces_it(spark, lake):
    first = monitor_period(spark, lake, P2, run_id="run-1")
    assert {f.family for f in first.findings} == set(FAMILIES)
    assert not first.of(CRITICAL)
    deliveries = [f for f in first.findings if f.family == "deliveries"]
    assert len(deliveries) == 4 * len(SOURCES) and {f.status for f in deliveries} == {OK}
    assert any(f.check == "psi" and f.subject == "France" for f in first.findings)
    outcome = next(f for f in first.findings if f.family == "outcomes")
    assert outcome.status == OK and "no scored month has observed outcomes" in outcome.message
    verdict(first, accept_critical=False)  # no critical: does not raise

    again = monitor_period(spark, lake, P2, run_id="run-2")
    table = Lake(lake).read(spark, lake.monitoring.table)
    assert table.where("periode = '2020-03-01'").count() == len(again.findings) == len(first.findings)
    assert {r[0] for r in table.select("run_id").distinct().collect()} == {"run-2"}


def test_the_export_renders_the_page_and_the_summary_links_it(spark, lake):
    monitor_period(spark, lake, P2)
    manifest = export_period(spark, lake, P2)
    national = pathlib.Path(lake.path("exports")) / "2020-03" / "national"
    page = (national / "surveillance_2020-03.html").read_text(encoding="utf-8")
    summary = (national / "synthese_nationale_2020-03.html").read_text(encoding="utf-8")
    assert '<a href="surveillance_2020-03.html">' in summary
    assert "Livraisons des sources" in page and "urssaf_debit" in page and "Scores du mois" in page
    assert manifest["monitoring"]["critical"] == 0 and sum(manifest["monitoring"].values()) > 4 * len(SOURCES)
    listed = json.loads((national / "manifest.json").read_text())["files"]
    assert "surveillance_2020-03.html" in {f["name"] for f in listed}


def test_a_halved_delivery_is_critical_and_stops_with_one_line(spark, lake):
    halved = report_rows({("urssaf_debit", "2020-03"): 50})
    Lake(lake).write(spark.createDataFrame(halved, REPORT_SCHEMA), tables.INGEST_REPORT)
    try:
        result = monitor_period(spark, lake, P2)
        critical = result.of(CRITICAL)
        assert [(f.subject, f.check) for f in critical] == [("urssaf_debit", "lines"), ("urssaf_debit", "accepted")]
        with pytest.raises(JobError, match=r"2 critical check\(s\), export stopped: urssaf_debit lines 50 "):
            verdict(result, accept_critical=False)
        verdict(result, accept_critical=True)
    finally:
        Lake(lake).write(spark.createDataFrame(report_rows({}), REPORT_SCHEMA), tables.INGEST_REPORT)


def test_a_model_without_a_feature_reference_gets_a_warning_not_a_crash(spark, lake):
    (stored,) = pathlib.Path(lake.path("mlflow")).rglob(REFERENCE_ARTIFACT.split("/")[-1])
    kept = stored.with_suffix(".kept")
    shutil.move(stored, kept)
    try:
        result = monitor_period(spark, lake, P2)
    finally:
        shutil.move(kept, stored)
    features = [f for f in result.findings if f.family == "features"]
    assert [(f.status, f.check) for f in features] == [(WARNING, "psi")]
    assert "has no feature reference" in features[0].message
