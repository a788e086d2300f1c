"""Collapsed (marginal) Gaussian likelihood: which factor to collapse, its sufficient
statistics, and exact conditional draws of its group effects after sampling.

For a Gaussian model ``y = F theta + o + Z_g b + e`` with ``b_j ~ N(0, Sigma)`` for each
level ``j`` of the collapsed factor ``g`` and ``e ~ N(0, sigma^2 I)``, the rows of level
``j`` are jointly ``N(F_j theta + o_j, Z_j Sigma Z_j' + sigma^2 I)``. With ``Sigma = L L'``
and ``A_j = I + L' Z_j'Z_j L / sigma^2`` (Woodbury identity and matrix determinant lemma)::

    log p(r_j) = -1/2 [n_j log(2 pi sigma^2) + log|A_j|
                       + r_j'r_j / sigma^2 - c_j' A_j^-1 c_j / sigma^4],   c_j = L' Z_j' r_j

with ``r_j`` the residual of level ``j`` after everything but ``b``. When no other factor
is sampled, ``Z_j'r_j`` and ``r'r`` follow from the per-level sufficient statistics
``Z_j'Z_j``, ``Z_j'F_j``, ``Z_j'y_j`` and the global ``F'F``, ``F'y``, ``y'y``, so one
log-density costs ``O(J q^2 (q + p))`` whatever the number of rows. Other factors (crossed
or nested ones) stay sampled; their contribution enters the residual, which then costs
one ``O(N)`` pass per evaluation.

Given the other parameters, ``u_j = L^-1 b_j`` is ``N(A_j^-1 c_j / sigma^2, A_j^-1)``, so
the group effects of every posterior draw are drawn exactly afterwards
(:func:`conditional_group_effects`).

This module is NumPy only; the PyMC graph is in :mod:`hiermodels.backend.collapsed`.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("diameter ~ 1 + (1 | plate) + (1 | sample)",
...                  hm.datasets.load("Penicillin"))
>>> collapsible_factor(model.design)
'plate'
"""

from __future__ import annotations

import numpy as np

from hiermodels import naming
from hiermodels.design import Design, GroupDesign
from hiermodels.design.statistics import column_means
from hiermodels.errors import SpecError
from hiermodels.kernels.conditional_draws import conditional_draws
from hiermodels.kernels.covariance import correlation_root
from hiermodels.sufficient_statistics import (
    CollapsedStatistics,
    first_rows_shifts,
    row_sums,
    statistics_from_sums,
)

__all__ = [
    "CollapsedStatistics",
    "collapsed_statistics",
    "collapsible_factor",
    "conditional_group_effects",
    "fixed_columns",
    "is_collapsible",
    "is_nested",
]


def is_collapsible(g: GroupDesign) -> bool:
    """A factor whose levels partition the rows (one member per row, unit weight) and
    are independent (not ``gr(g, cov=K)``)."""
    independent = g.covariance is None
    return independent and g.codes.shape[1] == 1 and bool(np.all(g.weights == 1.0))


def collapsible_factor(design: Design, *, dominance=None) -> str | None:
    """The factor to integrate out (or ``None`` when no factor can be).

    Multiple-membership factors do not partition the rows, so they are never collapsed.
    Among crossed candidates, with ``dominance`` (a zero-argument callable returning the
    share of each factor's effects the data determine, as
    :func:`hiermodels.optimize.data_dominance` does) the least determined one: sampled,
    it would form the funnel (a ScotsSec-like simulation: no divergences in 10 seeds
    against 1 in 10, and twice the ESS). Otherwise (nested factors, no ``dominance`` or
    ties) the one with most effects: on Pastes, collapsing ``batch`` instead of
    ``batch:cask`` cut the ESS of ``sd_batch`` three-fold.
    """
    candidates = [g for g in design.groups if is_collapsible(g)]
    if not candidates:
        return None
    crossed = len(candidates) > 1 and not any(
        is_nested(g, h) for g in candidates for h in candidates if g is not h
    )
    shares = dominance() if dominance is not None and crossed else {}
    return min(
        candidates,
        key=lambda g: (
            shares.get(g.name, 0.0),
            -g.n_levels * len(g.terms),
            design.groups.index(g),
        ),
    ).name


def is_nested(inner: GroupDesign, outer: GroupDesign) -> bool:
    """Whether every level of ``inner`` lies within one level of ``outer``."""
    pairs = np.unique(np.column_stack([inner.codes[:, 0], outer.codes[:, 0]]), axis=0)
    return len(pairs) == len(np.unique(inner.codes[:, 0]))


