"""The monthly run end to end on generated `tiny` data: backfill, train, then the real monthly chain
for two consecutive batches; lists per region that remember the month before; and a run killed in
the middle of a step that, resumed, gives the same outputs as a clean run.

The notebooks run top to bottom on the lake this builds (the last test), so they are checked
against the same data the monthly run produced."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

import deltalake
import duckdb
import nbformat
import openpyxl
import pytest
from nbclient import NotebookClient
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.analysis.notebook import SMALL_OVERRIDES
from signaux_spark.export.lists import BETTER, NEW, STABLE, WORSE
from signaux_spark.export.published import month_folder
from signaux_spark.features.build import build_features
from signaux_spark.ingest import ingest
from signaux_spark.io import Lake
from signaux_spark.model.training import train
from signaux_spark.months import batch_range, parse_month
from signaux_spark.ops.monthly import run_monthly
from signaux_spark.ops.steps import STEP_FUNCTIONS
from signaux_spark.synthetic import generate
from tests.helpers import make_settings

pytestmark = pytest.mark.slow  # make test-fast leaves it out

FIRST, HISTORY_END, MONTH_1, MONTH_2 = "2020-01", "2024-10", "2024-11", "2024-12"
ALERTS = ("risque fort", "risque modéré")
ROOT = Path(__file__).resolve().parents[2]

# The notebooks' small budget (a short split, two trials of a few trees on one validation block),
# shallower trees, and a fixed search so the lists the tests read do not depend on the data's hash.
MODEL_OVERRIDES = [*SMALL_OVERRIDES, "model.tuning.space.max_depth=[2,3]", "model.seed=2024"]


def settings_for(root: Path):
    from signaux_spark.config import load_settings

    base = make_settings(root)
    extra = load_settings(overrides=[f"paths.root={root}", *MODEL_OVERRIDES])
    base.model = extra.model
    base.ingest.missing_delivery = "warn"  # the history has late deliveries, caught up the next month
    return base


@pytest.fixture(scope="module")
def pipeline(spark, tmp_path_factory):
    """A lake with history, a champion model and the clean monthly runs of two batches."""
    root = tmp_path_factory.mktemp("e2e")
    settings = settings_for(root)
    generate(spark, str(root), size="tiny", first_batch=FIRST, last_batch=MONTH_2, seed=5, faults="default")
    give_hostile_names(root)
    report = ingest(spark, settings, batch_range(FIRST, HISTORY_END))
    assert not report.failures, report.failures
    build_features(spark, settings, parse_month(FIRST), parse_month(HISTORY_END))
    model = train(spark, settings, parse_month(HISTORY_END), promote=True)
    assert model.promoted
    first = run_monthly(spark, settings, MONTH_1, STEP_FUNCTIONS)
    second = run_monthly(spark, settings, MONTH_2, STEP_FUNCTIONS)
    return settings, first, second


# Names an attacker could register in SIRENE: formulas or a leading sign, each with a control
# character (so any listed firm carries both; the tiny economy lists only a few).
HOSTILE = ['=HYPERLINK("http://x","cliquez\x0bici")', "=1+1\x01", "@SOMME(A1)\x01", "+33\x0bCONSEIL", "-MOINS\x01SARL"]


def give_hostile_names(root: Path) -> None:
    """Every legal unit with a name in the delivered SIRENE files gets one of HOSTILE (by SIREN); the
    lines are otherwise left as generated (files and lines the generator broke on purpose are not touched)."""
    for path in (root / "landing" / "sirene_unite_legale").rglob("*.csv"):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a file whose encoding the generator broke on purpose
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.split(newline)
        header = [h.lstrip("\ufeff").strip().lower() for h in next(csv.reader([lines[0]]))]
        if "denominationunitelegale" not in header or "siren" not in header:
            continue  # a file whose header the generator broke on purpose
        name, siren = header.index("denominationunitelegale"), header.index("siren")
        for i, line in enumerate(lines[1:], start=1):
            fields = next(csv.reader([line]), [])
            if len(fields) == len(header) and fields[name] and fields[siren].isdigit():
                fields[name] = HOSTILE[int(fields[siren]) % len(HOSTILE)]
                out = io.StringIO()
                csv.writer(out, lineterminator="").writerow(fields)
                lines[i] = out.getvalue()
        path.write_text(newline.join(lines), encoding="utf-8")


def outputs(spark, settings, batch: str) -> dict:
    """What readers see of a month: its scores and features, and every exported file but the
    manifests (whose only difference between runs is their timestamp; their checksums are compared
    through the files themselves)."""
    lake = Lake(settings)
    period = parse_month(batch)

    def rows(table: str) -> list[tuple]:
        return sorted(
            tuple(r)
            for r in lake.read(spark, table)
            .where(F.col("periode") == period)
            .drop("contributions", "top_factors")
            .collect()
        )

    folder = month_folder(settings.path("exports"), batch)
    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and p.suffix != ".xlsx"
    }
    return {"scores": rows(tables.SCORES), "features": rows(tables.FEATURES), "files": files}


def region_documents(settings, batch: str) -> dict[str, dict]:
    folder = month_folder(settings.path("exports"), batch)
    return {
        p.parent.name: json.loads(p.read_text(encoding="utf-8"))
        for p in folder.glob("*/*.json")
        if p.parent.name != "national" and p.name != "manifest.json"
    }


def test_two_consecutive_months_give_lists_per_region(spark, pipeline):
    settings, first, second = pipeline
    assert first.ran == second.ran == ["ingest", "features", "score", "monitor", "export"]
    log = Lake(settings).read(spark, tables.RUNS)
    done = {(r["batch"], r["step"]) for r in log.where("status = 'succeeded'").collect()}
    assert {(b, s) for b in (MONTH_1, MONTH_2) for s in first.ran} <= done
    written = log.where(f"batch = '{MONTH_2}' AND step = 'score' AND status = 'succeeded'").first()
    assert written["rows"]["scored"] > 0 and tables.SCORES in written["versions"]

    folder = month_folder(settings.path("exports"), MONTH_2)
    regions = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "national")
    assert len(regions) >= 13  # every metropolitan region, listed or not
    for region in regions:
        names = {p.suffix for p in (folder / region).iterdir()}
        assert {".xlsx", ".csv", ".json", ".html"} <= names and (folder / region / "manifest.json").exists()
    documents = region_documents(settings, MONTH_2)
    firms = [f for doc in documents.values() for f in doc["entreprises"]]
    assert any(f["niveau_alerte"] in ALERTS for f in firms), "the tiny economy should raise some alerts"


def test_second_month_remembers_the_first(spark, pipeline):
    settings, _, _ = pipeline
    scores = Lake(settings).read(spark, tables.SCORES)
    before = {
        r["siren"]: (r["alert_level"], r["probability"])
        for r in scores.where(F.col("periode") == parse_month(MONTH_1)).collect()
    }
    checked = 0
    for doc in region_documents(settings, MONTH_2).values():
        for firm in doc["entreprises"]:
            if firm["niveau_alerte"] not in ALERTS:
                continue
            level, probability = before.get(firm["siren"], (None, None))
            was_alerted = level in ALERTS
            assert firm["premiere_alerte"] == ("non" if was_alerted else "oui"), firm["siren"]
            expected = (
                NEW
                if not was_alerted
                else STABLE
                if level == firm["niveau_alerte"]
                else WORSE
                if firm["niveau_alerte"] == "risque fort"
                else BETTER
            )
            assert firm["evolution"] == expected, firm["siren"]
            if probability is not None:
                assert firm["variation_probabilite"] == pytest.approx(firm["probabilite"] - probability * 100, abs=1e-6)
            checked += 1
    assert checked > 0


def test_killed_run_resumes_to_the_outputs_of_a_clean_run(spark, pipeline, monkeypatch):
    settings, _, second = pipeline
    clean = outputs(spark, settings, MONTH_2)

    # Kill the forced run of the second month in the middle of the features step: silver tables are
    # committed, gold/features is not. KeyboardInterrupt is what a kill looks like from Python: the
    # run record keeps the step "running".
    real_write = Lake.write

    def killed_write(self, df, table, **kw):
        if table == tables.FEATURES:
            raise KeyboardInterrupt("killed")
        return real_write(self, df, table, **kw)

    monkeypatch.setattr(Lake, "write", killed_write)
    with pytest.raises(KeyboardInterrupt):
        run_monthly(spark, settings, MONTH_2, STEP_FUNCTIONS, force=True)
    monkeypatch.setattr(Lake, "write", real_write)

    resumed = run_monthly(spark, settings, MONTH_2, STEP_FUNCTIONS)
    assert resumed.run_id != second.run_id and resumed.ran == ["features", "score", "monitor", "export"]
    assert outputs(spark, settings, MONTH_2) == clean
    assert run_monthly(spark, settings, MONTH_2, STEP_FUNCTIONS).skipped


def test_hostile_names_are_inert_text_in_every_file(spark, pipeline):
    """Names delivered as formulas or with control characters, through the real monthly run: text
    cells in the workbooks, a leading quote in the CSV, the exact name in the JSON and the HTML."""
    settings, _, _ = pipeline
    names = {r["siren"]: r["raison_sociale"] for r in Lake(settings).read(spark, tables.FIRMS).collect()}
    folder = month_folder(settings.path("exports"), MONTH_2)
    shown = []
    for region in (p for p in folder.iterdir() if p.name != "national"):
        base = f"signaux_faibles_{region.name}_{MONTH_2}"
        with open(region / f"{base}.csv", encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                exact = names[row["siren"]] or ""
                assert row["raison sociale"] == ("'" + exact if exact.startswith(("=", "+", "-", "@")) else exact)
                shown.append(exact)
        sheet = openpyxl.load_workbook(region / f"{base}.xlsx")["Liste"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            cell, exact = row[header.index("raison sociale")], names[row[header.index("siren")].value]
            if exact is not None:
                assert cell.data_type == "s" and cell.value == exact.replace("\x01", "\ufffd").replace("\x0b", "\ufffd")
        document = json.loads((region / f"{base}.json").read_text(encoding="utf-8"))
        assert all(f["raison_sociale"] == names[f["siren"]] for f in document["entreprises"])
        page = (region / f"synthese_{region.name}_{MONTH_2}.html").read_text(encoding="utf-8")
        new = [f for f in document["entreprises"] if f["evolution"] == NEW]
        assert all(f"<td>{html.escape(names[f['siren']] or '')}</td>" in page for f in new)
    # every hostile name starts like a formula and holds a control character: one listed is enough
    assert any(n.startswith(("=", "+", "-", "@")) and ("\x01" in n or "\x0b" in n) for n in shown), shown


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_runs_top_to_bottom(pipeline, notebook, monkeypatch):
    """Each notebook executes without error on the lake of the monthly runs: its kernel inherits
    SIGNAUX_SPARK_ROOT, which the notebooks' settings read (the demo data by default)."""
    settings, _, _ = pipeline
    monkeypatch.setenv("SIGNAUX_SPARK_ROOT", settings.path("root"))
    monkeypatch.setenv("SIGNAUX_SPARK_SMALL", "1")
    document = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    NotebookClient(
        document, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    ).execute()
    assert any(cell.get("outputs") for cell in document.cells if cell.cell_type == "code")


@pytest.mark.parametrize("table", [tables.FEATURES, tables.SCORES, tables.REJECTS])
def test_a_second_engine_reads_our_tables(spark, pipeline, table):
    """delta-rs (the `deltalake` package), and DuckDB over its Arrow dataset, see the rows and the
    schema Spark sees: data scientists may read the lake without Spark."""
    settings = pipeline[0]
    lake = Lake(settings)
    ours = lake.read(spark, table)
    theirs = deltalake.DeltaTable(lake.path(table))
    fields = lambda schema: [(f["name"], f["type"]) for f in schema["fields"]]  # noqa: E731
    assert fields(json.loads(theirs.schema().to_json())) == fields(ours.schema.jsonValue())
    dataset = theirs.to_pyarrow_dataset()
    count = ours.count()
    assert count > 0 and dataset.count_rows() == count
    connection = duckdb.connect()
    connection.register("lake_table", dataset)
    assert connection.execute("select count(*) from lake_table").fetchone()[0] == count
    if "periode" in ours.columns:
        months = connection.execute("select count(distinct periode) from lake_table").fetchone()[0]
        assert months == ours.select("periode").distinct().count()
