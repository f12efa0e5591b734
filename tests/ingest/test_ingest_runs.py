"""How ingestion runs: structural problems stop a source x batch before anything is written, strict
mode, the reject threshold, the job's exit code, and the same final tables whatever the order of the
loads, a reload, or a kill between two sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from chispa import assert_df_equality

import signaux_spark.ingest.run as ingestion
from signaux_spark import tables
from signaux_spark.config import ConfigError
from signaux_spark.ingest import ingest
from signaux_spark.ingest.split import read_records
from signaux_spark.io import Lake
from signaux_spark.months import batch_range
from signaux_spark.sources import SOURCES, altares_paydex, urssaf_effectif_ent
from signaux_spark.sources.urssaf_debit import LAYOUT as DEBIT_LAYOUT
from tests.helpers import make_settings
from tests.ingest.ingest_samples import AP_CONSO, AP_DEMANDE, COTISATION, DEBIT, DELAI, Landing, altares

pytestmark = pytest.mark.slow  # ingestion runs over generated deliveries: make test-fast leaves it out

D = "827;74;827000000004512361;812345676;81234567600017;20090415;1;0;202412"
PROCOL = "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx"
GOOD_PROCOL = [("52310987400017;523109874;14MAR2022;1;Ouverture_redressement", "ok")]


def settings_for(root: Path, **ingest_options):
    settings = make_settings(root)
    for key, value in ingest_options.items():
        setattr(settings.ingest, key, value)
    return settings


def structural_landing() -> Landing:
    out = Landing()
    out.files[("urssaf_cotisation", "2024-06", "sigfaible_cotisdues.csv")] = b""
    out.add("urssaf_cotisation", "2024-07", "sigfaible_cotisdues.csv", COTISATION, [])
    out.files[("urssaf_debit", "2024-06", "sigfaible_debits.csv")] = (DEBIT + "\n").encode("utf-16-le")
    out.add("urssaf_debit", "2024-07", "sigfaible_debits.csv", DEBIT, [(f"{D};101;1;1240618;1;1;1;2;0", "ok")])
    out.add(
        "urssaf_effectif_ent",
        "2024-07",
        "sigfaible_effectif_siren.csv",
        "siren;eff202411;eff202412;EFF202412;rais_soc",
        [("812345676;1;2;3;X", "ok")],
    )
    out.add("urssaf_delai", "2024-06", "sigfaible_delais.csv", DELAI.replace(";Numero_structure", ""), [])
    # June is missing; July has a 10 kB line and is cut inside its last line (no line ending).
    out.add(
        "urssaf_procol",
        "2024-07",
        "sigfaible_pcoll.csv",
        PROCOL,
        GOOD_PROCOL + [("x" * 10_000, "reject:wrong_field_count"), (GOOD_PROCOL[0][0][:-5], "reject:truncated_line")],
    )
    out.files[("urssaf_procol", "2024-07", "sigfaible_pcoll.csv")] = out.files[
        ("urssaf_procol", "2024-07", "sigfaible_pcoll.csv")
    ][:-1]
    out.files[("urssaf_procol", "2024-07", ".sigfaible_pcoll.csv.swp")] = b"editor leftovers"
    out.files[("urssaf_procol", "2024-07", "old/sigfaible_pcoll.csv")] = (PROCOL + "\n").encode()
    bad = [
        (
            f'"0742{i:07d}","81234567600017",1,1,"2020-03-25","2020-03-16","2020-02-30",1.0,"1",1,"5","3",0,0,"0","1"',
            "x",
        )
        for i in range(12)
    ]
    good = [
        (
            f'"0743{i:07d}","81234567600017",1,1,"2020-03-25","2020-03-16","2020-06-30",1.0,"1",1,"5","3",0,0,"0","1"',
            "ok",
        )
        for i in range(3)
    ]
    out.add("ap_demande", "2024-06", "demande_ap.csv", AP_DEMANDE, bad + good)
    increment = ";".join(altares_paydex.INCREMENT_COLUMNS)
    out.add(
        "altares_paydex",
        "2024-06",
        "E_202406100300_Paydex-Mensuel_20240610.csv",
        increment,
        [(altares(), "ok"), ("Fin du fichier : total 1 ligne(s)", "trailer"), (altares(), "ok")],
        encoding="iso-8859-15",
    )
    out.add(
        "altares_paydex",
        "2024-07",
        "E_202407100300_Paydex-Mensuel_20240710.csv",
        increment,
        [(altares(date="2024-06-28"), "ok")],
        encoding="iso-8859-15",
    )
    out.add("sirene_unite_legale", "2024-06", "StockUniteLegale_utf8.csv", "siren", [])
    out.add("sirene_unite_legale", "2024-06", "StockUniteLegale_utf8.csv.gz", "siren", [])
    return out


STRUCTURAL_SOURCES = [
    "urssaf_cotisation",
    "urssaf_debit",
    "urssaf_effectif_ent",
    "urssaf_delai",
    "urssaf_procol",
    "ap_demande",
    "dgfip_liasses",
    "altares_paydex",
    "sirene_unite_legale",
]


@pytest.fixture(scope="module")
def structural(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("structural")
    structural_landing().write(root)
    settings = settings_for(root, altares_missing_trailer="error")
    lake = Lake(settings)
    # Debit June loaded once from a good file: the failed reload below must leave it as it was.
    good = Landing()
    good.add("urssaf_debit", "2024-06", "sigfaible_debits.csv", DEBIT, [(f"{D};101;1;1240318;1;1;1;2;0", "ok")])
    good_root = tmp_path_factory.mktemp("structural-first")
    good.write(good_root)
    settings.paths.landing = str(good_root / "landing")
    ingest(spark, settings, ["2024-06"], sources=["urssaf_debit"], run_id="first")
    settings.paths.landing = str(root / "landing")
    report = ingest(spark, settings, ["2024-06", "2024-07"], sources=STRUCTURAL_SOURCES, run_id="second")
    return report, lake, settings, root


def test_structural_problems_fail_their_batch_with_the_file_and_the_problem(structural):
    report, _, _, root = structural
    failures = report.failures
    expected = [
        "urssaf_cotisation 2024-06: sigfaible_cotisdues.csv: empty file (0 bytes)",
        "urssaf_cotisation 2024-07: sigfaible_cotisdues.csv: no data line (this source must deliver rows)",
        "urssaf_debit 2024-06: sigfaible_debits.csv: undecodable: NUL bytes without a UTF-16 byte-order mark",
        "urssaf_effectif_ent 2024-07: sigfaible_effectif_siren.csv: "
        "columns eff202412 and EFF202412 are both the month 2024-02",
        "urssaf_delai 2024-06: sigfaible_delais.csv: missing header column(s) Numero_structure",
        f"urssaf_procol 2024-06: missing delivery: no sigfaible_pcoll.csv in {root}/landing/urssaf_procol/2024-06/",
        f"dgfip_liasses 2024-07: missing delivery: no dgfip_liasses.csv in {root}/landing/dgfip_liasses/2024-07/",
        "altares_paydex 2024-06: E_202406100300_Paydex-Mensuel_20240610.csv: line 4 comes after the trailer line 3",
        "altares_paydex 2024-07: E_202407100300_Paydex-Mensuel_20240710.csv: "
        "no trailer line (Fin du fichier : total N ligne(s))",
        "sirene_unite_legale 2024-06: StockUniteLegale_utf8.csv delivered twice (plain and .gz)",
        "ap_demande 2024-06: 12 of 15 data lines rejected (80.0%), above the threshold of 5.0%: invalid_date=12",
    ] + [
        f"{source} 2024-07: missing delivery: no {name} in {root}/landing/{source}/2024-07/"
        for source, name in [
            ("urssaf_delai", "sigfaible_delais.csv"),
            ("ap_demande", "demande_ap.csv"),
            ("sirene_unite_legale", "StockUniteLegale_utf8.csv"),
        ]
    ]
    assert sorted(failures) == sorted(expected)


def test_nothing_is_written_for_a_failed_batch_and_the_rest_still_loads(spark, structural):
    report, lake, _, _ = structural
    debit = lake.read(spark, "bronze/urssaf_debit")
    assert sorted((r.batch, r.ingest_run_id) for r in debit.collect()) == [("2024-06", "first"), ("2024-07", "second")]
    assert [r.batch for r in lake.read(spark, "bronze/urssaf_procol").collect()] == ["2024-07"]
    assert not lake.exists(spark, "bronze/ap_demande") or lake.read(spark, "bronze/ap_demande").count() == 0
    assert lake.read(spark, tables.REJECTS).filter("source = 'ap_demande'").count() == 0
    statuses = {(r.source, r.batch): r.status for r in lake.read(spark, tables.INGEST_REPORT).collect()}
    assert statuses[("urssaf_procol", "2024-07")] == "loaded" and statuses[("urssaf_procol", "2024-06")] == "failed"
    assert statuses[("urssaf_effectif_ent", "2024-06")] == "no_delivery"


def test_a_cut_delivery_is_flagged_and_its_last_line_rejected(structural):
    report, _, _, _ = structural
    unit = report.unit("urssaf_procol", "2024-07")
    assert unit.file_flags == ["sigfaible_pcoll.csv: no_final_line_ending"]
    assert "sigfaible_pcoll.csv: the last line has no line ending: the file may be cut short" in unit.warnings
    assert unit.rejects_by_reason == {"truncated_line": 1, "wrong_field_count": 1}


def test_a_long_rejected_line_is_stored_cut_and_says_so(spark, structural):
    _, lake, _, _ = structural
    long = lake.read(spark, tables.REJECTS).filter("source = 'urssaf_procol' AND reason = 'wrong_field_count'").first()
    assert long.raw_line == "x" * ingestion.RAW_LINE_CAP
    assert (
        long.detail
        == f"1 fields, the header has 5; raw line cut to its first {ingestion.RAW_LINE_CAP} of 10000 characters"
    )


def test_subfolders_and_hidden_files_in_a_delivery_folder_are_warned(structural):
    report, _, _, _ = structural
    warnings = report.unit("urssaf_procol", "2024-07").warnings
    assert ".sigfaible_pcoll.csv.swp: hidden file in the delivery folder, ignored" in warnings
    assert "old: subfolder in the delivery folder, ignored" in warnings


def test_strict_mode_stops_at_the_first_failed_source(spark, structural, tmp_path):
    _, _, settings, root = structural
    strict_settings = settings_for(tmp_path)
    strict_settings.paths.landing = str(root / "landing")
    report = ingest(
        spark, strict_settings, ["2024-06", "2024-07"], sources=["urssaf_debit", "urssaf_procol"], strict=True
    )
    assert [(u.source, u.batch, u.status) for u in report.units] == [
        ("urssaf_debit", "2024-06", "failed"),
        ("urssaf_debit", "2024-07", "skipped"),
    ]
    assert not Lake(strict_settings).exists(spark, "bronze/urssaf_debit")  # July was fine, but not written


def test_job_exits_non_zero_with_one_line_per_failure(structural, capsys, monkeypatch):
    from jobs.ingest import main
    from signaux_spark import cli
    from signaux_spark.progress import log

    _, _, _, root = structural
    monkeypatch.setattr(log, "handlers", [])  # the job's log handler goes to the captured stderr, then away
    code = cli.run(
        main,
        [
            "--from",
            "2024-06",
            "--to",
            "2024-07",
            "--source",
            "urssaf_procol",
            "--run-id",
            "job",
            f"paths.root={root}",
            "spark.master=local[2]",
            "spark.shuffle_partitions=2",
        ],
    )
    out = capsys.readouterr()
    assert code == 1
    failures = [line for line in out.err.splitlines() if line.startswith("urssaf_")]
    assert failures == [
        f"urssaf_procol 2024-06: missing delivery: no sigfaible_pcoll.csv in {root}/landing/urssaf_procol/2024-06/"
    ]
    assert "error: ingestion of 2 batch(es): 1 source x batch failed (run job)" in out.err
    assert "urssaf_procol         2024-07  loaded" in out.out  # the printed report


def test_job_strict_flag_stops_at_the_first_failed_source(spark, structural, tmp_path, capsys, monkeypatch):
    from jobs.ingest import main
    from signaux_spark import cli
    from signaux_spark.progress import log

    _, _, _, root = structural
    monkeypatch.setattr(log, "handlers", [])
    code = cli.run(
        main,
        [
            "--from",
            "2024-06",
            "--to",
            "2024-07",
            "--source",
            "urssaf_debit",
            "--source",
            "urssaf_procol",
            "--strict",
            f"paths.root={tmp_path}",
            f"paths.landing={root}/landing",
            "spark.master=local[2]",
            "spark.shuffle_partitions=2",
        ],
    )
    out = capsys.readouterr()
    assert code == 1
    assert [line for line in out.err.splitlines() if line.startswith("urssaf_")] == [
        "urssaf_debit 2024-06: sigfaible_debits.csv: undecodable: NUL bytes without a UTF-16 byte-order mark"
    ]
    assert "urssaf_debit          2024-07  skipped" in out.out and "urssaf_procol" not in out.out
    lake = Lake(settings_for(tmp_path))
    assert not lake.exists(spark, "bronze/urssaf_debit") and not lake.exists(spark, "bronze/urssaf_procol")


def test_reject_threshold_is_per_source_and_ignores_a_handful(settings):
    settings.ingest.reject_thresholds = {"ap_demande": 0.9}

    def status(source: str, rejected: int, accepted: int) -> str:
        unit = ingestion.UnitReport(
            source,
            "2024-06",
            status="loaded",
            accepted_lines=accepted,
            rejected_lines=rejected,
            rejects_by_reason={"invalid_date": rejected},
        )
        ingestion.check_threshold(settings, unit)
        return unit.status

    assert status("ap_demande", 12, 3) == "loaded"  # 80 %, under its own 90 %
    assert status("ap_demande", 14, 1) == "failed"  # 93 %
    assert status("ap_consommation", 12, 3) == "failed"  # 80 %, over the default 5 %
    assert status("ap_consommation", 12, 300) == "loaded"  # 3.8 %
    assert status("ap_consommation", 9, 0) == "loaded"  # fewer than reject_threshold_min_lines


def test_large_files_read_by_the_task_give_the_same_tables(spark, tmp_path, capsys):
    """Files over `ingest.large_file_bytes` skip Spark's binaryFile reader: the task reads them itself."""
    landing = Landing()
    landing.add("urssaf_debit", "2024-06", "sigfaible_debits.csv", DEBIT, [(f"{D};101;1;1240618;1;1;1;2;0", "ok")])
    landing.add("urssaf_debit", "2024-07", "sigfaible_debits.csv.gz", DEBIT, [(f"{D};101;1;1240718;1;1;1;2;0", "ok")])
    landing.write(tmp_path)
    files, _ = ingestion.landing_entries(spark, str(tmp_path / "landing"))
    tables_by_threshold = {}
    for threshold in (0, 2**20):  # every file read by the task; every file through Spark
        records = read_records(spark, files, {"urssaf_debit": DEBIT_LAYOUT}, frozenset(), threshold)
        records.explain(mode="extended")
        plan = capsys.readouterr().out
        assert ("binaryFile" in plan) == (threshold > 0) and ("RepartitionByExpression" in plan) == (threshold == 0)
        records.unpersist()
        settings = settings_for(tmp_path / str(threshold), large_file_bytes=threshold)
        settings.paths.landing = str(tmp_path / "landing")
        report = ingest(spark, settings, ["2024-06", "2024-07"], sources=["urssaf_debit"], run_id="same")
        assert [u.status for u in report.units] == ["loaded", "loaded"], report.failures
        tables_by_threshold[threshold] = Lake(settings).read(spark, tables.bronze("urssaf_debit"))
    assert_df_equality(tables_by_threshold[0], tables_by_threshold[2**20], ignore_row_order=True)
    assert tables_by_threshold[0].count() == 2