def fixed_columns(design: Design) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed design as the backend samples it: ``[1, X - centre]`` and the centre.

    The intercept column comes first when the model has one; slopes are centred on
    their column means when there is an intercept (as in brms).
    """
    X = design.fixed.matrix
    slope_idx = [i for i, n in enumerate(design.fixed.names) if n != naming.INTERCEPT]
    slopes = X[:, slope_idx]
    centre = None
    if design.fixed.has_intercept:
        if slope_idx:
            centre = column_means(design, slope_idx)
            slopes = slopes - centre
        slopes = np.column_stack([np.ones(len(slopes)), slopes])
    return slopes, centre


def _segment_sum(values: np.ndarray, codes: np.ndarray, J: int) -> np.ndarray:
    """Sum ``values`` (rows, ...) within levels; returns (J, ...)."""
    flat = values.reshape(len(values), -1)
    out = np.stack(
        [np.bincount(codes, weights=flat[:, k], minlength=J) for k in range(flat.shape[1])], axis=-1
    )
    return out.reshape((J, *values.shape[1:]))


def collapsed_statistics(
    design: Design, factor: str, *, row_weights: np.ndarray | None = None
) -> CollapsedStatistics:
    """The statistics the collapsed log-density needs, from exact sums over the rows.

    With ``row_weights`` (one per row; 0/1 selects training rows for a refit) every
    row's terms are multiplied by its weight, and ``n_obs`` is their sum. The columns and
    the response are centred on the means of *all* rows either way, so that statistics
    of different weights fit one compiled graph (the intercept absorbs any centring
    constant). A model without rows (:mod:`hiermodels.distributed`) returns the
    statistics computed where its rows are: the same bits as from the rows here
    (:mod:`hiermodels.sufficient_statistics`).
    """
    g = design.group(factor)
    if design.statistics is not None:  # rows not held: their sums were computed where they are
        if row_weights is not None or design.statistics.collapsed.factor != g.name:
            raise SpecError(
                f"A model without rows has the statistics of factor "
                f"{design.statistics.collapsed.factor!r}, unweighted; asked for {g.name!r}"
                f"{' with row weights' if row_weights is not None else ''}."
            )
        return design.statistics.collapsed
    shifts = first_rows_shifts(design)
    every = row_sums(design, g.name, shifts)
    if row_weights is None:
        return statistics_from_sums(every, design, g.name, shifts)
    weighted = row_sums(design, g.name, shifts, weights=row_weights)
    return statistics_from_sums(weighted, design, g.name, shifts, centring=every)


def _covariance_factor(posterior, g: GroupDesign) -> np.ndarray:
    """``L`` with ``L L' = Sigma`` for every draw, shape (chain, draw, q, q)."""
    sd = posterior[naming.sd_name(g.name)].values
    q = len(g.terms)
    if sd.ndim == 2:  # one term stored as a scalar
        sd = sd[..., None]
    cor_name = naming.cor_name(g.name)
    if cor_name not in posterior:
        return sd[..., :, None] * np.eye(q)
    return sd[..., :, None] * correlation_root(posterior[cor_name].values)


def conditional_group_effects(
    posterior, design: Design, factor: str, *, rng: np.random.Generator, chunk: int = 200
) -> np.ndarray:
    """Exact draws of the collapsed factor's group effects, one per posterior draw.

    ``posterior`` must hold the fixed coefficients, ``sigma``, the factor's ``sd_`` (and
    ``cor_``) and the effects ``r_`` of every other factor. Returns an array of shape
    (chain, draw, levels, terms).
    """
    from hiermodels.linear_predictor import fixed_coefficients, group_contribution

    g = design.group(factor)
    others = [h for h in design.groups if h.name != g.name]
    J, q = g.n_levels, len(g.terms)
    L = _covariance_factor(posterior, g)
    sigma = posterior[naming.SIGMA].values
    beta = fixed_coefficients(posterior, design.fixed.names)
    n_chain, n_draw = sigma.shape
    stats = None if others else collapsed_statistics(design, factor)
    X = design.fixed.matrix
    y = design.y.astype(float) - (design.offset if design.offset is not None else 0.0)
    out = np.empty((n_chain, n_draw, J, q))
    codes = g.codes[:, 0]
    ZtZ = (
        stats.ZtZ
        if stats is not None
        else _segment_sum(g.Z[:, :, None] * g.Z[:, None, :], codes, J)
    )
    _F, centre = fixed_columns(design)
    if stats is None:
        import scipy.sparse as sp

        rows = np.arange(design.n_obs)
        level_sums = [
            sp.csr_matrix((g.Z[:, t], (codes, rows)), shape=(J, design.n_obs)) for t in range(q)
        ]
    for start in range(0, n_draw, chunk):
        sl = slice(start, min(start + chunk, n_draw))
        if stats is not None:
            # Z'r = Z'y - Z'X beta, from statistics in the centred fixed columns.
            theta = _centred_coefficients(beta[:, sl], design, centre)
            if design.fixed.has_intercept:
                theta[..., 0] -= stats.y_mean
            p = theta.shape[-1]
            ZtF_theta = theta.reshape(-1, p) @ stats.ZtF.reshape(J * q, p).T  # (c*d, J*q)
            Ztr = stats.Zty - ZtF_theta.reshape((*theta.shape[:2], J, q))
        else:
            resid = y - beta[:, sl] @ X.T
            for h in others:
                effects = posterior[naming.effects_name(h.name)].values[:, sl]
                resid = resid - group_contribution(effects, h)
            # Z'r per level as one sparse product per term: (J, N) @ (N, c*d).
            flat = resid.reshape(-1, resid.shape[-1]).T
            Ztr = np.stack([np.asarray(S @ flat).T for S in level_sums], axis=-1).reshape(
                (*resid.shape[:2], J, q)
            )
        noise = rng.standard_normal(Ztr.shape)
        block = np.empty(Ztr.shape)
        conditional_draws(np.ascontiguousarray(L[:, sl]), sigma[:, sl] ** 2, ZtZ, Ztr, noise, block)
        out[:, sl] = block
    return out


def _centred_coefficients(beta: np.ndarray, design: Design, centre) -> np.ndarray:
    """Coefficients on the columns of :func:`fixed_columns` from design-order ``beta``."""
    names = design.fixed.names
    slope_idx = [i for i, n in enumerate(names) if n != naming.INTERCEPT]
    slopes = beta[..., slope_idx]
    if not design.fixed.has_intercept:
        return slopes
    intercept = beta[..., [names.index(naming.INTERCEPT)]]
    if centre is not None:
        intercept = intercept + (slopes @ centre)[..., None]
    return np.concatenate([intercept, slopes], axis=-1)
