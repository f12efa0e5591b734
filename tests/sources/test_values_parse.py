"""Spark value parsers (SOURCES.md 0.3-0.4): identifiers, dates, URSSAF periods and numbers. Each
test evaluates a table of cases in one Spark job."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from signaux_spark.ids import luhn_complete, luhn_ok
from signaux_spark.sources import values as v
from signaux_spark.sources.rows import stage

D = dt.date


def evaluate(spark, parser, inputs: list[str | None]) -> list[tuple]:
    """(value, problem, raised flags) of `parser(raw)` for each input, in order, as the source
    modules see them (through `stage`)."""
    df = spark.createDataFrame([(i, x) for i, x in enumerate(inputs)], "i int, raw string")
    df, staged = stage(df, x=parser(F.col("raw")))
    parsed = staged.x
    flags = F.array_compact(F.array(*parsed.flags, F.lit(None).cast("string")))
    problem = parsed.problem if parsed.problem is not None else F.lit(None).cast("string")
    rows = (
        df.select("i", parsed.value.alias("value"), problem.alias("problem"), flags.alias("flags"))
        .orderBy("i")
        .collect()
    )
    return [(r.value, r.problem, r.flags) for r in rows]


def test_siren(spark):
    cases = {
        "812345676": ("812345676", None, []),
        "42112359": ("042112359", None, ["id_zero_padded"]),  # lost leading zero
        "042112359.0": ("042112359", None, []),  # spreadsheet float
        "8.12345676E8": (None, "invalid_siren", []),  # scientific notation
        "812345677": (None, "invalid_siren_checksum", []),
        "000000000": (None, "invalid_siren", []),
        "8123456760": (None, "invalid_siren", []),  # too long
        "81234567A": (None, "invalid_siren", []),
        "356000000": ("356000000", None, []),  # La Poste
        None: (None, None, []),
    }
    assert evaluate(spark, v.siren, list(cases)) == list(cases.values())


def test_siret(spark):
    la_poste = "35600000000010"  # digit sum 15, a multiple of 5; fails Luhn
    assert sum(map(int, la_poste)) % 5 == 0 and not luhn_ok(la_poste)
    pseudo = "812345676" + "50013"  # NIC starting with 5: URSSAF pseudo-SIRET, its failing key not checked
    assert not luhn_ok(pseudo)
    bad_key = "81234567600018"
    cases = {
        "81234567600017": ("81234567600017", None, []),
        "4211235900015": ("04211235900015", None, ["id_zero_padded"]),
        "81234567600017.0": ("81234567600017", None, []),
        "8.12345676E13": (None, "invalid_siret", []),
        "8123456760001A": (None, "provisional_siret", []),
        "494039696E0054": (None, "provisional_siret", []),  # not scientific notation
        "8,12346E+13": (None, "invalid_siret", []),
        "00000000000000": (None, "invalid_siret", []),
        "00000000012345": (None, "invalid_siren", []),
        "81234567700017": (None, "invalid_siren_checksum", []),
        bad_key: (bad_key, None, ["siret_checksum_failed"]),
        la_poste: (la_poste, None, []),
        pseudo: (pseudo, None, ["pseudo_siret"]),
        "812345676000170": (None, "invalid_siret", []),
    }
    assert evaluate(spark, lambda c: v.siret(c, pseudo=True), list(cases)) == list(cases.values())
    # Outside URSSAF sources a NIC starting with 5 is an ordinary SIRET, checked with its key.
    assert evaluate(spark, v.siret, [pseudo]) == [(pseudo, None, ["siret_checksum_failed"])]


def test_dates(spark):
    iso_fr = lambda c: v.date(c, french=True)  # noqa: E731
    cases = {
        "2024-03-18": (D(2024, 3, 18), None),
        "18/03/2024": (D(2024, 3, 18), None),
        "31/02/2023": (None, "invalid_date"),
        "01/15/2019": (None, "invalid_date"),
        "2024-3-18": (None, "invalid_date"),
        "2024-02-29": (D(2024, 2, 29), None),
        "2023-02-29": (None, "invalid_date"),
        "20240318": (None, "invalid_date"),
        None: (None, None),
    }
    assert [r[:2] for r in evaluate(spark, iso_fr, list(cases))] == list(cases.values())
    short = {
        "25/03/20": D(2020, 3, 25),
        "01/01/49": D(2049, 1, 1),
        "01/01/50": D(1950, 1, 1),
        "2020-03-25": D(2020, 3, 25),
    }
    assert [r[0] for r in evaluate(spark, lambda c: v.date(c, french_short=True), list(short))] == list(short.values())


def test_urssaf_procol_compact_and_timestamp_dates(spark):
    urssaf = {
        "1240318": D(2024, 3, 18),
        "990612": D(1999, 6, 12),
        "1000105": D(2000, 1, 5),
        "10612": None,
        "1240230": None,
        "12403188": None,
    }
    assert [r[0] for r in evaluate(spark, v.urssaf_date, list(urssaf))] == list(urssaf.values())
    assert evaluate(spark, v.urssaf_date, ["10612"])[0][1] == "invalid_date"
    procol = {
        "26MAY2014": D(2014, 5, 26),
        "14mar2022": D(2022, 3, 14),
        "31FEV2022": None,
        "31APR2022": None,
        "2014-05-26": None,
    }
    assert [r[0] for r in evaluate(spark, v.procol_date, list(procol))] == list(procol.values())
    assert [r[0] for r in evaluate(spark, v.compact_date, ["20090415", "20091315"])] == [D(2009, 4, 15), None]
    assert evaluate(spark, v.timestamp, ["2024-03-12T09:41:27", "2024-03-12 09:41"])[0][0] == dt.datetime(
        2024, 3, 12, 9, 41, 27
    )
    assert evaluate(spark, v.timestamp, ["2024-03-12 09:41"])[0][1] == "invalid_date"


def test_months_truncated_and_flagged(spark):
    cases = {
        "2020-04-01": (D(2020, 4, 1), None, []),
        "2020-04-30": (D(2020, 4, 1), None, ["day_truncated"]),
        "04/2020": (D(2020, 4, 1), None, []),
        "2020-13-01": (None, "invalid_date", []),
    }
    assert evaluate(spark, lambda c: v.month(c, month_year=True), list(cases)) == list(cases.values())


def test_urssaf_periods(spark):
    cases = {  # code: (start, end exclusive, months)
        "2412": (D(2024, 2, 1), D(2024, 3, 1), 1),
        "202420": (D(2024, 4, 1), D(2024, 7, 1), 3),
        "202362": (D(2023, 1, 1), D(2024, 1, 1), 12),
        "201631": (D(2016, 7, 1), D(2016, 8, 1), 1),
        "202411": (D(2024, 1, 1), D(2024, 2, 1), 1),  # never read as November
        "9943": (D(1999, 12, 1), D(2000, 1, 1), 1),
        "2162": (D(2021, 1, 1), D(2022, 1, 1), 12),
        "202405": None,
        "2450": None,
        "202463": None,
        "202404": None,
        "20241": None,
        "abcd": None,
    }
    df = spark.createDataFrame([(i, c) for i, c in enumerate(cases)], "i int, raw string")
    start, end, n = v.urssaf_period(F.col("raw"))
    df, p = stage(df, start=start)
    rows = (
        df.select("i", p.start.value.alias("s"), end.alias("e"), n.alias("n"), p.start.problem.alias("p"))
        .orderBy("i")
        .collect()
    )
    for (code, expected), row in zip(cases.items(), rows, strict=True):
        if expected is None:
            assert (row.s, row.p) == (None, "invalid_period_code"), code
        else:
            assert (row.s, row.e, row.n, row.p) == (*expected, None), code


def test_numbers(spark):
    decimals = {
        "15230,40": 15230.4,
        "-1240,00": -1240.0,
        "6370.0": 6370.0,
        "0": 0.0,
        "1 204,00": None,
        "1.204,50": None,
        "12,3,4": None,
        "abc": None,
        "1e5": None,
    }
    assert [r[0] for r in evaluate(spark, v.decimal, list(decimals))] == list(decimals.values())
    assert evaluate(spark, v.decimal, ["1.204,50"])[0][1] == "invalid_number"
    integers = {"559": 559, "559.0": 559, "559,00": 559, "-3": -3, "559.5": None, "99999999999": None}
    assert [r[0] for r in evaluate(spark, v.integer, list(integers))] == list(integers.values())
    cents = {"120630": 1206.30, "-500": -5.0, "1206.30": None, "1206,30": None}
    assert [r[0] for r in evaluate(spark, v.centimes, list(cents))] == list(cents.values())
    assert evaluate(spark, v.centimes, ["1206.30"])[0][1] == "invalid_number"


def test_headcounts(spark):
    cases = {
        "14": (14, None, []),
        "0": (0, None, []),
        "559.0": (559, None, []),
        "1 204": (1204, None, []),
        "1\u00a0204": (1204, None, []),
        "1\u202f204": (1204, None, []),
        "1.204": (1204, None, ["thousands_separator_removed"]),
        "1,204,000": (1204000, None, ["thousands_separator_removed"]),
        "12.5": (None, "invalid_headcount", []),
        "-3": (None, "invalid_headcount", []),
        "n/a": (None, "invalid_headcount", []),
    }
    assert evaluate(spark, v.headcount, list(cases)) == list(cases.values())


def test_roles_require_attribute_check_and_range(spark):
    required = evaluate(spark, lambda c: v.require(c, v.decimal(c)), [None, "x", "1"])
    assert [r[1] for r in required] == ["missing_required_value", "invalid_number", None]
    attribute = evaluate(spark, lambda c: v.attribute(v.decimal(c), "mer"), [None, "x", "1"])
    assert attribute == [(None, None, []), (None, None, ["bad_mer"]), (1.0, None, [])]
    ranged = evaluate(
        spark,
        lambda c: v.in_range(v.date(c), D(1990, 1, 1), F.lit(D(2024, 6, 20))),
        ["1989-12-31", "1990-01-01", "2024-06-20", "2024-06-21", "bad"],
    )
    assert [r[1] for r in ranged] == ["date_out_of_range", None, None, "date_out_of_range", "invalid_date"]
    checked = evaluate(
        spark, lambda c: v.check(v.decimal(c), v.decimal(c).value >= 0, "negative_not_allowed"), ["-1", "2"]
    )
    assert [r[1] for r in checked] == ["negative_not_allowed", None]


def test_helpers_for_generated_ids_are_consistent(spark):
    """The Spark Luhn and the Python one agree on ids built with luhn_complete."""
    sirens = [luhn_complete(f"{n:08d}") for n in (1234567, 42112359, 35600000, 99999999)]
    assert all(r[1] is None for r in evaluate(spark, v.siren, sirens))


def test_lookup_keeps_any_reference_text_exact(spark):
    """Reference tables go into SQL text: quotes and backslashes in their values come out as written."""
    mapping = {"2A": "Corse", "93": "Provence-Alpes-Côte d'Azur", "x'y": "a\\b", "z": "\\'"}
    df = spark.createDataFrame([(k,) for k in [*mapping, "99", None]], "k string")
    found = [r.found for r in df.select(v.lookup(mapping, F.col("k")).alias("found")).collect()]
    assert found == [*mapping.values(), None, None]
