"""The file layer of the exports: French CSV, reproducible workbooks, hostile names, atomic writes,
publishing a month in one atomic step (locally and through Hadoop's FileSystem) with restricted
permissions, and the French wording. Kills and concurrent exports: test_export_publication.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pathlib
import stat
import time

import openpyxl
import pandas as pd
import pytest

from signaux_spark.config import ConfigError, load_settings
from signaux_spark.export import files, labels
from signaux_spark.export.lists import Column
from signaux_spark.export.manifest import write_manifest
from signaux_spark.export.published import POINTER, PUBLICATIONS, month_folder

COLUMNS = [
    Column("siren", "siren", "SIREN"),
    Column("nom", "raison sociale", "nom"),
    Column("p", "probabilité (%)", "", "%", "percent"),
    Column("dette", "dette sociale", "", "€", "euros"),
    Column("n", "dernier effectif", "", "", "int"),
    Column("d", "création", "", "", "date"),
]
TABLE = pd.DataFrame(
    {
        "siren": ["000000001", "000000002"],
        "nom": ["DUPONT; FILS", 'ÉTS "L\'ÉCLAIR"'],
        "p": [15.35, None],
        "dette": [12500.0, 0.0],
        "n": [12.0, float("nan")],
        "d": [dt.date(2001, 5, 3), None],
    }
)
STAMP = dt.datetime(2020, 3, 1)


def test_csv_opens_in_a_french_spreadsheet():
    data = files.csv_bytes(TABLE, COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "siren;raison sociale;probabilité (%);dette sociale;dernier effectif;création"
    assert lines[1] == '000000001;"DUPONT; FILS";15,35;12500,00;12;03/05/2001'
    assert lines[2] == '000000002;"ÉTS ""L\'ÉCLAIR""";;0,00;;'
    assert lines[3] == ""


