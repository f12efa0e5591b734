"""Deliveries against their history: a normal batch is all ok; a missing source, a halved source
and a reject rate far above its history are critical; a quarterly source off its months is fine."""

from __future__ import annotations

import pandas as pd
import pytest

from signaux_spark.config import MonitoringSettings
from signaux_spark.ingest import REPORT_SCHEMA
from signaux_spark.monitoring.deliveries import delivery_figures, delivery_findings, firms_by_batch
from signaux_spark.monitoring.findings import CRITICAL, OK, WARNING

BATCHES = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]
NOW = "2025-01"
CONF = MonitoringSettings()


def figures(overrides: dict | None = None, drop=()) -> pd.DataFrame:
    """Three sources over 13 batches with a little noise; `overrides`: (source, batch) -> values."""
    rows = []
    for i, batch in enumerate(BATCHES):
        wobble = (-1) ** i * (i % 4) * 10
        for source, lines in (("urssaf_debit", 1000), ("altares_paydex", 400)):
            rows.append(
                {
                    "source": source,
                    "batch": batch,
                    "status": "loaded",
                    "message": None,
                    "lines": lines + wobble,
                    "accepted": lines + wobble - 5,
                    "rejected": 5,
                    "firms": lines // 2 + wobble,
                }
            )
        if batch[5:] in ("01", "04", "07", "10"):
            rows.append(
                {
                    "source": "urssaf_effectif_ent",
                    "batch": batch,
                    "status": "loaded",
                    "message": None,
                    "lines": 300 + wobble,
                    "accepted": 300 + wobble,
                    "rejected": 0,
                    "firms": 300 + wobble,
                }
            )
        else:
            rows.append(
                {
                    "source": "urssaf_effectif_ent",
                    "batch": batch,
                    "status": "no_delivery",
                    "message": None,
                    "lines": 0,
                    "accepted": 0,
                    "rejected": 0,
                    "firms": None,
                }
            )
    table = pd.DataFrame(rows)
    for (source, batch), values in (overrides or {}).items():
        where = (table["source"] == source) & (table["batch"] == batch)
        for k, v in values.items():
            table.loc[where, k] = v
    table = table[~table.apply(lambda r: (r["source"], r["batch"]) in drop, axis=1)]
    table["reject_rate"] = table["rejected"] / (table["accepted"] + table["rejected"]).where(lambda d: d > 0)
    return table.reset_index(drop=True)


SOURCES = ["urssaf_debit", "altares_paydex", "urssaf_effectif_ent"]


def run(table: pd.DataFrame, batch=NOW, expected=frozenset(SOURCES)):
    return {
        (f.subject, f.check): f
        for f in delivery_findings(table, batch=batch, sources=SOURCES, expected=set(expected), conf=CONF)
    }


def test_a_normal_batch_is_all_ok():
    found = run(figures())
    assert {f.status for f in found.values()} == {OK}
    assert set(found) == {(s, c) for s in SOURCES for c in ("lines", "accepted", "firms", "reject_rate")}
    assert found["urssaf_debit", "lines"].reference == pytest.approx(
        pd.Series([1000 + (-1) ** i * (i % 4) * 10 for i in range(12)]).median()
    )


def test_a_quarterly_source_off_its_months_is_ok_and_a_short_history_is_not_flagged():
    found = run(figures(), batch="2024-12", expected={"urssaf_debit", "altares_paydex"})
    assert found["urssaf_effectif_ent", "delivered"].status == OK
    early = run(figures({("urssaf_debit", "2024-03"): {"lines": 10}}), batch="2024-03")
    assert early["urssaf_debit", "lines"].status == OK and "too few" in early["urssaf_debit", "lines"].message


def test_a_missing_or_failed_source_is_critical():
    missing = run(figures(drop={("altares_paydex", NOW)}))
    assert missing["altares_paydex", "delivered"].status == CRITICAL
    assert "not ingested" in missing["altares_paydex", "delivered"].message
    failed = run(figures({("urssaf_debit", NOW): {"status": "failed", "message": "bad header"}}))
    assert failed["urssaf_debit", "delivered"].status == CRITICAL
    assert "bad header" in failed["urssaf_debit", "delivered"].message
    absent = run(figures({("urssaf_effectif_ent", NOW): {"status": "no_delivery"}}))
    assert absent["urssaf_effectif_ent", "delivered"].status == CRITICAL
    others = [f for (s, _), f in missing.items() if s != "altares_paydex"]
    assert {f.status for f in others} == {OK}


