import random

from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import functions as F

from signaux_spark.ids import LA_POSTE_SIREN, luhn_complete, luhn_ok, siret_ok
from signaux_spark.sources import values


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


def test_ingestion_checks_agree_with_python(spark):
    """The checks ingestion runs (SQL on the id as a number) give the Python answers, on known ids and
    on random ones: leading zeros, La Poste SIRETs, about one in ten passing by chance plus forged ones."""
    rng = random.Random(7)

    def digits(k: int) -> str:
        return "".join(rng.choices("0123456789", k=k))

    sirens = ["812345676", "812345677", "042112359", "000000000"]
    sirens += [digits(9) for _ in range(300)] + [luhn_complete(digits(8)) for _ in range(50)]
    sirets = ["81234567600017", "35600000000010", "35600000000011", "52310987400025"]
    sirets += [digits(14) for _ in range(300)] + [luhn_complete(digits(13)) for _ in range(50)]
    sirets += [LA_POSTE_SIREN + digits(5) for _ in range(100)]
    number = "cast(id AS bigint)"
    rows = (
        spark.createDataFrame([(i,) for i in sirens + sirets], "id string")
        .select(
            "id",
            F.expr(
                f"CASE WHEN length(id) = 9 THEN {values.luhn_ok(number, 9)} ELSE {values.luhn_ok(number, 14)} END"
            ).alias("luhn"),
            F.expr(values.siret_key_ok(number)).alias("siret"),
        )
        .collect()
    )
    assert len(rows) == len(sirens) + len(sirets)
    assert {r["luhn"] for r in rows} == {True, False}
    for row in rows:
        assert row["luhn"] == luhn_ok(row["id"]), row
        if len(row["id"]) == 14:
            assert row["siret"] == siret_ok(row["id"]), row
