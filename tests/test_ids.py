from hypothesis import given
from hypothesis import strategies as st

from signaux_spark.ids import luhn_complete, luhn_ok, luhn_ok_col, siret_ok, siret_ok_col


def test_luhn_on_known_ids():
    assert luhn_ok("812345676")  # SOURCES.md examples
    assert luhn_ok("042112359")
    assert luhn_ok("81234567600017")
    assert not luhn_ok("812345677")
    assert siret_ok("35600000000010")  # La Poste: digit sum 15, a multiple of 5
    assert not siret_ok("35600000000011")


@given(st.text("0123456789", min_size=8, max_size=13))
def test_luhn_complete_always_passes_and_one_digit_change_fails(prefix):
    full = luhn_complete(prefix)
    assert luhn_ok(full)
    changed = full[:-1] + str((int(full[-1]) + 1) % 10)
    assert not luhn_ok(changed)


def test_spark_twins_agree_with_python(spark):
    ids = [
        "812345676",
        "812345677",
        "042112359",
        "000000000",
        "81234567600017",
        "35600000000010",
        "35600000000011",
        "52310987400025",
    ]
    rows = (
        spark.createDataFrame([(i,) for i in ids], "id string")
        .select("id", luhn_ok_col("id").alias("luhn"), siret_ok_col("id").alias("siret"))
        .collect()
    )
    for row in rows:
        assert row["luhn"] == luhn_ok(row["id"]), row
        assert row["siret"] == siret_ok(row["id"]), row
