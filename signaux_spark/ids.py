"""SIREN / SIRET keys (SOURCES.md 0.3): the Luhn check in Python (the generator, the tests). Ingestion
checks the same rules in SQL, on the id as a number (`sources/values.py`)."""

from __future__ import annotations

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
