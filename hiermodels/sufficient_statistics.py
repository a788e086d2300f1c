"""The sufficient statistics of the collapsed gaussian likelihood, from exact row sums.

:mod:`hiermodels.collapsed` works on ``F = [1, X - c]`` (``c`` the column means) and on
the response centred on its mean. Those statistics are computed in two steps, the same
way for rows in memory and for the partitions of a Dask DataFrame
(:mod:`hiermodels.distributed`):

1. :func:`row_sums`: sums over rows of the *shifted* columns ``G = [1, X - s]`` and
   response ``y - s_y``, where the shifts ``s`` are the means of the first
   :data:`SHIFT_ROWS` rows (:func:`first_rows_shifts`). The sums are exact
   (:mod:`hiermodels.kernels.exact_sums`), so they do not depend on how the rows are
   split or ordered, and the shifts keep the squares from losing digits.
2. :func:`statistics_from_sums`: with ``d = mean(X - s)``, ``F = G M`` for
   ``M = [[1, -d'], [0, I]]``, and the response moves by the constant
   ``delta = s_y - mean(y)``; so ``F'F = M' G'G M``, ``Z'F = Z'G M``,
   ``Z'y_c = Z'y + delta Z'1``, and so on, exactly.

A model on partitions therefore gets the same statistics, to the bit, as the same model
in memory, and NUTS the same draws for the same seed.

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "x": [0.0, 1.0, 0.0, 2.0],
...                    "g": ["a", "a", "b", "b"]})
>>> design = hm.Model("y ~ x + (1 | g)", df).design
>>> sums = row_sums(design, "g", first_rows_shifts(design))
>>> stats = statistics_from_sums(sums, design, "g", first_rows_shifts(design))
>>> stats.y_mean, stats.Zty[:, 0].tolist()
(2.75, [-2.5, 2.5])
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from hiermodels import naming
from hiermodels.design import Design
from hiermodels.kernels.exact_sums import LevelSums, add_value, limb_span, moments_from_sums

__all__ = [
    "SHIFT_ROWS",
    "CollapsedStatistics",
    "RowSums",
    "Shifts",
    "first_rows_shifts",
    "row_sums",
    "statistics_from_sums",
]

#: The shifts are the means of this many first rows.
SHIFT_ROWS = 2000


@dataclass(frozen=True, eq=False)
class CollapsedStatistics:
    """Per-level and global sufficient statistics of the collapsed factor.

    ``y`` is the response minus the offset and minus its mean ``y_mean`` (for numerical
    accuracy of ``y'y``); the intercept absorbs ``y_mean``.
    """

    factor: str
    counts: np.ndarray  # (J,)
    ZtZ: np.ndarray  # (J, q, q)
    ZtF: np.ndarray  # (J, q, p)
    Zty: np.ndarray  # (J, q)
    FtF: np.ndarray  # (p, p)
    Fty: np.ndarray  # (p,)
    yty: float
    y_mean: float
    n_obs: int


@dataclass(frozen=True)
class Shifts:
    """The constants subtracted from the response and from the columns.

    ``y`` and ``columns`` (one per slope; empty without an intercept) for the statistics;
    ``origin`` (the first row's response, fixed columns and each factor's varying
    columns, in that order) for the moments of the default priors.
    """

    y: float
    columns: np.ndarray
    origin: dict[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class RowSums:
    """Exact sums over some rows; ``a + b`` is the sums over the rows of both."""

    per_level: LevelSums  # (J, ...) counts, Z'1, Z'Z, Z'G, Z'y, flattened
    overall: LevelSums  # (1, ...) G'G, G'1, G'y, y'y, sum y
    moments: LevelSums  # (1, 2K) sums of y, X, Z (minus the origin), then squares; or (1, 0)
    q: int
    p: int

    def __add__(self, other: RowSums) -> RowSums:
        sums = (getattr(self, k) + getattr(other, k) for k in ("per_level", "overall", "moments"))
        return RowSums(*sums, self.q, self.p)


def _slopes(design: Design) -> np.ndarray:
    names = design.fixed.names
    return design.fixed.matrix[:, [i for i, n in enumerate(names) if n != naming.INTERCEPT]]


def _response(design: Design) -> np.ndarray:
    y = design.y.astype(float)
    return y - design.offset if design.offset is not None else y


def first_rows_shifts(design: Design) -> Shifts:
    """The means of the response and the slopes over the first :data:`SHIFT_ROWS` rows
    (zero without an intercept: the statistics are then not centred), and the first row."""
    origin = {
        "y": design.y[:1].astype(float),
        "fixed": design.fixed.matrix[0],
        **{g.name: g.Z[0] for g in design.groups},
    }
    if not design.fixed.has_intercept:
        return Shifts(y=0.0, columns=np.zeros(0), origin=origin)
    head = slice(0, SHIFT_ROWS)
    y, slopes = _response(design)[head], _slopes(design)[head]
    return Shifts(y=float(y.mean()), columns=slopes.mean(axis=0), origin=origin)


def row_sums(
    design: Design,
    factor: str,
    shifts: Shifts,
    *,
    weights: np.ndarray | None = None,
    moments: bool = False,
) -> RowSums:
    """The exact sums of ``design``'s rows (times ``weights``, if given).

    One compiled pass finds the range of the terms' limbs, a second adds them up; the
    terms (``w Z_a Z_b``, ``w Z_a G_k``, ...) are formed per row and never stored. With
    ``moments`` also the sums for :func:`column_moments` (a model without rows needs them
    for its default priors; rows in memory give those directly).
    """
    slopes = _slopes(design)
    G = slopes
    if design.fixed.has_intercept:
        G = np.column_stack([np.ones(len(slopes)), slopes - shifts.columns])
    y = _response(design) - shifts.y
    g = design.group(factor)
    n = len(y)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    raw = np.empty((n, 0))
    if moments:
        o = shifts.origin
        raw = np.column_stack([design.y.astype(float), design.fixed.matrix, g.Z])
        raw = raw - np.concatenate([o["y"], o["fixed"], o[g.name]])
    arrays = [np.ascontiguousarray(a, dtype=float) for a in (G, g.Z, y, w, raw)]
    codes = np.ascontiguousarray(g.codes[:, 0], dtype=np.int64)
    q, p, r = g.Z.shape[1], G.shape[1], raw.shape[1]
    widths = (1 + 2 * q + q * q + q * p, p * p + 2 * p + 2, 2 * r)
    span = _term_span(*arrays, codes, widths)
    limbs = [np.zeros((J, k, max(hi - lo + 1, 0)), dtype=np.int64)
             for J, k, (lo, hi) in zip((g.n_levels, 1, 1), widths, span)]  # fmt: skip
    _add_terms(*arrays, codes, widths, np.array([lo for lo, _ in span]), *limbs)
    sums = [LevelSums(lo, limb) for (lo, _), limb in zip(span, limbs)]
    return RowSums(*sums, q, p)


@numba.njit(cache=True)
def _row_terms(G, Z, y, w, raw, i, level, overall, moments):
    """Row ``i``'s terms: per level ``w, wZ, wZZ', wZG', wZy``; overall ``wGG', wG, wGy,
    wy^2, wy``; moments ``raw, raw^2``."""
    q, p, r = Z.shape[1], G.shape[1], raw.shape[1]
    wi, yi = w[i], y[i]
    level[0] = wi
    at = 1
    for a in range(q):
        level[at + a] = Z[i, a] * wi
    at += q
    for a in range(q):
        for b in range(q):
            level[at + a * q + b] = (Z[i, a] * wi) * Z[i, b]
    at += q * q
    for a in range(q):
        for k in range(p):
            level[at + a * p + k] = (Z[i, a] * wi) * G[i, k]
    at += q * p
    for a in range(q):
        level[at + a] = (Z[i, a] * wi) * yi
    for k in range(p):
        for m in range(p):
            overall[k * p + m] = (G[i, k] * wi) * G[i, m]
        overall[p * p + k] = G[i, k] * wi
        overall[p * p + p + k] = (G[i, k] * wi) * yi
    overall[p * p + 2 * p] = wi * yi * yi
    overall[p * p + 2 * p + 1] = wi * yi
    for k in range(r):
        moments[k] = raw[i, k]
        moments[r + k] = raw[i, k] * raw[i, k]


@numba.njit(cache=True)
def _term_span(G, Z, y, w, raw, codes, widths):
    """The lowest and highest limb of each group of terms."""
    buffers = [np.empty(k) for k in widths]
    span = [(1 << 20, -(1 << 20)) for _ in widths]
    for i in range(len(y)):
        _row_terms(G, Z, y, w, raw, i, buffers[0], buffers[1], buffers[2])
        for b in range(3):
            lo, hi = span[b]
            for bits in buffers[b].view(np.int64):
                lo, hi = limb_span(bits, lo, hi)
            span[b] = (lo, hi)
    return span


@numba.njit(cache=True)
def _add_terms(G, Z, y, w, raw, codes, widths, lo, level, overall, moments):
    """Add every row's terms into the limbs of the three groups."""
    buffers = [np.empty(k) for k in widths]
    bits = [b.view(np.int64) for b in buffers]
    for i in range(len(y)):
        _row_terms(G, Z, y, w, raw, i, buffers[0], buffers[1], buffers[2])
        for k in range(widths[0]):
            add_value(level, codes[i], k, bits[0][k], lo[0])
        for k in range(widths[1]):
            add_value(overall, 0, k, bits[1][k], lo[1])
        for k in range(widths[2]):
            add_value(moments, 0, k, bits[2][k], lo[2])


def _unpack(sums: RowSums) -> dict[str, np.ndarray]:
    """The rounded sums by name (see :func:`row_sums` for the columns' order)."""
    q, p = sums.q, sums.p
    level, total = sums.per_level.value(), sums.overall.value()[0]
    J = level.shape[0]
    cuts = np.cumsum([1, q, q * q, q * p])
    counts, Zt1, ZtZ, ZtG, Zty = np.split(level, cuts, axis=1)
    GtG, Gt1, Gty, rest = np.split(total, np.cumsum([p * p, p, p]))
    return {
        "counts": counts[:, 0],
        "Zt1": Zt1,
        "ZtZ": ZtZ.reshape(J, q, q),
        "ZtG": ZtG.reshape(J, q, p),
        "Zty": Zty,
        "GtG": GtG.reshape(p, p),
        "Gt1": Gt1,
        "Gty": Gty,
        "yty": rest[0],
        "sum_y": rest[1],
    }


def statistics_from_sums(
    sums: RowSums,
    design: Design,
    factor: str,
    shifts: Shifts,
    *,
    centring: RowSums | None = None,
) -> CollapsedStatistics:
    """The statistics of :mod:`hiermodels.collapsed` from exact ``sums``.

    ``centring`` (default: ``sums``) gives the means the columns and the response are
    centred on: a refit on weighted rows keeps those of all rows, so that its statistics
    fit the compiled graph of the full model.
    """
    s = _unpack(sums)
    c = s if centring is None else _unpack(centring)
    n_all = float(c["counts"].sum())
    p = s["GtG"].shape[0]
    M = np.eye(p)
    has_intercept = design.fixed.has_intercept
    if has_intercept:
        M[0, 1:] = -c["Gt1"][1:] / n_all
    delta = -c["sum_y"] / n_all if has_intercept else shifts.y  # y_c = (y - s_y) + delta
    n = float(s["counts"].sum())
    return CollapsedStatistics(
        factor=design.group(factor).name,
        counts=np.round(s["counts"]).astype(int),
        ZtZ=s["ZtZ"],
        ZtF=s["ZtG"] @ M,
        Zty=s["Zty"] + delta * s["Zt1"],
        FtF=M.T @ s["GtG"] @ M,
        Fty=M.T @ (s["Gty"] + delta * s["Gt1"]),
        yty=float(s["yty"] + 2.0 * delta * s["sum_y"] + n * delta**2),
        y_mean=float(shifts.y - delta) if has_intercept else 0.0,
        n_obs=round(n) if centring is None else n,
    )


def column_moments(sums: RowSums, design: Design, factor: str, shifts: Shifts, n: float) -> dict:
    """Means and SDs (``ddof=0``) of the response and of the fixed and varying columns of
    ``n`` rows, as :func:`hiermodels.parameters.model_priors` computes them from rows
    (``sums`` from :func:`row_sums` with ``moments``)."""
    g = design.group(factor)
    o = shifts.origin
    origin = np.concatenate([o["y"], o["fixed"], o[g.name]])
    mean, sd = moments_from_sums(sums.moments.value()[0], n, origin)
    p = len(design.fixed.names)
    return {
        "y_mean": float(mean[0]),
        "y_sd": float(sd[0]),
        "column_mean": mean[1 : 1 + p],
        "column_sd": sd[1 : 1 + p],
        "group_column_sd": {(g.name, t): float(v) for t, v in zip(g.terms, sd[1 + p :])},
    }
