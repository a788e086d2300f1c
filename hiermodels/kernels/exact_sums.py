"""Exact sums of floating-point numbers: the same bits whatever the order of the rows.

A floating-point sum depends on the order of its terms in the last bits, so the
statistics of a data set split into partitions would differ from those of the whole, and
NUTS, whose trajectories amplify any difference, would give other draws for the same
seed. Here every term is split into 16-bit integer *limbs* on a grid of powers of two
shared by all terms (``v = sum_t L_t 2^(16 t)``); limbs are summed as 64-bit
integers (exact for up to ``2^47`` rows), and the limbs of a total are rounded once,
correctly, with :func:`math.fsum`. The result is the exact sum rounded to the nearest
float64: independent of order and partitioning.

Examples
--------
>>> values = np.array([[1e16], [1.0], [-1e16], [1.0]])
>>> float(values.sum()), float(LevelSums.of(values, np.zeros(4, dtype=int), 1).value()[0, 0])
(1.0, 2.0)
>>> a = LevelSums.of(values[:2], np.zeros(2, dtype=int), 1)
>>> b = LevelSums.of(values[2:], np.zeros(2, dtype=int), 1)
>>> float((a + b).value()[0, 0])
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

__all__ = [
    "LevelSums",
    "add_value",
    "exact_moments",
    "limb_span",
    "moment_sums",
    "moments_from_sums",
]

_LIMB = 16  # bits per limb


@dataclass(frozen=True, eq=False)
class LevelSums:
    """Exact sums per level of ``K`` columns: limb ``lo + t`` of every entry in
    ``limbs[..., t]`` (integers)."""

    lo: int  # the lowest limb's index
    limbs: np.ndarray  # (levels, columns, width) int64

    @classmethod
    def of(cls, values: np.ndarray, codes: np.ndarray, J: int) -> LevelSums:
        """The exact sums of ``values`` (rows, K) within the levels ``codes`` (0 .. J-1)."""
        values = np.ascontiguousarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ValueError("exact sums need finite values")
        codes = np.ascontiguousarray(codes, dtype=np.int64)
        lo, hi = _limb_range(values)
        if hi < lo:  # all zero
            return cls(0, np.zeros((J, values.shape[1], 0), dtype=np.int64))
        limbs = np.zeros((J, values.shape[1], hi - lo + 1), dtype=np.int64)
        _accumulate(values, codes, lo, limbs)
        return cls(lo, limbs)

    @property
    def shape(self) -> tuple[int, int]:
        return self.limbs.shape[:2]

    def __add__(self, other: LevelSums) -> LevelSums:
        if not self.limbs.shape[2]:
            return other
        if not other.limbs.shape[2]:
            return self
        lo = min(self.lo, other.lo)
        hi = max(self.lo + self.limbs.shape[2], other.lo + other.limbs.shape[2])
        out = np.zeros((*self.shape, hi - lo), dtype=np.int64)
        for part in (self, other):
            out[..., part.lo - lo : part.lo - lo + part.limbs.shape[2]] += part.limbs
        return LevelSums(lo, out)

    def value(self) -> np.ndarray:
        """The sums, each the exact total rounded once to float64: (levels, columns)."""
        width = self.limbs.shape[2]
        if not width:
            return np.zeros(self.shape)
        scale = np.ldexp(1.0, _LIMB * (self.lo + np.arange(width)))
        terms = self.limbs.astype(float) * scale  # exact: limbs < 2^53, powers of two
        return np.array([math.fsum(row) for row in terms.reshape(-1, width)]).reshape(self.shape)


def exact_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (``ddof=0``) of each column of ``values`` (rows, K) from exact sums of
    the values minus the first row's, and of their squares: the same bits however the
    rows are split (the first row kept first). The shift keeps a large mean from
    cancelling the digits of a small SD.

    Examples
    --------
    >>> mean, sd = exact_moments(np.array([[1.0], [2.0], [3.0], [4.0]]))
    >>> float(mean[0]), float(sd[0]) == float(np.std([1.0, 2.0, 3.0, 4.0]))
    (2.5, True)
    """
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    origin = values[0] if len(values) else np.zeros(values.shape[1])
    return moments_from_sums(moment_sums(values, origin).value()[0], len(values), origin)


def moment_sums(values: np.ndarray, origin: np.ndarray) -> LevelSums:
    """Exact sums of ``values - origin`` (rows, K), then of their squares: (1, 2K)."""
    shifted = values - origin
    both = np.concatenate([shifted, shifted * shifted], axis=1)
    return LevelSums.of(both, np.zeros(len(values), dtype=np.int64), 1)


def moments_from_sums(
    sums: np.ndarray, n: float, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means and SDs from the sums of ``K`` columns minus ``origin``, followed by the sums
    of their squares (an SD of 1 when ``n <= 1``, as the default priors take it)."""
    K = len(sums) // 2
    offset = sums[:K] / n
    if n <= 1:
        return origin + offset, np.ones(K)
    return origin + offset, np.sqrt(np.maximum(sums[K:] / n - offset * offset, 0.0))


@numba.njit(cache=True)
def _split(bits):
    """``(m, e)`` with ``|v| = m 2^e`` (``m`` an integer below ``2^53``) from the bits of
    a finite float64 ``v``."""
    field = (bits >> 52) & 0x7FF
    fraction = bits & 0xFFFFFFFFFFFFF
    if field == 0:  # subnormal
        return fraction, -1074
    return fraction | 0x10000000000000, field - 1075


@numba.njit(cache=True)
def limb_span(bits, lo, hi):
    """``(lo, hi)`` widened to the limbs of the float64 with these ``bits`` (unchanged
    for 0)."""
    if bits & 0x7FFFFFFFFFFFFFFF:
        _, e = _split(bits)
        lo = min(lo, e // _LIMB)
        hi = max(hi, (e + 52) // _LIMB)
    return lo, hi


@numba.njit(cache=True)
def add_value(limbs, level, k, bits, lo):
    """Add the limbs of the float64 with these ``bits`` into ``limbs[level, k]`` (whose
    first limb has index ``lo``)."""
    if not bits & 0x7FFFFFFFFFFFFFFF:
        return
    m, e = _split(bits)
    sign = -1 if bits < 0 else 1
    base = e // _LIMB
    offset = e - base * _LIMB
    for half, shift in ((m >> 26, 26), (m & ((1 << 26) - 1), 0)):
        start = base + (offset + shift) // _LIMB
        wide = half << ((offset + shift) % _LIMB)  # < 2^42: three limbs
        for j in range(3):
            digit = (wide >> (_LIMB * j)) & ((1 << _LIMB) - 1)
            if digit:
                limbs[level, k, start + j - lo] += sign * digit


@numba.njit(cache=True)
def _limb_range(values):
    """The lowest and highest limb any nonzero value touches."""
    lo, hi = 1 << 20, -(1 << 20)
    for bits in values.view(np.int64).ravel():
        lo, hi = limb_span(bits, lo, hi)
    return lo, hi


@numba.njit(cache=True)
def _accumulate(values, codes, lo, limbs):
    """Add every value's limbs into ``limbs[level, column]`` (int64: exact to 2^47 rows)."""
    n, K = values.shape
    bits = values.view(np.int64)
    for i in range(n):
        for k in range(K):
            add_value(limbs, codes[i], k, bits[i, k], lo)
