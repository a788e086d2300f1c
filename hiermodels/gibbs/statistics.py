"""The sufficient statistics the Gibbs sampler runs on.

For ``y = B theta + sum_k Z_k u_k + e``, where the block ``B`` holds the fixed columns
and the one-hot columns of the small factors and ``Z_k`` is the one-hot design of large
factor ``k``, every quantity of a sweep (the residual sums per level, ``B'r`` and the sum
of squared residuals) is a function of ``B'B``, ``B'y``, ``y'y``, and per large factor
its counts ``Z_k'1``, its sums ``Z_k'y``, the per-level sums of the block's columns
``L_k = Z_k'B`` and its cross-tabulation ``Z_k'Z_l`` with every other large factor. A
sweep then costs the number of non-zero cells of those cross-tabulations (at most the
number of rows for two factors), not passes over the rows.

The statistics are those of ``y`` minus the least-squares fit of the fixed columns
(``shift``), so that the sum of squares is not a small difference of large numbers; the
sampler adds ``shift`` back to the fixed coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hiermodels.collapsed import fixed_columns
from hiermodels.design import Design
from hiermodels.gibbs.checks import small_factors

__all__ = ["GibbsStatistics", "add_statistics", "gibbs_statistics", "nested_pairs"]


@dataclass(frozen=True, eq=False)
class GibbsStatistics:
    """What the sweep (:mod:`hiermodels.gibbs.kernels`) reads.

    Levels of all large factors are numbered together: factor ``k`` owns
    ``level_start[k]:level_start[k + 1]``. Sparse matrices are CSR triples.
    """

    n_obs: int
    shift: np.ndarray  # (p,) least-squares coefficients of the fixed columns
    centre: np.ndarray | None  # column means the slopes were centred on
    large: list[str]  # large factors, fewest levels first
    small: list[str]  # small factors, in the block after the fixed columns
    small_range: np.ndarray  # (S, 2) block columns of each small factor
    level_start: np.ndarray  # (K + 1,)
    counts: np.ndarray  # (levels,) rows per level
    Y: np.ndarray  # (levels,) sums of y per level
    L_ptr: np.ndarray  # (levels, P): per-level sums of the block's columns
    L_col: np.ndarray
    L_val: np.ndarray
    X_ptr: np.ndarray  # (levels, levels): rows in common, between different factors
    X_col: np.ndarray
    X_val: np.ndarray
    BtB: np.ndarray  # (P, P)
    Bty: np.ndarray  # (P,)
    yy: float

    @property
    def n_fixed(self) -> int:
        return len(self.shift)

    @property
    def n_block(self) -> int:
        return len(self.Bty)

    @property
    def n_levels(self) -> int:
        return len(self.counts)


def gibbs_statistics(
    design: Design, *, centre: np.ndarray | None = None, shift: np.ndarray | None = None
) -> GibbsStatistics:
    """The statistics of a design that :func:`check_gibbs` accepts.

    A design without rows returns the statistics computed where its rows are
    (:mod:`hiermodels.distributed`). Given ``centre`` and ``shift`` (as for the partitions
    of a Dask DataFrame, from its first rows) the slopes are centred on ``centre`` and
    ``y`` less ``F shift``: the statistics of any split of the rows then add up
    (:func:`add_statistics`).
    """
    import scipy.sparse as sp

    if design.statistics is not None:
        return design.statistics.gibbs
    F, own_centre = fixed_columns(design)
    if centre is not None and design.fixed.has_intercept:
        slopes = F[:, 1:] + own_centre - centre if own_centre is not None else F[:, 1:]
        F = np.column_stack([F[:, 0], slopes])
    else:
        centre = own_centre
    N, p = F.shape
    y = design.y.astype(float) - (design.offset if design.offset is not None else 0.0)
    if shift is None:
        shift = np.linalg.lstsq(F, y, rcond=None)[0] if p else np.zeros(0)
    y = y - F @ shift
    names = set(small_factors(design))
    groups = sorted(design.groups, key=lambda g: g.n_levels)
    small = [g for g in groups if g.name in names]
    large = [g for g in groups if g.name not in names]
    rows = np.arange(N)

    def one_hot(factors):
        starts = np.cumsum([0] + [g.n_levels for g in factors])
        if not factors:
            return sp.csr_matrix((N, 0)), starts
        cols = np.concatenate([g.codes[:, 0] + s for g, s in zip(factors, starts, strict=False)])
        ones = np.ones(len(cols))
        return sp.csr_matrix(
            (ones, (np.tile(rows, len(factors)), cols)), shape=(N, starts[-1])
        ), starts

    S_small, small_starts = one_hot(small)
    Z, level_start = one_hot(large)
    B = sp.hstack([sp.csr_matrix(F), S_small], format="csr")
    Zt = Z.T.tocsr()
    L = _csr(Zt @ B)
    ZtZ = (Zt @ Z).tocsr()
    # each row has one level per factor: the diagonal blocks are diagonal (the counts)
    X = _csr(ZtZ - sp.diags(ZtZ.diagonal()))
    BtB = (B.T @ B).toarray()
    return GibbsStatistics(
        n_obs=N,
        shift=shift,
        centre=centre,
        large=[g.name for g in large],
        small=[g.name for g in small],
        small_range=np.column_stack([small_starts[:-1] + p, small_starts[1:] + p]).astype(np.int64),
        level_start=level_start.astype(np.int64),
        counts=np.asarray(Z.sum(axis=0)).ravel(),
        Y=Zt @ y,
        **_triples("L", L),
        **_triples("X", X),
        BtB=np.ascontiguousarray(BtB, dtype=float),
        Bty=np.asarray(B.T @ y, dtype=float),
        yy=float(y @ y),
    )


def _triples(name: str, matrix) -> dict[str, np.ndarray]:
    """The CSR triple of ``matrix`` as the fields ``<name>_ptr``, ``_col``, ``_val``."""
    return {
        f"{name}_ptr": matrix.indptr.astype(np.int64),
        f"{name}_col": matrix.indices.astype(np.int64),
        f"{name}_val": matrix.data.astype(float),
    }


def _csr(matrix):
    """Canonical CSR: duplicates summed, zeros dropped, column indices sorted."""
    out = matrix.tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    out.sort_indices()
    return out


def add_statistics(a: GibbsStatistics, b: GibbsStatistics) -> GibbsStatistics:
    """The statistics of the rows of ``a`` and ``b`` together (same centre and shift)."""
    import dataclasses

    import scipy.sparse as sp

    def csr(s, name, shape):
        ptr, col, val = (getattr(s, f"{name}_{k}") for k in ("ptr", "col", "val"))
        return sp.csr_matrix((val, col, ptr), shape=shape)

    levels = a.n_levels
    L = _csr(csr(a, "L", (levels, a.n_block)) + csr(b, "L", (levels, b.n_block)))
    X = _csr(csr(a, "X", (levels, levels)) + csr(b, "X", (levels, levels)))
    return dataclasses.replace(
        a,
        n_obs=a.n_obs + b.n_obs,
        counts=a.counts + b.counts,
        Y=a.Y + b.Y,
        **_triples("L", L),
        **_triples("X", X),
        BtB=a.BtB + b.BtB,
        Bty=a.Bty + b.Bty,
        yy=a.yy + b.yy,
    )


def nested_pairs(stats: GibbsStatistics) -> set[tuple[str, str]]:
    """``(inner, outer)`` large factors whose every level meets one level of the outer."""
    import scipy.sparse as sp

    X = sp.csr_matrix((stats.X_val, stats.X_col, stats.X_ptr), shape=(stats.n_levels,) * 2)
    start = stats.level_start
    pairs = set()
    for i, inner in enumerate(stats.large):
        for o, outer in enumerate(stats.large):
            if i != o:
                block = X[start[i] : start[i + 1], start[o] : start[o + 1]]
                if np.all(np.diff(block.indptr) == 1):
                    pairs.add((inner, outer))
    return pairs
