"""build_features and jobs/features.py: the tables and their contracts, one pass equal to month by
month, replaceWhere per month, clear errors."""

import datetime as dt

import pytest
from chispa import assert_df_equality

from signaux_spark import tables
from signaux_spark.config import FeatureSettings
from signaux_spark.errors import JobError
from signaux_spark.features.build import FIRMS_COLUMNS, build_features, build_month, carried
from signaux_spark.features.states import AS_OF
from signaux_spark.io import Lake
from signaux_spark.sources import SOURCES
from tests.features.features_kit import d, scenario
from tests.helpers import job_main, make_settings


def write_bronze(spark, settings, frames):
    lake = Lake(settings)
    for source, df in frames.items():
        lake.write(df, tables.bronze(source), mode="overwrite")
    return lake


@pytest.fixture(scope="module")
def lakes(spark, tmp_path_factory):
    """The months 2023-01 (the registry's first batch) .. 2024-08 built in one pass (lake `one`),
    and in lake `each` 2023-01..2024-06 in one pass then 2024-07 and 2024-08 as monthly runs (the
    job's --period, then build_month), their windows read from the silver months stored before."""
    bronze = scenario(spark)
    one = make_settings(tmp_path_factory.mktemp("one"))
    each_root = tmp_path_factory.mktemp("each")
    each = make_settings(each_root)
    write_bronze(spark, one, bronze)
    write_bronze(spark, each, bronze)
    counts = build_features(spark, one, d("2023-01"), d("2024-08"))
    build_features(spark, each, d("2023-01"), d("2024-06"))
    assert job_main("features")(["--period", "2024-07", f"paths.root={each_root}"]) == 0
    monthly = build_month(spark, each, d("2024-08"))
    return Lake(one), Lake(each), counts, monthly


@pytest.mark.slow  # builds the features of two lakes
def test_one_pass_equals_month_by_month(spark, lakes):
    one, each, counts, monthly = lakes
    for table in tables.FEATURE_TABLES:
        a, b = one.read(spark, table), each.read(spark, table)
        assert_df_equality(a, b, ignore_row_order=True)
    assert counts["features"] == 3 * 20  # 3 firms x 20 months
    assert monthly == {"silver_months_built": 1, "firms": 3, "firm_months": 3, "features": 3}
    # The range 2023-01..2024-06 left the carried states at 2024-06, which 2024-07 folded its batch into.
    for spec in carried(FeatureSettings()):
        kept = each.read(spark, tables.state(spec.name)).select(AS_OF).distinct().collect()
        assert sorted(r[0] for r in kept) == [d("2024-06"), d("2024-07"), d("2024-08")], spec.name


@pytest.mark.slow  # builds the features of two lakes
def test_a_month_without_its_stored_window_builds_it_from_bronze(spark, lakes, tmp_path):
    """No silver month before 2024-08 is stored: the month falls back to the window from bronze
    (37 silver months built, none stored but its own) and gives the one-pass rows."""
    one, _, _, _ = lakes
    alone = make_settings(tmp_path)
    write_bronze(spark, alone, scenario(spark))
    counts = build_month(spark, alone, d("2024-08"))
    assert counts["silver_months_built"] == 37
    for table in (tables.FIRM_MONTHS, tables.FEATURES):
        got = Lake(alone).read(spark, table)
        assert got.select("periode").distinct().collect() == [(d("2024-08"),)]
        assert_df_equality(got, one.read(spark, table).where("periode = '2024-08-01'"), ignore_row_order=True)


@pytest.mark.slow  # builds the features of two lakes
def test_contracts_of_the_tables(spark, lakes):
    one, _, _, _ = lakes
    features = one.read(spark, tables.FEATURES)
    types = dict(features.dtypes)
    assert list(features.columns[:11]) == [
        "siren",
        "periode",
        "region",
        "departement",
        "naf_section",
        "in_perimeter",
        "perimeter_exclusion",
        "in_proceeding",
        "proceeding_state",
        "effectif",
        "dette_sociale",
    ]
    assert types["periode"] == "date" and types["in_perimeter"] == "boolean" and types["in_proceeding"] == "boolean"
    numeric = {"double", "int", "bigint"}
    assert all(types[c] in numeric for c in features.columns[11:] if c not in ("naf_section", "region"))
    assert one.table(spark, tables.FEATURES).detail().first()["partitionColumns"] == ["periode"]
    rows = {(r["siren"], r["periode"]): r for r in features.collect()}
    a, b, c = rows[("812345676", d("2024-07"))], rows[("523109874", d("2024-07"))], rows[("042112359", d("2024-08"))]
    assert (a["region"], a["naf_section"], a["in_perimeter"], a["dette_sociale"], a["effectif"]) == (
        "84",
        "C",
        True,
        0.0,
        14,
    )
    assert a["dette_sociale_lag3m"] == 4021.0 and a["dette_sociale_lag2m"] == 2010.5
    assert a["cotisation"] == 15230.4 and a["paydex"] == 21.0 and a["liasse_age"] == 7
    assert a["delai_en_cours"] == 1 and a["delai_montant"] == 4021.0
    # B: under 10 employees known since mid-2023 but 12 earlier within 36 months; in proceeding.
    assert (b["region"], b["in_perimeter"], b["in_proceeding"], b["proceeding_state"]) == (
        "94",
        True,
        True,
        "Redressement judiciaire",
    )
    assert c["ap_heures_autorisees"] == 0.0 and c["effectif"] == 1204
    labels = {(r["siren"], r["periode"]): r for r in one.read(spark, tables.LABELS).collect()}
    assert labels[("523109874", d("2024-07"))]["next_opening"] == d("2024-08-09")
    assert labels[("523109874", d("2024-07"))]["in_proceeding_known"]
    assert labels[("812345676", d("2024-07"))]["failure"] is None  # 18 months not observed yet
    firms = one.read(spark, tables.FIRMS)
    assert firms.columns == FIRMS_COLUMNS and firms.count() == 3


def test_missing_bronze_table_is_a_clear_error(spark, tmp_path):
    settings = make_settings(tmp_path)
    with pytest.raises(JobError, match="bronze tables missing: " + ", ".join(SOURCES[:2])):
        build_features(spark, settings, dt.date(2024, 7, 1), dt.date(2024, 7, 1))
    with pytest.raises(JobError, match="--period"):
        job_main("features")([f"paths.root={tmp_path}"])


def test_quiet_proceedings_deliveries_count_as_observed(spark, settings):
    """A header-only proceedings file (loaded, no event) extends what the labels know; a missing
    delivery does not."""
    from signaux_spark.features.build import observed_until, procol_deliveries
    from signaux_spark.ingest import REPORT_SCHEMA

    lake = Lake(settings)
    events = spark.createDataFrame([("2024-01",)], "batch string")
    lake.write(events, "bronze/urssaf_procol")
    assert observed_until(procol_deliveries(spark, lake), 20) == dt.date(2024, 1, 20)

    def report_row(batch, status):
        values = {
            f.name: (
                []
                if f.dataType.typeName() == "array"
                else {}
                if f.dataType.typeName() == "map"
                else 0.0
                if f.dataType.typeName() == "double"
                else 0
            )
            for f in REPORT_SCHEMA.fields
        }
        return {**values, "run_id": "r", "batch": batch, "source": "urssaf_procol", "status": status, "message": None}

    report = spark.createDataFrame([report_row("2024-03", "loaded"), report_row("2024-04", "missing")], REPORT_SCHEMA)
    lake.write(report, tables.INGEST_REPORT)
    assert observed_until(procol_deliveries(spark, lake), 20) == dt.date(2024, 3, 20)