def test_a_halved_source_is_critical_and_an_unusual_one_a_warning():
    halved = run(figures({("urssaf_debit", NOW): {"lines": 500, "accepted": 495, "firms": 250}}))
    assert halved["urssaf_debit", "lines"].status == CRITICAL
    assert halved["urssaf_debit", "accepted"].status == CRITICAL and halved["urssaf_debit", "firms"].status == CRITICAL
    assert "partial delivery" in halved["urssaf_debit", "lines"].message
    assert halved["altares_paydex", "lines"].status == OK
    doubled = run(figures({("urssaf_debit", NOW): {"lines": 2000}}))
    assert doubled["urssaf_debit", "lines"].status == WARNING
    slightly = run(figures({("urssaf_debit", NOW): {"lines": 1100}}))
    assert slightly["urssaf_debit", "lines"].status == OK


def test_a_reject_rate_far_above_its_history_is_critical():
    far = run(figures({("altares_paydex", NOW): {"accepted": 340, "rejected": 60}}))
    assert far["altares_paydex", "reject_rate"].status == CRITICAL
    assert far["altares_paydex", "reject_rate"].value == pytest.approx(60 / 400)
    above = run(figures({("altares_paydex", NOW): {"accepted": 384, "rejected": 16}}))
    assert above["altares_paydex", "reject_rate"].status == WARNING


def test_figures_come_from_the_ingest_report_and_the_bronze_sirens(spark):
    def unit(source, batch, status, read, accepted, rejected):
        return {f.name: None for f in REPORT_SCHEMA.fields} | {
            "run_id": "r",
            "batch": batch,
            "source": source,
            "status": status,
            "files": [],
            "file_flags": [],
            "warnings": [],
            "lines_read": read,
            "header_lines": 1,
            "trailer_lines": 0,
            "blank_lines": 0,
            "duplicates_dropped": 0,
            "accepted_lines": accepted,
            "rejected_lines": rejected,
            "rows_written": accepted,
            "rejects_by_reason": {},
            "file_lines": [],
            "elapsed_seconds": 1.0,
        }

    report = spark.createDataFrame(
        [
            unit("urssaf_debit", "2024-11", "loaded", 11, 8, 2),
            unit("urssaf_debit", "2024-12", "loaded", 5, 4, 0),
            unit("urssaf_debit", "2023-01", "loaded", 99, 90, 8),
            unit("urssaf_procol", "2024-12", "loaded", 1, 0, 0),
        ],
        REPORT_SCHEMA,
    )
    bronze = spark.createDataFrame(
        [
            ("2024-11", "000000101"),
            ("2024-11", "000000101"),
            ("2024-11", "000000102"),
            ("2024-12", "000000103"),
            ("2023-01", "000000104"),
        ],
        "batch string, siren string",
    )
    tables = {"urssaf_debit": bronze, "urssaf_procol": bronze.limit(0)}  # a month without any proceeding
    table = delivery_figures(
        report, firms_by_batch(tables, ["2024-11", "2024-12"]), ["2024-11", "2024-12"]
    ).sort_values(["source", "batch"])
    assert table[["source", "batch", "lines", "accepted", "rejected", "firms"]].values.tolist() == [
        ["urssaf_debit", "2024-11", 11, 8, 2, 2],
        ["urssaf_debit", "2024-12", 5, 4, 0, 1],
        ["urssaf_procol", "2024-12", 1, 0, 0, 0],
    ]
    assert table["reject_rate"].tolist()[:2] == pytest.approx([0.2, 0.0])


def test_small_sources_moving_within_counting_noise_are_not_flagged():
    small = pd.DataFrame(
        [
            {
                "source": "urssaf_procol",
                "batch": b,
                "status": "loaded",
                "message": None,
                "lines": 20 + (i % 3) * 2,
                "accepted": 20 + (i % 3) * 2,
                "rejected": 0,
                "firms": 20,
            }
            for i, b in enumerate(BATCHES[:-1])
        ]
        + [
            {
                "source": "urssaf_procol",
                "batch": NOW,
                "status": "loaded",
                "message": None,
                "lines": 11,
                "accepted": 9,
                "rejected": 2,
                "firms": 11,
            }
        ]
    )
    small["reject_rate"] = small["rejected"] / (small["accepted"] + small["rejected"])
    found = {
        f.check: f
        for f in delivery_findings(small, batch=NOW, sources=["urssaf_procol"], expected={"urssaf_procol"}, conf=CONF)
    }
    assert found["lines"].value == 11 and found["lines"].status == OK  # 11 against 22: 2.3 sd of Poisson noise
    assert found["reject_rate"].value == pytest.approx(2 / 11) and found["reject_rate"].status == OK  # 2 rejects
    gone = small.assign(lines=small["lines"].where(small["batch"] != NOW, 0))
    found = delivery_findings(gone, batch=NOW, sources=["urssaf_procol"], expected={"urssaf_procol"}, conf=CONF)
    assert {f.check: f for f in found}["lines"].status == CRITICAL
