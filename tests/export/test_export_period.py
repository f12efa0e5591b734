"""Two months scored with the tiny model and exported: every region's folder, region isolation in
every file, manifests, what the second month says about the first, an exact replacement when a
month is exported again, the confidential fields, and the national summary."""

from __future__ import annotations

import csv
import datetime as dt
import json
import pathlib
import re

import openpyxl
import pytest

from signaux_spark import (
    cli,
    tables,
)
from signaux_spark.errors import JobError
from signaux_spark.export import files
from signaux_spark.export.publish import export_period
from signaux_spark.export.published import PUBLICATIONS, month_folder
from signaux_spark.io import Lake
from signaux_spark.reference import labels
from signaux_spark.scoring.score import score_period
from tests.helpers import job_main as job
from tests.scoring.scoring_kit import RISKY, SAFE, features_frame, firms_frame, probabilities, settings_for, tiny_model

pytestmark = pytest.mark.slow  # scores and exports a generated lake: make test-fast leaves it out

P1, P2 = dt.date(2020, 2, 1), dt.date(2020, 3, 1)
MID = {"dette_sociale": 3000.0, "dette_ratio": 1.0, "marge": 0.0, "paydex": 40.0}
PLACES = {
    "000000101": ("69", "84"),
    "000000102": ("01", "84"),
    "000000103": ("69", "84"),
    "000000104": ("75", "11"),
    "000000105": ("75", "11"),
    "000000106": ("2A", "94"),
    "000000107": ("75", "11"),
    "000000108": ("01", "84"),
}
MONTHS = {  # siren: (month 1, month 2)
    "000000101": (RISKY, RISKY),
    "000000102": (SAFE, RISKY),
    "000000103": (RISKY, SAFE),
    "000000104": (RISKY, {**RISKY, "in_proceeding": True, "proceeding_state": "Liquidation judiciaire"}),
    "000000105": (SAFE, SAFE),
    "000000106": (MID, MID),
    "000000107": (None, {**RISKY, "ebe_sur_ca": -0.37}),
    "000000108": (SAFE, {**SAFE, "in_perimeter": False}),
}


