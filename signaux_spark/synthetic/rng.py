"""Counter-based randomness: every draw is a pure hash of (seed, stream, integer coordinates).

A firm's random numbers therefore never depend on which partition simulates it, nor on how many
other firms are simulated alongside: the output is byte-identical whatever the partitioning. The
hash is splitmix64's finaliser applied coordinate by coordinate, vectorised with numpy uint64.
"""

from __future__ import annotations

import hashlib

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TO_UNIT = 1.0 / float(1 << 53)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


class Stream:
    """A named family of draws for one seed; call it with integer coordinates (arrays broadcast)."""

    def __init__(self, seed: int, name: str):
        digest = hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest()
        self.key = np.uint64(int.from_bytes(digest, "little"))
        self.name = name

    def bits(self, *coords) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = np.asarray(self.key, dtype=np.uint64)
            for c in coords:
                c = np.asarray(c, dtype=np.int64).view(np.uint64)
                h = _mix(h ^ (c * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))
            return np.atleast_1d(_mix(h))

    def uniform(self, *coords) -> np.ndarray:
        """Floats in [0, 1)."""
        return (self.bits(*coords) >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def normal(self, *coords) -> np.ndarray:
        """Standard normal draws (Box-Muller on two independent hashes)."""
        u1 = self.uniform(*coords, 0x5EED1)
        u2 = self.uniform(*coords, 0x5EED2)
        return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)

    def integers(self, low, high, *coords) -> np.ndarray:
        """Integers in [low, high) (bounds broadcast with the coordinates)."""
        low = np.asarray(low)
        span = np.asarray(high) - low
        return (low + np.floor(self.uniform(*coords) * span)).astype(np.int64)

    def choice(self, weights, *coords) -> np.ndarray:
        """Indices drawn with the given (unnormalised) weights."""
        cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        idx = np.searchsorted(cum / cum[-1], self.uniform(*coords), side="right")
        return np.minimum(idx, len(cum) - 1)


class Streams:
    """Lazily built streams of one seed: `streams["debt_pay"].uniform(firm, month)`."""

    def __init__(self, seed: int):
        self.seed = seed
        self._cache: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        stream = self._cache.get(name)
        if stream is None:
            stream = self._cache[name] = Stream(self.seed, name)
        return stream