def test_large_file_threshold_beyond_what_spark_reads_is_refused(spark, tmp_path):
    settings = settings_for(tmp_path, large_file_bytes=2**31)
    with pytest.raises(ConfigError, match="'ingest.large_file_bytes' must be between 0 and 2,147,483,647"):
        ingest(spark, settings, ["2024-06"])


def test_each_source_comes_after_the_sources_it_reads():
    """Ingestion submits the sources in SOURCES order and a source waits for those it reads: one
    listed before a source it reads would wait for a load still queued behind it."""
    position = {name: i for i, name in enumerate(SOURCES)}
    assert [(s.name, r) for s in ingestion.SPECS.values() for r in s.reads if position[r] > position[s.name]] == []
    assert any(s.reads for s in ingestion.SPECS.values())


def test_a_small_run_is_evaluated_without_generated_code(spark, tmp_path, monkeypatch):
    """Up to `ingest.interpreted_max_values` values to type (each record's fields, and a wide file's
    cells), the run's session settings turn generated code off (tests/ingest/test_ingest_samples.py
    checks every rule both ways)."""
    landing = Landing()
    landing.add("urssaf_debit", "2024-06", "sigfaible_debits.csv", DEBIT, [(f"{D};101;1;1240618;1;1;1;2;0", "ok")])
    landing.add(
        "urssaf_effectif_ent",
        "2024-06",
        "sigfaible_effectif_siren.csv",
        "siren;eff202411;eff202412;eff202413;rais_soc",
        [("812345676;1;2;;X", "ok")],
    )
    landing.write(tmp_path)
    fixed = len(urssaf_effectif_ent.LAYOUT.kinds[0].columns)  # siren, rais_soc
    values = len(DEBIT_LAYOUT.kinds[0].columns) + fixed + 2  # a blank cell is no cell
    modes, before = [], spark.conf.get("spark.sql.codegen.factoryMode")
    temporary_conf = ingestion.temporary_conf

    def recorded(spark, conf):
        if "spark.sql.codegen.factoryMode" in conf:
            modes.append(conf["spark.sql.codegen.factoryMode"])
        return temporary_conf(spark, conf)

    monkeypatch.setattr(ingestion, "temporary_conf", recorded)
    for threshold in (values, values - 1):
        settings = settings_for(tmp_path / str(threshold), interpreted_max_values=threshold)
        settings.paths.landing = str(tmp_path / "landing")
        report = ingest(spark, settings, ["2024-06"], sources=["urssaf_debit", "urssaf_effectif_ent"])
        assert report.failures == []
    assert modes == ["NO_CODEGEN", "FALLBACK"]
    assert spark.conf.get("spark.sql.codegen.factoryMode") == before  # put back after the run