def test_workbook_is_the_same_bytes_whenever_it_is_written():
    sheets = [
        ("Liste", COLUMNS, list(TABLE.itertuples(index=False, name=None))),
        ("Notice", [], [["titre"], ["a", "b"]]),
    ]
    first = files.xlsx_bytes(sheets, STAMP)
    time.sleep(1.1)  # the clock moves on: nothing of it may reach the file
    assert files.xlsx_bytes(sheets, STAMP) == first
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["Liste", "Notice"]
    sheet = book["Liste"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert [c.value for c in sheet[2]] == ["000000001", "DUPONT; FILS", 15.35, 12500.0, 12, dt.datetime(2001, 5, 3)]
    assert [c.value for c in sheet[3]][2:5] == [None, 0.0, None]
    assert sheet["D2"].number_format == "# ##0 €" and sheet.auto_filter.ref == "A1:F3"
    assert book.properties.modified == STAMP and book.properties.created == STAMP


HOSTILE = [
    '=HYPERLINK("http://x","cliquez ici")',
    "=1+1",
    "+33 CONSEIL",
    "-DUPONT",
    "@SOMME(A1)",
    "\tTAB",
    "\rCR",
    "CTRL\x01SA",
    "VT\x0bSARL",
    "SANS DANGER",
]


def test_hostile_names_are_text_in_the_workbook_and_neutralised_in_the_csv():
    """A name that looks like a formula stays a name: a text cell in the workbook, a value behind a
    quote in the CSV; a control character is replaced in the workbook only (openpyxl refuses it)."""
    table = pd.DataFrame({"siren": [f"00000000{i}" for i in range(len(HOSTILE))], "nom": HOSTILE})
    columns = COLUMNS[:2]
    book = openpyxl.load_workbook(
        io.BytesIO(
            files.xlsx_bytes(
                [
                    ("Liste", columns, list(table.itertuples(index=False, name=None))),
                    ("Notice", [], [["Modèle", "=2+2"]]),
                ],
                STAMP,
            )
        )
    )
    cells = [row[1] for row in book["Liste"].iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * len(HOSTILE)
    # (an XML reader reads a carriage return back as a line feed)
    assert [c.value for c in cells] == [
        n.replace("\x01", "\ufffd").replace("\x0b", "\ufffd").replace("\r", "\n") for n in HOSTILE
    ]
    assert book["Notice"]["B1"].data_type == "s" and book["Notice"]["B1"].value == "=2+2"
    rows = list(csv.reader(io.StringIO(files.csv_bytes(table, columns).decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["'" + n for n in HOSTILE[:7]] + HOSTILE[7:]


def test_write_atomic_replaces_a_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "list.csv"
    files.write_atomic(target, b"old")
    files.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["list.csv"]


def test_write_atomic_goes_through_a_temporary_name_and_a_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "list.csv"
    files.write_atomic(target, b"previous")
    renamed = []

    def refuse(source, destination):
        renamed.append((pathlib.Path(source), pathlib.Path(source).read_bytes(), pathlib.Path(destination)))
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, b"new content")
    ((source, content, destination),) = renamed  # the whole file was under another name when renamed
    assert source.parent == tmp_path and source.name != target.name and content == b"new content"
    assert destination == target
    assert target.read_bytes() == b"previous"  # a reader still sees the whole previous file
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]  # the temporary is cleaned up


def writer(content: dict[str, bytes]):
    """A month's `write` function: the given files, then the manifest."""

    def write(folder):
        for name, data in content.items():
            files.write_atomic(folder / name, data)
        return write_manifest(folder, {"period": "2020-03"})

    return write


def test_publishing_a_month_replaces_it_whole(spark, tmp_path):
    files.publish_month(spark, str(tmp_path), "2020-03", writer({"84/a.csv": b"1", "84/old.csv": b"stale"}))
    first = month_folder(tmp_path, "2020-03")
    manifest, location = files.publish_month(
        spark, str(tmp_path), "2020-03", writer({"84/a.csv": b"2", "11/b.csv": b"3"})
    )
    month = month_folder(tmp_path, "2020-03")
    assert location == str(tmp_path / "2020-03") and month != first and not first.exists()
    assert os.readlink(tmp_path / "2020-03") == os.path.join(PUBLICATIONS, "2020-03", month.name)  # relative
    assert sorted(str(p.relative_to(month)) for p in month.rglob("*") if p.is_file()) == [
        "11/b.csv",
        "84/a.csv",
        "manifest.json",
    ]
    assert (month / "84" / "a.csv").read_bytes() == b"2"
    # nothing but the month's link, its one publication and the month's lock file
    assert sorted(p.name for p in tmp_path.iterdir()) == [PUBLICATIONS, "2020-03"]
    assert sorted(p.name for p in (tmp_path / PUBLICATIONS).iterdir()) == ["2020-03", "2020-03.lock"]
    assert [e["name"] for e in manifest["files"]] == ["11/b.csv", "84/a.csv"]
    assert manifest["files"][1]["sha256"] == "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"


def test_exports_are_readable_by_their_group_only_and_the_modes_are_settings(spark, tmp_path):
    files.publish_month(spark, str(tmp_path), "2020-03", writer({"84/a.csv": b"1"}))
    month = month_folder(tmp_path, "2020-03")
    modes = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
        for p in [tmp_path / PUBLICATIONS, month.parent, month, *month.rglob("*")]
    }
    assert modes == {
        PUBLICATIONS: 0o750,
        f"{PUBLICATIONS}/2020-03": 0o750,
        f"{month.relative_to(tmp_path)}": 0o750,
        f"{month.relative_to(tmp_path)}/84": 0o750,
        f"{month.relative_to(tmp_path)}/84/a.csv": 0o640,
        f"{month.relative_to(tmp_path)}/manifest.json": 0o640,
    }
    files.publish_month(spark, str(tmp_path), "2020-03", writer({"84/a.csv": b"1"}), files.Modes(0o600, 0o700))
    month = month_folder(tmp_path, "2020-03")
    assert {stat.S_IMODE(p.stat().st_mode) for p in month.rglob("*") if p.is_file()} == {0o600}
    assert stat.S_IMODE((month / "84").stat().st_mode) == 0o700
    assert load_settings(overrides=["export.file_mode='0600'"]).export.permissions() == (0o600, 0o750)
    with pytest.raises(ConfigError, match="export.folder_mode' must be octal permissions"):
        load_settings(overrides=["export.folder_mode=rwxr-x---"])


def test_an_unversioned_month_folder_is_replaced_by_a_publication(spark, tmp_path):
    (tmp_path / "2020-03" / "84").mkdir(parents=True)
    (tmp_path / "2020-03" / "84" / "old.csv").write_bytes(b"before publications")
    files.publish_month(spark, str(tmp_path), "2020-03", writer({"84/a.csv": b"1"}))
    month = month_folder(tmp_path, "2020-03")
    assert (tmp_path / "2020-03").is_symlink() and sorted(p.name for p in (month / "84").iterdir()) == ["a.csv"]
    assert len(list((tmp_path / PUBLICATIONS / "2020-03").iterdir())) == 1


def test_publishing_through_hadoops_file_system(spark, tmp_path):
    remote = tmp_path / "remote"  # any Hadoop file system works the same way
    remote.mkdir()
    files._publish_hadoop(
        spark, remote.as_uri(), "2020-03", writer({"84/a.csv": b"1", "84/old.csv": b"x"}), files.Modes()
    )
    _, location = files._publish_hadoop(spark, remote.as_uri(), "2020-03", writer({"84/a.csv": b"2"}), files.Modes())
    token = (remote / PUBLICATIONS / f"2020-03{POINTER}").read_text()
    month = remote / PUBLICATIONS / "2020-03" / token
    assert location.endswith(f"{PUBLICATIONS}/2020-03/{token}")
    assert sorted(str(p.relative_to(month)) for p in month.rglob("*") if p.is_file()) == ["84/a.csv", "manifest.json"]
    assert (month / "84" / "a.csv").read_bytes() == b"2"
    assert [p.name for p in (remote / PUBLICATIONS / "2020-03").iterdir()] == [token]  # the previous one is gone
    assert stat.S_IMODE((month / "84" / "a.csv").stat().st_mode) == 0o640
    assert stat.S_IMODE((month / "84").stat().st_mode) == 0o750


@pytest.mark.parametrize(
    "name, label",
    [
        ("dette_sociale", "dette sociale"),
        ("dette_sociale_mean3m", "dette sociale (moyenne sur 3 mois)"),
        ("dette_sur_cotisation_12m_lag3m", "dette / cotisations sur 12 mois (il y a 3 mois)"),
        ("effectif_diff12m", "effectif (variation sur 12 mois)"),
        ("paydex_missing", "retard de paiement fournisseurs (paydex) non renseigné"),
        ("une_variable_inconnue_lag3m", "une_variable_inconnue_lag3m"),
    ],
)
def test_feature_labels_follow_the_naming_convention(name, label):
    assert labels.feature_label(name) == label


def test_french_numbers_and_legal_forms():
    assert (labels.number(12500.0), labels.number(0.354), labels.number(-1.2), labels.number(None)) == (
        "12\u202f500",
        "0,35",
        "-1,20",
        "",
    )
    assert labels.signed(0.854) == "+0,85" and labels.signed(-0.2) == "-0,20"
    assert labels.legal_form("5710") == "5710 - société par actions simplifiée (SAS)"
    assert labels.legal_form("5306") == "5306 - société commerciale"
    assert labels.legal_form(None) is None


def test_model_name_and_version_are_escaped_in_the_html_summaries():
    from signaux_spark.export import national, region
    from signaux_spark.export.lists import Disclosure
    from signaux_spark.scoring.score import LEVELS

    ctx = region.ExportContext(
        period=dt.date(2020, 3, 1),
        model_name="<script>alert('x')</script>",
        model_version='1"><img src=x onerror=alert(1)>',
        fort=0.5,
        modere=0.2,
        topics=[],
        disclosure=Disclosure(False, frozenset(), ()),
        departements={},
        sections={},
        regions={},
    )
    counts = {level: 0 for level in LEVELS}
    pages = [
        region.region_page(
            ctx, "t", pd.DataFrame({"evolution": []}), pd.DataFrame(), counts, {"new_alerts": 0, "exits": 0}
        ),
        national.page(
            ctx,
            "t",
            pd.DataFrame({"region": []}),
            pd.DataFrame(),
            {**counts, "scored": 0, "new_alerts": 0, "exits": 0, "without_region": 0},
        ),
    ]
    for text in pages:
        assert "<script" not in text and "<img" not in text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; version 1&quot;&gt;&lt;img" in text
