"""Every source's rules on hand-written deliveries (tests/ingest/ingest_samples.py): one ingestion of
two batches of all 11 sources, then checks of the rejects, flags, typed values, lineage and report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F

from signaux_spark import tables
from signaux_spark.ingest import SPECS, ingest
from signaux_spark.io import Lake
from signaux_spark.sources import SOURCES
from signaux_spark.sources.urssaf_cotisation import RECORD_KEY as COTISATION_KEY
from signaux_spark.sources.urssaf_debit import RECORD_KEY as DEBIT_KEY
from signaux_spark.sources.versions import latest_versions
from tests.helpers import make_settings
from tests.ingest.ingest_samples import ALTARES_INCREMENT, ALTARES_INCREMENT_JULY, landing

D = dt.date
RUN = "run-samples"


# Every test runs on the same lines without generated code (`ingest.interpreted_max_values`), as a
# monthly batch is, and with generated code, as a larger run is.
@pytest.fixture(scope="module", params=["interpreted", "generated code"])
def loaded(request, spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("samples")
    samples = landing()
    samples.write(root)
    settings = make_settings(root)
    settings.ingest.interpreted_max_values = 0 if request.param == "generated code" else 10**9
    settings.ingest.reject_threshold = 1.0  # the samples are mostly bad lines on purpose
    settings.ingest.missing_delivery = "warn"  # July holds only what a test needs
    report = ingest(spark, settings, ["2024-06", "2024-07"], run_id=RUN)
    return samples, report, Lake(settings), settings


def bronze(spark, lake, source):
    return lake.read(spark, tables.bronze(source))


def rows_by_line(spark, lake, source, *columns):
    """{(batch, line): (columns...)} of a bronze table."""
    return {
        (r.batch, r.line_number): tuple(r[c] for c in columns)
        for r in bronze(spark, lake, source).select("batch", "line_number", *columns).collect()
    }


def test_report_balances_and_counts_every_line(loaded):
    samples, report, _, _ = loaded
    assert report.failures == []
    for u in report.units:
        if (u.source, u.batch) in samples.read:
            assert u.status == "loaded", u
            assert u.lines_read == samples.read[(u.source, u.batch)], u
            assert u.accepted_lines == samples.accepted.get((u.source, u.batch), 0), u
            assert u.lines_read == (
                u.header_lines
                + u.trailer_lines
                + u.blank_lines
                + u.duplicates_dropped
                + u.accepted_lines
                + u.rejected_lines
            )
        elif u.source in ("urssaf_effectif_ent", "dgfip_liasses"):  # not expected in June
            assert (u.batch, u.status) == ("2024-06", "no_delivery")
        else:
            assert (u.batch, u.status, u.message) == ("2024-07", "missing", "missing delivery")
    files = {(u.source, u.batch, f["file"]): f for u in report.units for f in u.file_lines}
    assert files.keys() == samples.file_lines.keys()
    for key, f in files.items():
        assert {k: f[k] for k in samples.file_lines[key]} == samples.file_lines[key], key
        assert f["lines_read"] == f["skipped_lines"] + f["accepted_lines"] + f["rejected_lines"], key
    assert len(report.unit("altares_paydex", "2024-06").file_lines) == 2  # retro stock and increment
    cotisation = report.unit("urssaf_cotisation", "2024-06")
    assert (cotisation.blank_lines, cotisation.duplicates_dropped, cotisation.header_lines) == (1, 1, 1)
    assert report.unit("altares_paydex", "2024-06").trailer_lines == 1
    effectif = report.unit("urssaf_effectif_ent", "2024-07")
    assert (effectif.accepted_lines, effectif.rejected_lines, effectif.rows_written) == (5, 2, 12)
    assert effectif.rejects_by_reason == {"invalid_headcount": 1, "invalid_siren_checksum": 1, "wrong_field_count": 1}


def test_rejects_match_the_expectations_exactly(spark, loaded):
    samples, _, lake, _ = loaded
    rejects = lake.read(spark, tables.REJECTS)
    got = {(r.source, r.batch, r.source_file, r.line_number, r.reason) for r in rejects.collect()}
    assert got == samples.rejects
    assert rejects.filter(F.col("raw_line").isNull() | (F.col("ingest_run_id") != RUN)).count() == 0


def test_reject_rows_carry_raw_line_and_detail(spark, loaded):
    _, _, lake, _ = loaded
    rejects = {(r.source, r.line_number, r.reason): r for r in lake.read(spark, tables.REJECTS).collect()}
    cell = rejects[("urssaf_effectif_ent", 4, "invalid_headcount")]
    assert cell.detail == "eff202413=3x5" and cell.raw_line.startswith("887654325;31;29;3x5")
    period = rejects[("urssaf_cotisation", 6, "invalid_period_code")]
    assert period.detail == "periode=202405" and period.raw_line.endswith("202405;0;1,00;1,00")
    assert rejects[("urssaf_cotisation", 17, "wrong_field_count")].detail == "7 fields, the header has 8"
    assert rejects[("urssaf_delai", 5, "invalid_interval")].detail.startswith("Date_echeance 11/03/2024 before")


def test_quality_flags_match_the_expectations_exactly(spark, loaded):
    samples, _, lake, _ = loaded
    got: dict = {}
    for source in SOURCES:
        for r in bronze(spark, lake, source).filter(F.size("quality_flags") > 0).collect():
            key = (source, r.batch, r.source_file, r.line_number)
            got[key] = got.get(key, frozenset()) | frozenset(r.quality_flags)
    assert got == samples.flags


def test_file_flags_and_warnings_in_the_report(loaded):
    _, report, _, _ = loaded
    assert report.unit("urssaf_delai", "2024-06").file_flags == ["sigfaible_delais.csv: encoding_fallback_cp1252"]
    assert report.unit("altares_paydex", "2024-06").file_flags == [f"{ALTARES_INCREMENT}: trailer_count_mismatch"]
    assert sorted(report.unit("altares_paydex", "2024-07").file_flags) == [
        f"{ALTARES_INCREMENT_JULY}: encoding_utf8_instead_of_latin9",
        f"{ALTARES_INCREMENT_JULY}: missing_trailer",
    ]
    assert report.unit("sirene_unite_legale", "2024-06").file_flags == ["StockUniteLegale_utf8.csv: extra_columns"]
    assert "colonneInconnue" in report.unit("sirene_unite_legale", "2024-06").warnings[0]
    assert report.unit("sirene_etablissement", "2024-06").file_flags == [
        "StockEtablissement_utf8_geo.csv: extra_columns"
    ]
    assert report.unit("urssaf_effectif_ent", "2024-07").file_flags == [
        "sigfaible_effectif_siren.csv: undecoded_month_columns"
    ]
    assert report.unit("urssaf_cotisation", "2024-07").file_flags == []  # old columns ignored silently


def test_cotisation_periods_and_amounts(spark, loaded):
    _, _, lake, _ = loaded
    got = rows_by_line(
        spark, lake, "urssaf_cotisation", "siret", "periode_debut", "periode_fin", "n_mois", "mer", "cotisation_due"
    )
    assert got[("2024-06", 2)] == ("81234567600017", D(2024, 1, 1), D(2024, 2, 1), 1, 0.0, 15230.40)
    assert got[("2024-06", 4)] == ("04211235900015", D(2024, 4, 1), D(2024, 7, 1), 3, 0.0, 1852300.0)
    assert got[("2024-06", 5)] == ("52310987400017", D(2021, 1, 1), D(2022, 1, 1), 12, 0.0, -1240.0)
    assert got[("2024-06", 9)][4] is None
    assert got[("2024-07", 3)] == ("81234567600017", D(2024, 4, 1), D(2024, 5, 1), 1, 0.0, 100.5)


def test_debit_effective_month_and_euros(spark, loaded):
    _, _, lake, _ = loaded
    got = rows_by_line(
        spark,
        lake,
        "urssaf_debit",
        "date_traitement",
        "periode_prise_en_compte",
        "dette_ouvriere",
        "dette_patronale",
        "periode_debut",
        "siren",
        "code_procedure_collective",
        "recours",
    )
    assert got[("2024-06", 2)] == (
        D(2024, 3, 18),
        D(2024, 3, 1),
        1206.30,
        2814.70,
        D(2024, 2, 1),
        "812345676",
        0,
        False,
    )
    assert got[("2024-06", 3)][:2] == (D(2024, 4, 26), D(2024, 5, 1))  # after the 20th: next month
    assert got[("2024-06", 14)][:2] == (D(2024, 3, 20), D(2024, 3, 1))  # the 20th still counts
    assert got[("2024-06", 15)][:2] == (D(2024, 3, 21), D(2024, 4, 1))
    assert got[("2024-06", 5)][4:7] == (D(2022, 7, 1), "523109874", 1)
    assert got[("2024-06", 8)][2:3] + got[("2024-06", 8)][5:6] == (-5.0, "812345676")  # the SIRET wins
    assert got[("2024-06", 9)][6:] == (0, None)  # blank procedure code is 0


def test_headcount_unpivoted_without_blank_cells(spark, loaded):
    _, _, lake, _ = loaded
    got = {(r.siren, r.periode): (r.effectif, r.rais_soc) for r in bronze(spark, lake, "urssaf_effectif_ent").collect()}
    assert {k: v[0] for k, v in got.items() if k[0] == "042112359"} == {
        ("042112359", D(2024, 1, 1)): 1204,
        ("042112359", D(2024, 2, 1)): 1198,
        ("042112359", D(2024, 3, 1)): 1210,
        ("042112359", D(2024, 4, 1)): 1215,
        ("042112359", D(2024, 6, 1)): 5,
    }
    assert {k[1]: v for k, v in got.items() if k[0] == "887654325"} == {
        D(2024, 1, 1): (31, "INTERIM ALPES; SERVICES"),
        D(2024, 2, 1): (29, "INTERIM ALPES; SERVICES"),
        D(2024, 4, 1): (40, "INTERIM ALPES; SERVICES"),
    }
    assert not [k for k in got if k[0] == "523109874"]


def test_delai_procol_and_ap(spark, loaded):
    _, _, lake, _ = loaded
    delai = rows_by_line(
        spark, lake, "urssaf_delai", "date_creation", "date_echeance", "duree_delai", "montant_echeancier", "stade"
    )
    assert delai[("2024-06", 2)] == (D(2024, 3, 12), D(2024, 9, 12), 184, 4021.0, "APPROB")
    assert delai[("2024-06", 4)][:2] == (D(2024, 1, 10), D(2024, 2, 10))
    procol = rows_by_line(spark, lake, "urssaf_procol", "date_effet", "action_procol", "stade_procol")
    assert procol[("2024-06", 5)] == (D(2022, 11, 9), "redressement", "inclusion_autre_procedure")
    assert procol[("2024-06", 7)] == (D(2022, 3, 15), "sauvegarde", "ouverture")
    assert procol[("2024-06", 8)] == (D(2022, 3, 16), "liquidation", "ouverture")
    assert procol[("2024-06", 13)][1:] == ("redressement", "ouverture_bizarre")
    demande = rows_by_line(
        spark,
        lake,
        "ap_demande",
        "id_demande",
        "siret",
        "effectif_entreprise",
        "effectif_etablissement",
        "date_statut",
        "heures_autorisees",
        "montant_autorise",
        "motif_recours",
        "perimetre",
    )
    assert demande[("2024-06", 2)] == ("07420012345", "81234567600017", 14, 12, D(2020, 3, 25), 6370.0, 51469.60, 5, 3)
    assert demande[("2024-06", 5)] == ("07420000001", "81234567600017", 1204, 1204, D(2020, 3, 25), 0.0, None, None, 7)
    assert demande[("2024-06", 12)][4] is None
    conso = rows_by_line(spark, lake, "ap_consommation", "periode", "heures_consommees", "montant", "effectif")
    assert conso[("2024-06", 5)] == (D(2020, 7, 1), 10.0, 80.80, 1)
    assert conso[("2024-06", 6)] == (D(2020, 5, 1), 10.0, None, None)


def test_dgfip_and_altares(spark, loaded):
    _, _, lake, _ = loaded
    dgfip = rows_by_line(
        spark,
        lake,
        "dgfip_liasses",
        "siren",
        "date_fin_exercice",
        "d_actf_stk_march_net",
        "d_passf_142_k_propres",
        "rto_6",
        "mnt_af_ca",
        "d_dvs_376_nbr_pers",
    )
    assert dgfip[("2024-07", 3)] == ("523109874", D(2021, 12, 31), 9200, -41200, -31500.0, 702000, 12)
    assert dgfip[("2024-07", 4)][2] is None
    assert dgfip[("2024-07", 10)][4:] == (1.5, None, 14)
    altares = {
        (r.file_kind, r.line_number): r
        for r in bronze(spark, lake, "altares_paydex").filter("batch = '2024-06'").collect()
    }
    retro = altares[("retro", 2)]
    assert (retro.siren, retro.siret, retro.code_paydex, retro.paydex, retro.fpi_30, retro.date_valeur) == (
        "812345676",
        None,
        "070",
        15,
        22.0,
        D(2019, 1, 15),
    )
    first = altares[("increment", 2)]
    assert (
        first.siret,
        first.etat_organisation,
        first.paydex,
        first.encours_echus,
        first.fpi_90,
        first.date_valeur,
    ) == ("81234567600017", "Actif", 21, 12400.0, 5.0, D(2024, 5, 31))
    assert (altares[("increment", 5)].code_paydex, altares[("increment", 5)].fpi_30) == (None, 120.0)
    assert altares[("increment", 6)].siren == "812345676"


def test_sirene_geography_naf_and_head_office(spark, loaded):
    _, _, lake, _ = loaded
    units = rows_by_line(
        spark,
        lake,
        "sirene_unite_legale",
        "siren",
        "naf",
        "naf_section",
        "siret_siege",
        "est_active",
        "unite_purgee",
        "denomination",
        "date_dernier_traitement",
    )
    assert units[("2024-06", 2)][:6] == ("812345676", "16.23Z", "C", "81234567600017", True, False)
    assert units[("2024-06", 3)][4] is False
    assert units[("2024-06", 4)][2] == "O"
    assert units[("2024-06", 5)][5:7] == (True, 'LA "BELLE"\nEPOQUE')  # a quoted line break
    assert units[("2024-06", 7)][1:3] == (None, None)  # NAFRev1
    assert units[("2024-06", 9)][3:5] + units[("2024-06", 9)][7:] == (None, None, None)
    assert units[("2024-06", 11)][6] == "ACME\x01 SA\x0bNORD"  # control characters kept as delivered
    etab = rows_by_line(
        spark, lake, "sirene_etablissement", "siret", "departement", "region", "est_siege", "est_actif", "code_commune"
    )
    assert etab[("2024-06", 2)][1:5] == ("74", "84", True, True)
    assert etab[("2024-06", 3)][1:5] == ("2A", "94", True, False)  # Corsica
    assert etab[("2024-06", 5)][1:3] == ("974", "04")  # La Réunion
    assert etab[("2024-06", 6)][1:3] == ("987", "00")  # Polynésie française
    assert etab[("2024-06", 7)][1:3] == ("2A", "94")  # old code 20, postal 20000
    assert etab[("2024-06", 8)][1:3] == (None, "94")  # old code 20, no postal code
    assert etab[("2024-06", 9)][1:] == (None, None, None, True, None)
    assert etab[("2024-06", 10)][1:] == (None, None, False, False, None)  # abroad, closed


def test_bronze_schemas_lineage_and_commit_metadata(spark, loaded):
    _, _, lake, _ = loaded
    for source in SOURCES:
        table = bronze(spark, lake, source)
        assert table.schema == SPECS[source].schema, source
        assert table.filter(F.col("ingest_run_id") != RUN).count() == 0
        history = lake.table(spark, tables.bronze(source)).history().select("operation", "userMetadata").collect()
        written = [json.loads(h.userMetadata) for h in history if h.operation == "WRITE"]
        assert written and all(m["run_id"] == RUN and set(m["batches"]) <= {"2024-06", "2024-07"} for m in written)
    lines = bronze(spark, lake, "urssaf_cotisation").select("source_file").distinct().collect()
    assert {r.source_file for r in lines} == {"sigfaible_cotisdues.csv", "sigfaible_cotisdues.csv.gz"}


def test_check_constraints_guard_the_tables(spark, loaded):
    _, _, lake, _ = loaded
    properties = lake.table(spark, "bronze/urssaf_effectif_ent").detail().first()["properties"]
    assert {
        "delta.constraints.siren_9_digits",
        "delta.constraints.effectif_not_negative",
        "delta.constraints.periode_month_start",
    } <= set(properties)
    bad = bronze(spark, lake, "urssaf_effectif_ent").limit(1).withColumn("effectif", F.lit(-1))
    with pytest.raises(Exception, match="effectif_not_negative"):
        lake.write(bad, "bronze/urssaf_effectif_ent", mode="append")
    bad = bronze(spark, lake, "urssaf_debit").limit(1).withColumn("periode_prise_en_compte", F.lit(D(2024, 3, 2)))
    with pytest.raises(Exception, match="periode_prise_en_compte_month_start"):
        lake.write(bad, "bronze/urssaf_debit", mode="append")


def test_report_table_and_versions(spark, loaded):
    _, report, lake, _ = loaded
    table = lake.read(spark, tables.INGEST_REPORT)
    assert table.count() == len(SOURCES) * 2 == len(report.units)
    row = table.filter("source = 'urssaf_cotisation' AND batch = '2024-06'").first()
    assert (row.lines_read, row.accepted_lines, row.rejected_lines, row.rejects_by_reason["date_out_of_range"]) == (
        20,
        7,
        10,
        2,
    )
    # Bronze keeps both deliveries of a record; the resolution keeps one, dated by its first batch.
    debit = latest_versions(bronze(spark, lake, "urssaf_debit"), DEBIT_KEY)
    step = debit.filter("numero_ecart_negatif = 101 AND numero_historique = 3").collect()
    assert [(r.batch, r.first_batch) for r in step] == [("2024-07", "2024-06")]
    cotisation = latest_versions(bronze(spark, lake, "urssaf_cotisation"), COTISATION_KEY, as_of="2024-07")
    january = cotisation.filter("periode_debut = '2024-01-01' AND siret = '81234567600017'").collect()
    assert [(r.batch, r.first_batch) for r in january] == [("2024-07", "2024-06")]
    assert (
        latest_versions(bronze(spark, lake, "urssaf_cotisation"), COTISATION_KEY, as_of="2024-06")
        .filter("batch = '2024-07'")
        .count()
        == 0
    )
    assert [
        (f.file, f.lines_read)
        for f in table.filter("source = 'altares_paydex' AND batch = '2024-06'").first().file_lines
    ] == [(f["file"], f["lines_read"]) for f in report.unit("altares_paydex", "2024-06").file_lines]
    printed = report.table()
    assert "urssaf_cotisation" in printed and "2024-06" in printed
    increment = next(f for f in report.unit("altares_paydex", "2024-06").file_lines if f["file"] == ALTARES_INCREMENT)
    assert (
        f"  {increment['file']}: read {increment['lines_read']} = accepted {increment['accepted_lines']} + rejected "
        f"{increment['rejected_lines']} + skipped {increment['skipped_lines']}"
    ) in printed.splitlines()