def snapshot(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exported(spark, tmp_path_factory):
    mlflow_dir, model = tiny_model(spark, tmp_path_factory)
    risky, safe, mid = probabilities(model, spark, [RISKY, SAFE, MID])
    assert risky >= model.fort and model.modere <= mid < model.fort and safe < model.modere  # the profiles' levels
    root = tmp_path_factory.mktemp("export")
    settings = settings_for(root, mlflow_dir)
    lake = Lake(settings)
    months = [
        features_frame(
            spark,
            [
                {"siren": s, "departement": PLACES[s][0], "region": PLACES[s][1], **values[i]}
                for s, values in MONTHS.items()
                if values[i] is not None
            ],
            period,
        )
        for i, period in enumerate((P1, P2))
    ]
    lake.write(months[0].unionByName(months[1]), tables.FEATURES, partition_by=["periode"])
    lake.write(firms_frame(spark, PLACES), tables.FIRMS)
    for period in (P1, P2):
        score_period(spark, settings, period)
    export_period(spark, settings, P1)
    manifest = export_period(spark, settings, P2)
    exports = root / "exports"
    first = snapshot(month_folder(exports, "2020-03"))
    (month_folder(exports, "2020-03") / "84" / "stale.txt").write_text("from an earlier run")
    code = cli.run(job("export"), ["--period", "2020-03", f"paths.root={root}", "spark.master=local[2]"])
    second = snapshot(month_folder(exports, "2020-03"))
    shown = settings_for(
        root,
        mlflow_dir,
        [
            "export.include_confidential=true",
            "export.financial_columns=[ebe_sur_ca]",
            "paths.exports=exports_confidential",
        ],
    )
    export_period(spark, shown, P2)
    return {
        "root": root,
        "settings": settings,
        "manifest": manifest,
        "month": month_folder(exports, "2020-03"),
        "first": first,
        "second": second,
        "code": code,
        "confidential": month_folder(root / "exports_confidential", "2020-03"),
    }


def left_in(exports: pathlib.Path) -> list[str]:
    """What an exports folder holds: its entries and the publications kept of each month."""
    store = exports / PUBLICATIONS
    return sorted(
        [p.name for p in exports.iterdir()]
        + [f"{m.name}/{len(list(m.iterdir()))}" for m in store.iterdir() if m.is_dir()]
    )


def region_files(folder: pathlib.Path, region: str) -> dict[str, object]:
    """Each file of a region folder, read back: CSV rows, workbook rows, JSON document, HTML text."""
    base = folder / region
    with open(base / f"signaux_faibles_{region}_2020-03.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    book = openpyxl.load_workbook(base / f"signaux_faibles_{region}_2020-03.xlsx")
    sheet = list(book["Liste"].values)
    return {
        "csv": rows,
        "xlsx": [dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]],
        "json": json.loads((base / f"signaux_faibles_{region}_2020-03.json").read_text(encoding="utf-8")),
        "html": (base / f"synthese_{region}_2020-03.html").read_text(encoding="utf-8"),
        "manifest": json.loads((base / "manifest.json").read_text(encoding="utf-8")),
    }


def test_every_region_gets_its_files_and_the_job_succeeds(exported):
    _, regions, _ = labels(exported["settings"])
    assert exported["code"] == 0
    assert sorted(p.name for p in exported["month"].iterdir()) == sorted(regions) + ["national"]
    for region in regions:
        assert sorted(p.name for p in (exported["month"] / region).iterdir()) == sorted(
            [
                "manifest.json",
                f"signaux_faibles_{region}_2020-03.csv",
                f"signaux_faibles_{region}_2020-03.json",
                f"signaux_faibles_{region}_2020-03.xlsx",
                f"synthese_{region}_2020-03.html",
            ]
        )


def test_a_region_folder_holds_only_firms_whose_head_office_is_in_that_region(exported):
    departements, regions, _ = labels(exported["settings"])
    region_of = {d: r for d, r in (("69", "84"), ("01", "84"), ("75", "11"), ("2A", "94"))}
    listed = set()
    for region in regions:
        f = region_files(exported["month"], region)
        mine = {s for s, (_, r) in PLACES.items() if r == region}
        sirens = {r["siren"] for r in f["csv"]}
        assert sirens <= mine and {r["siren"] for r in f["xlsx"]} == sirens
        assert {e["siren"] for e in f["json"]["entreprises"]} == sirens
        assert set(re.findall(r"\b\d{9}\b", f["html"])) <= mine
        assert {region_of[r["département"]] for r in f["csv"]} <= {region}
        assert {region_of[e["departement"]] for e in f["json"]["entreprises"]} <= {region}
        assert f["manifest"]["region"] == region == f["json"]["region"]["code"]
        listed |= sirens
    assert listed == {"000000101", "000000102", "000000103", "000000104", "000000106", "000000107"}


def test_csv_and_workbook_as_regional_users_open_them(exported):
    base = exported["month"] / "84"
    raw = (base / "signaux_faibles_84_2020-03.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("liste;rang dans la région;siren;")
    book = openpyxl.load_workbook(base / "signaux_faibles_84_2020-03.xlsx")
    assert book.sheetnames == ["Liste", "Notice"]
    notice = {r[0]: r[1:] for r in book["Notice"].values if r and r[0]}
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    # (a workbook keeps 15 significant digits)
    assert notice["Seuil « risque fort »"][0] == pytest.approx(manifest["thresholds"]["risque fort"], rel=1e-12)
    assert notice["Seuil « risque modéré »"][0] == pytest.approx(manifest["thresholds"]["risque modéré"], rel=1e-12)
    headers = [c.value for c in book["Liste"][1]]
    assert all(h in notice for h in headers)  # every column of the list is explained
    for wanted in (
        "liste",
        "siren",
        "siret du siège",
        "raison sociale",
        "département",
        "commune",
        "secteur",
        "forme juridique",
        "création",
        "dernier effectif",
        "dette sociale",
        "niveau d'alerte",
        "première alerte",
        "évolution depuis le mois précédent",
        "principaux facteurs",
    ):
        assert wanted in headers
    assert any(h.startswith("contribution ") for h in headers)


def test_the_second_month_reflects_the_first(exported):
    rows = {r["siren"]: r for region in ("84", "11", "94") for r in region_files(exported["month"], region)["csv"]}
    said = {
        s: (r["niveau d'alerte"], r["première alerte"], r["évolution depuis le mois précédent"])
        for s, r in rows.items()
    }
    assert said == {
        "000000101": ("risque fort", "non", "stable"),
        "000000102": ("risque fort", "oui", "nouvelle alerte"),
        "000000103": ("pas d'alerte", "", "sortie de liste"),
        "000000104": ("procédure en cours", "", "entrée en procédure"),
        "000000106": ("risque modéré", "non", "stable"),
        "000000107": ("risque fort", "oui", "nouvelle alerte"),
    }
    assert rows["000000104"]["procédure collective"] == "Liquidation judiciaire"
    assert rows["000000101"]["variation de probabilité (points)"] == "0"
    assert [r["siren"] for r in region_files(exported["month"], "84")["csv"]] == ["000000101", "000000102", "000000103"]


def test_manifests_record_checksums_counts_model_and_thresholds(exported):
    f = region_files(exported["month"], "84")
    manifest = f["manifest"]
    assert [e["name"] for e in manifest["files"]] == sorted(
        p.name for p in (exported["month"] / "84").iterdir() if p.name != "manifest.json"
    )
    for entry in manifest["files"]:
        assert entry["sha256"] == files.sha256(exported["month"] / "84" / entry["name"])
    assert manifest["period"] == "2020-03" and manifest["model"]["name"] == "signaux_faibles"
    assert set(manifest["thresholds"]) == {"risque fort", "risque modéré"}
    assert manifest["counts"] == {
        "risque fort": 2,
        "risque modéré": 0,
        "pas d'alerte": 1,
        "procédure en cours": 0,
        "scored": 3,
        "listed": 3,
        "new_alerts": 1,
        "exits": 1,
        "first_alerts": 1,
    }
    assert f["json"]["seuils"] == manifest["thresholds"]


def test_exporting_a_month_again_replaces_it_exactly(exported):
    first, second = exported["first"], exported["second"]
    assert "84/stale.txt" not in second and set(first) == set(second)
    for name in first:
        if name.endswith("manifest.json"):
            a, b = json.loads(first[name]), json.loads(second[name])
            a.pop("generated_at"), b.pop("generated_at")
            assert a == b
        else:
            assert first[name] == second[name], name
    assert left_in(exported["root"] / "exports") == [".publications", "2020-02", "2020-02/1", "2020-03", "2020-03/1"]


def test_confidential_values_appear_only_when_conf_allows(exported):
    hidden = region_files(exported["month"], "11")
    shown = region_files(exported["confidential"], "11")
    header = "EBE / chiffre d'affaires"
    assert header not in hidden["csv"][0] and shown["csv"][0][header] in ("-0,37", "")
    assert [r[header] for r in shown["csv"] if r["siren"] == "000000107"] == ["-0,37"]
    financial = [f for e in hidden["json"]["entreprises"] for f in e["facteurs"] if f["theme"] == "sante_financiere"]
    assert financial and all(f["valeur"] is None and f["confidentiel"] for f in financial)
    assert "valeur confidentielle" in hidden["csv"][0]["principaux facteurs"] + hidden["csv"][1]["principaux facteurs"]
    revealed = [f for e in shown["json"]["entreprises"] for f in e["facteurs"] if f["theme"] == "sante_financiere"]
    assert revealed and all(f["valeur"] is not None and "confidentiel" not in f for f in revealed)
    assert hidden["manifest"]["confidential_included"] is False and shown["manifest"]["confidential_included"] is True
    for region in ("84", "11", "94"):  # the hidden ratio is in no file, under no key
        for path in (exported["month"] / region).iterdir():
            if path.suffix in (".csv", ".json", ".html"):
                text = path.read_text(encoding="utf-8-sig")
                assert not re.search(r"-0[.,]37(?!\d)", text) and "ebe_sur_ca" not in text, path.name
                assert "EBE / chiffre d'affaires" not in text, path.name


def test_json_has_one_documented_object_per_firm(exported):
    document = region_files(exported["month"], "84")["json"]
    assert document["liste"] == "2020-03" and len(document["entreprises"]) == 3
    for firm in document["entreprises"]:
        assert set(firm) <= set(document["documentation"])
        assert all(
            set(f) <= {"variable", "libelle", "theme", "valeur", "unite", "contribution", "confidentiel"}
            for f in firm["facteurs"]
        )


def test_html_summaries_are_self_contained(exported):
    for page in (
        exported["month"] / "84" / "synthese_84_2020-03.html",
        exported["month"] / "national" / "synthese_nationale_2020-03.html",
    ):
        text = page.read_text(encoding="utf-8")
        assert "<svg" in text and not re.search(r"(src|href)=\"(https?:|//)", text) and "<script" not in text
    region = (exported["month"] / "84" / "synthese_84_2020-03.html").read_text(encoding="utf-8")
    assert "Nouvelles alertes du mois (1)" in region and "000000102" in region


def test_national_summary_adds_up_the_regions(spark, exported):
    national = exported["manifest"]
    regions = national["regions"]
    for key in ("listed", "new_alerts", "exits"):
        assert national["counts"][key] == sum(r["counts"][key] for r in regions.values())
    assert national["counts"]["risque fort"] == sum(r["counts"]["risque fort"] for r in regions.values()) == 3
    assert national["counts"]["procédure en cours"] == 1 and national["counts"]["without_region"] == 0
    with open(exported["month"] / "national" / "synthese_nationale_2020-03.csv", encoding="utf-8-sig") as handle:
        rows = {r["région"]: r for r in csv.DictReader(handle, delimiter=";")}
    assert rows["84"]["risque fort"] == "2" and rows["11"]["en procédure collective"] == "1"
    assert regions["84"]["files"] == region_files(exported["month"], "84")["manifest"]["files"]
    lake = Lake(exported["settings"])
    assert national["inputs"] == {t: lake.version(spark, t) for t in (tables.SCORES, tables.FIRMS, tables.FEATURES)}
    for path in (exported["month"] / "national").iterdir():  # counts only: no firm is named
        assert not re.search(r"\b\d{9}\b", path.read_text(encoding="utf-8-sig")), path.name


def test_export_fails_clearly_without_scores_for_the_month(exported, capsys):
    code = cli.run(job("export"), ["--period", "2019-06", f"paths.root={exported['root']}", "spark.master=local[2]"])
    assert code == 1 and "no scores for 2019-06" in capsys.readouterr().err
    assert month_folder(exported["root"] / "exports", "2019-06") is None


def test_an_export_failing_half_way_leaves_the_published_month_untouched(spark, exported, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("signaux_spark.export.publish.write_national", fail)  # after every region is written
    with pytest.raises(OSError, match="disk full"):
        export_period(spark, exported["settings"], P2)
    assert snapshot(exported["month"]) == exported["second"]
    # nothing of the failed export is left
    assert left_in(exported["root"] / "exports") == [".publications", "2020-02", "2020-02/1", "2020-03", "2020-03/1"]


def test_bad_export_settings_fail_clearly(spark, exported):
    root = exported["root"]
    with pytest.raises(JobError, match="export.regions lists codes absent from departement_region.csv: 99"):
        export_period(spark, settings_for(root, overrides=["export.regions=['84', '99']"]), P2)
    with pytest.raises(JobError, match="gold/features lacks the columns rentabilite_economique, liquidite_reduite"):
        export_period(spark, settings_for(root, overrides=["export.include_confidential=true"]), P2)
    assert set(snapshot(exported["month"])) == set(exported["second"])  # the published month is untouched


def test_the_portal_serves_what_the_export_published(exported):
    """The portal over a real export: a region's list, its files byte for byte, a firm's history."""
    from signaux_spark.portal.store import Store, default_url
    from tests.portal.portal_kit import PASSWORD, served, sign_in

    root = exported["root"]
    store = Store(default_url(str(root)))
    store.add_user("a84@region.fr", "84", PASSWORD)
    store.close()
    with served(root) as url:
        client, _ = sign_in(url, "a84@region.fr")
        page = client.get("/mois/2020-03/84").text
        assert all(s in page for s in ("000000101", "000000102", "000000103")) and "000000107" not in page
        for entry in region_files(exported["month"], "84")["manifest"]["files"]:
            response = client.get(f"/mois/2020-03/84/fichiers/{entry['name']}")
            assert response.content == (exported["month"] / "84" / entry["name"]).read_bytes()
        firm = client.get("/entreprise/84/000000101").text
        assert "2020-02" in firm and "2020-03" in firm  # on the lists of both months
        assert client.get("/entreprise/84/000000107").status_code == 404  # a firm of region 11
