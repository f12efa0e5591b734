"""SIREN / SIRET keys (SOURCES.md 0.3): the Luhn check, in Python and as a Spark column expression."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    """Luhn check of a string of digits: from the right, double every second digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """`prefix` plus the one check digit that makes it pass Luhn (used to forge valid ids)."""
    for last in "0123456789":
        if luhn_ok(prefix + last):
            return prefix + last
    raise AssertionError("unreachable: one check digit always exists")


def siret_ok(siret: str) -> bool:
    """A SIRET's own key: Luhn, or for La Poste the sum of its 14 digits is a multiple of 5."""
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def luhn_ok_col(col: Column | str) -> Column:
    """Spark twin of `luhn_ok` for a column of digit strings (null stays null)."""
    c = F.col(col) if isinstance(col, str) else col
    digits = F.transform(
        F.reverse(F.split(c, "")),
        lambda ch, i: F.when(
            i % 2 == 1,
            F.when(ch.cast("int") > 4, ch.cast("int") * 2 - 9).otherwise(ch.cast("int") * 2),
        ).otherwise(ch.cast("int")),
    )
    return F.aggregate(digits, F.lit(0), lambda acc, d: acc + d) % 10 == 0


def siret_ok_col(col: Column | str) -> Column:
    """Spark twin of `siret_ok`."""
    c = F.col(col) if isinstance(col, str) else col
    digit_sum = F.aggregate(F.transform(F.split(c, ""), lambda ch: ch.cast("int")), F.lit(0), lambda a, d: a + d)
    return F.when(c.startswith(LA_POSTE_SIREN), digit_sum % 5 == 0).otherwise(luhn_ok_col(c))