def test_negative_interpreted_threshold_is_refused(spark, tmp_path):
    settings = settings_for(tmp_path, interpreted_max_values=-1)
    with pytest.raises(ConfigError, match="'ingest.interpreted_max_values' must be at least 0"):
        ingest(spark, settings, ["2024-06"])


# --- idempotence -------------------------------------------------------------------------------------


def ap_landing() -> Landing:
    """Requests and consumption over three batches; June's consumption uses a request first delivered
    in July, so whether it is an orphan depends on what is loaded."""
    out = Landing()
    request = (
        '"{id}","81234567600017",14.0,12.0,"{statut}","2020-03-16","2020-06-30",{hta},"1,00",12.0,"5","3",0,0,"0","1"'
    )
    conso = '"{id}","81234567600017",{h},1.0,1.0,"{mois}"'
    out.add(
        "ap_demande",
        "2024-05",
        "demande_ap.csv",
        AP_DEMANDE,
        [
            (request.format(id="R1", statut="2020-03-25", hta=100.0), "ok"),
            (request.format(id="R9", statut="2020-03-25", hta=-1.0), "reject:negative_not_allowed"),
        ],
        end="\r\n",
    )
    out.add(
        "ap_demande",
        "2024-06",
        "demande_ap.csv",
        AP_DEMANDE,
        [(request.format(id="R2", statut="2020-04-25", hta=200.0), "ok")],
        end="\r\n",
    )
    out.add(
        "ap_demande",
        "2024-07",
        "demande_ap.csv",
        AP_DEMANDE,
        [
            (request.format(id="R1", statut="2020-05-25", hta=150.0), "ok"),
            (request.format(id="R3", statut="2020-05-25", hta=300.0), "ok"),
        ],
        end="\r\n",
    )
    out.add(
        "ap_consommation",
        "2024-05",
        "consommation_ap.csv",
        AP_CONSO,
        [(conso.format(id="R1", h=10.0, mois="2020-04-01"), "ok")],
        end="\r\n",
    )
    out.add(
        "ap_consommation",
        "2024-06",
        "consommation_ap.csv",
        AP_CONSO,
        [
            (conso.format(id="R3", h=30.0, mois="2020-05-01"), "ok"),
            (conso.format(id="RX", h=5.0, mois="2020-05-01"), "flags:orphan_request"),
            (conso.format(id="R2", h=-1.0, mois="2020-05-01"), "reject:negative_not_allowed"),
        ],
        end="\r\n",
    )
    out.add(
        "ap_consommation",
        "2024-07",
        "consommation_ap.csv",
        AP_CONSO,
        [(conso.format(id="R2", h=20.0, mois="2020-06-01"), "ok")],
        end="\r\n",
    )
    return out


