"""Vectorised forging of unique, Luhn-valid SIRENs and SIRETs (the checks themselves live in
`signaux_spark.ids`; tests cross-check both)."""

from __future__ import annotations

import numpy as np

from signaux_spark.synthetic.rng import Stream

_BODIES = 10**8 - 1  # 8-digit SIREN bodies, La Poste's (35600000) left out
_LA_POSTE_BODY = 35600000
_MULTIPLIER = 62089913  # coprime with 99,999,999 = 3^2 * 11 * 73 * 101 * 137


def _luhn_check_digit(digits: np.ndarray) -> np.ndarray:
    """Check digit to append to rows of digits (n, k) so that the whole passes Luhn."""
    k = digits.shape[1]
    doubled = (k - np.arange(k)) % 2 == 1  # position from the right once the check digit is appended
    d = np.where(doubled, digits * 2, digits)
    d = np.where(d > 9, d - 9, d)
    return (10 - d.sum(axis=1) % 10) % 10


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def siren_numbers(firms: np.ndarray, seed: int) -> np.ndarray:
    """A SIREN (as an int) per firm index: a seeded bijection of the index onto 8-digit bodies, plus
    the Luhn key. Distinct firms always get distinct SIRENs; 356000000 (La Poste) is never used."""
    offset = int(Stream(seed, "siren").bits(0)[0] % np.uint64(_BODIES))
    body = (np.asarray(firms, dtype=np.int64) * _MULTIPLIER + offset) % _BODIES
    body = body + (body >= _LA_POSTE_BODY)
    return body * 10 + _luhn_check_digit(_digits(body, 8))


def nic_numbers(siren: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """NIC (as an int) = 4-digit sequence (< 5000, so the first digit is 0-4, never a pseudo-SIRET's)
    plus the key that makes the 14-digit SIRET pass Luhn."""
    seq = np.asarray(sequence, dtype=np.int64)
    if seq.size and seq.max() >= 5000:
        raise ValueError("establishment sequence beyond 4999")
    prefix = np.asarray(siren, dtype=np.int64) * 10000 + seq
    return seq * 10 + _luhn_check_digit(_digits(prefix, 13))


def as_text(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (object array)."""
    return np.char.zfill(np.asarray(values, dtype=np.int64).astype(str), width).astype(object)