AP = ["ap_demande", "ap_consommation"]
BATCHES = batch_range("2024-05", "2024-07")


def final_tables(spark, lake):
    """The bronze and rejects tables without the run id, in a stable order."""
    out = {}
    for table in [tables.bronze(s) for s in AP] + [tables.REJECTS]:
        df = lake.read(spark, table).drop("ingest_run_id")
        out[table] = df.orderBy(*[c for c in df.columns if c != "quality_flags"])
    return out


def assert_same_tables(spark, lake, expected_lake):
    got, expected = final_tables(spark, lake), final_tables(spark, expected_lake)
    for table in expected:
        assert_df_equality(got[table], expected[table], ignore_nullable=False)


@pytest.fixture(scope="module")
def clean_run(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("ap-clean")
    landing = ap_landing()
    landing.write(root)
    settings = settings_for(root)
    report = ingest(spark, settings, BATCHES, sources=AP, run_id="clean")
    return landing, Lake(settings), report


def test_clean_run_resolves_orphans_with_every_batch(spark, clean_run):
    landing, lake, report = clean_run
    assert report.failures == []
    conso = {(r.batch, r.line_number): r.quality_flags for r in lake.read(spark, "bronze/ap_consommation").collect()}
    assert conso == {("2024-05", 2): [], ("2024-06", 2): [], ("2024-06", 3): ["orphan_request"], ("2024-07", 2): []}
    rejects = {
        (r.source, r.batch, r.source_file, r.line_number, r.reason) for r in lake.read(spark, tables.REJECTS).collect()
    }
    assert rejects == landing.rejects


def test_out_of_order_and_repeated_loads_give_the_same_tables(spark, clean_run, tmp_path):
    _, clean_lake, _ = clean_run
    ap_landing().write(tmp_path)
    settings = settings_for(tmp_path)
    lake = Lake(settings)
    ingest(spark, settings, ["2024-06"], sources=AP)
    conso = lake.read(spark, "bronze/ap_consommation")
    assert sorted(r.quality_flags for r in conso.collect()) == [
        ["orphan_request"],
        ["orphan_request"],
    ]  # R3 unknown yet
    ingest(spark, settings, ["2024-05", "2024-07"], sources=AP)  # delivers R3: June's flag is refreshed
    # Reloading replaces exactly that batch: as many rows as one load, every one from the last run.
    report = ingest(spark, settings, ["2024-06"], sources=AP, run_id="again")
    assert conso.filter("batch = '2024-06'").select("ingest_run_id").distinct().collect()[0][0] == "again"
    assert conso.count() == 4 and report.unit("ap_consommation", "2024-06").rows_written == 2
    assert_same_tables(spark, lake, clean_lake)


def test_a_run_killed_between_two_sources_then_rerun_gives_the_clean_tables(spark, clean_run, tmp_path, monkeypatch):
    _, clean_lake, _ = clean_run
    ap_landing().write(tmp_path)
    settings = settings_for(tmp_path)
    real = ingestion.write_bronze

    def killed_before_consumption(context, spec, *args):
        if spec.name == "ap_consommation":
            raise KeyboardInterrupt("killed")
        return real(context, spec, *args)

    settings.ingest.parallel_sources = 1  # requests written first, then killed before the consumption
    monkeypatch.setattr(ingestion, "write_bronze", killed_before_consumption)
    caches = spark._jsparkSession.sharedState().cacheManager()
    no_cache_before = caches.isEmpty()
    with pytest.raises(KeyboardInterrupt):
        ingest(spark, settings, BATCHES, sources=AP, run_id="killed")
    lake = Lake(settings)
    assert lake.read(spark, "bronze/ap_demande").count() == 4  # the first source was committed
    assert not lake.exists(spark, "bronze/ap_consommation")
    monkeypatch.setattr(ingestion, "write_bronze", real)
    settings.ingest.parallel_sources = 4
    ingest(spark, settings, BATCHES, sources=AP, run_id="resumed")
    assert_same_tables(spark, lake, clean_lake)
    assert caches.isEmpty() or not no_cache_before  # no cached frame left behind
