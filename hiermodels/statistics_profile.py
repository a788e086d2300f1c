"""The profiled REML/ML deviance of a one-factor gaussian model from its statistics.

lme4's penalised least squares (``hiermodels.optimize``) minimises
``|y - X beta - Z Lambda u|^2 + |u|^2`` over rows. With one grouping factor ``Z`` is
block-diagonal by level, so for a given relative covariance factor ``T`` (``Lambda =
I_J kron T``) each level's ``A_j = I + T' Z_j'Z_j T`` is a ``q x q`` matrix and every
quantity of the profile follows from the sufficient statistics of
:mod:`hiermodels.sufficient_statistics`::

    schur = F'F - sum_j (Z_j'F)' T A_j^-1 T' (Z_j'F)      rhs = F'y - sum_j (same) Z_j'y
    beta  = schur^-1 rhs
    r2    = y'y - sum_j (Z_j'y)' T A_j^-1 T' Z_j'y - beta' rhs

at a cost of ``O(J q^3)`` whatever the number of rows. The model without rows of
:mod:`hiermodels.distributed` is optimised this way; on rows held in memory the two
agree to rounding (``tests/test_statistics_profile.py``). The coefficients are those of
the centred columns ``F`` and are returned on the design's columns.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> profile = StatisticsProfile(model.design, "reml")
>>> beta, *_ = profile.solve(profile.theta0)
>>> [round(float(b), 2) for b in beta]
[251.41, 10.47]
"""

from __future__ import annotations

import math

import numpy as np

from hiermodels import naming
from hiermodels.collapsed import collapsed_statistics, fixed_columns
from hiermodels.design import Design
from hiermodels.theta_search import theta_layout

__all__ = [
    "CrossedProfile",
    "StatisticsProfile",
    "design_basis",
    "pls_solve",
    "profiled_deviance",
    "relative_factor",
]


def profiled_deviance(
    n: float, p: int, reml: bool, r2: float, logdet_A: float, schur: np.ndarray
) -> float:
    """The profiled deviance (the REML criterion with ``reml``) from the pieces of a solve."""
    dof = n - p if reml else n
    value = logdet_A + dof * (1.0 + math.log(2.0 * math.pi * r2 / dof))
    if reml:
        value += np.linalg.slogdet(schur)[1]
    return value


def design_basis(design: Design, centre, beta_F: np.ndarray, schur_F: np.ndarray, y_mean=0.0):
    """Coefficients and Schur complement on the design's columns from those on the centred
    columns ``F = [1, X - centre]`` (``X beta = F beta_F``; ``y_mean`` joins the intercept)."""
    p = len(beta_F)
    names = design.fixed.names
    order = [names.index(naming.INTERCEPT)] if design.fixed.has_intercept else []
    order += [i for i, n in enumerate(names) if n != naming.INTERCEPT]
    K = np.eye(p)  # F = X K, in F's order (intercept first)
    if centre is not None and design.fixed.has_intercept:
        K[0, 1:] = -centre
    beta_X = K @ beta_F
    if design.fixed.has_intercept:
        beta_X[0] += y_mean
    K_inv = np.linalg.inv(K)
    schur_X = K_inv.T @ schur_F @ K_inv
    inverse = np.argsort(order)
    return beta_X[inverse], schur_X[np.ix_(inverse, inverse)]


def relative_factor(design: Design, layout, theta: np.ndarray):
    """``Lambda``: per factor, ``I_levels kron T`` with ``T`` from ``theta`` (sparse CSC)."""
    from scipy import sparse

    blocks = []
    for g, entries in zip(design.groups, layout):
        q = len(g.terms)
        T = np.zeros((q, q))
        for index, row, col in entries:
            T[row, col] = theta[index]
        blocks.append(sparse.kron(sparse.identity(g.n_levels, format="csc"), sparse.csc_matrix(T)))
    return sparse.block_diag(blocks, format="csc")


def pls_solve(Lam, ZtZ, ZtX, Zty, XtX, Xty):
    """lme4's penalised least squares: ``(beta, u, lu of A, schur, Lambda'Z'X, Lambda'Z'y)``."""
    from scipy import sparse
    from scipy.sparse import linalg as splinalg

    A = (Lam.T @ ZtZ @ Lam + sparse.identity(Lam.shape[0])).tocsc()
    # A is symmetric positive definite: a symmetric fill-reducing order and no
    # pivoting (on InstEval: 0.28 s per factorisation against 1.3 s with COLAMD).
    lu = splinalg.splu(
        A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
    )
    LZtX = np.asarray(Lam.T @ ZtX)
    LZty = np.asarray(Lam.T @ Zty)
    A_inv_LZtX = lu.solve(LZtX)
    A_inv_LZty = lu.solve(LZty)
    schur = XtX - LZtX.T @ A_inv_LZtX
    beta = np.linalg.solve(schur, Xty - LZtX.T @ A_inv_LZty)
    u = A_inv_LZty - A_inv_LZtX @ beta
    return beta, u, lu, schur, LZtX, LZty


class CrossedProfile:
    """The profile of crossed or nested varying intercepts from the Gibbs sampler's sums.

    The Gram matrix of ``[B, Z_large]`` (``B`` the centred fixed columns and the one-hot
    columns of the small factors) is ``[[B'B, L'], [L, diag(counts) + X]]``; ``Z'Z``,
    ``Z'F`` and ``Z'y`` of every factor, in the design's order, are its rows and columns.
    The response is the Gibbs statistics' ``y - F shift``, so ``shift`` joins ``beta``.
    """

    def __init__(self, design: Design, criterion: str):
        from scipy import sparse

        s = design.statistics.gibbs
        self.design, self.reml, self.stats = design, criterion == "reml", s
        self.n, self.p = float(s.n_obs), s.n_fixed
        self.layout, self.theta0, self.bounds = theta_layout(design)
        levels = s.n_levels
        L = sparse.csr_matrix((s.L_val, s.L_col, s.L_ptr), shape=(levels, s.n_block))
        X = sparse.csr_matrix((s.X_val, s.X_col, s.X_ptr), shape=(levels, levels))
        gram = sparse.bmat(
            [[sparse.csr_matrix(s.BtB), L.T], [L, sparse.diags(s.counts) + X]], format="csc"
        )
        sources = {n: range(*r) for n, r in zip(s.small, s.small_range)}
        for k, name in enumerate(s.large):
            sources[name] = range(s.n_block + s.level_start[k], s.n_block + s.level_start[k + 1])
        idx = np.concatenate([np.asarray(sources[g.name]) for g in design.groups])
        fixed = np.arange(self.p)
        self.ZtZ = gram[idx][:, idx].tocsc()
        self.ZtX = gram[idx][:, fixed].toarray()
        self.Zty = np.concatenate([s.Bty, s.Y])[idx]
        self.XtX, self.Xty, self.yty = s.BtB[: self.p, : self.p], s.Bty[: self.p], s.yy

    def solve(self, theta: np.ndarray):
        """``(beta, u, r2, logdet_A, schur, Lambda)``, beta and schur on the design's columns."""
        Lam = relative_factor(self.design, self.layout, theta)
        beta, u, lu, schur, LZtX, LZty = pls_solve(
            Lam, self.ZtZ, self.ZtX, self.Zty, self.XtX, self.Xty
        )
        # |y - X beta - Z Lambda u|^2 + |u|^2 from the sums; u'Au = u'u + |Z Lambda u|^2
        Au = u + Lam.T @ (self.ZtZ @ (Lam @ u))
        r2 = float(
            self.yty - 2.0 * beta @ self.Xty - 2.0 * u @ LZty + beta @ self.XtX @ beta
            + 2.0 * u @ (LZtX @ beta) + u @ Au
        )  # fmt: skip
        logdet_A = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        beta, schur = design_basis(self.design, self.stats.centre, beta + self.stats.shift, schur)
        return beta, u, r2, logdet_A, schur, Lam

    def deviance(self, theta: np.ndarray) -> float:
        _, _, r2, logdet_A, schur, _ = self.solve(theta)
        return profiled_deviance(self.n, self.p, self.reml, r2, logdet_A, schur)

    def not_estimable(self) -> str | None:
        """Why the deviance has no finite minimum (see ``hiermodels.optimize``)."""
        if self.reml and self.n <= self.p:
            return f"REML needs more rows than fixed effects ({self.n:.0f} rows, {self.p})"
        return None


class StatisticsProfile:
    """The profile of ``hiermodels.optimize`` for a one-factor model, from statistics."""

    def __init__(self, design: Design, criterion: str):
        (g,) = design.groups
        self.design = design
        self.reml = criterion == "reml"
        self.stats = collapsed_statistics(design, g.name)
        self.n, self.p = float(self.stats.n_obs), len(design.fixed.names)
        self.layout, self.theta0, self.bounds = theta_layout(design)
        self.q = len(g.terms)
        self.centre = fixed_columns(design)[1]

    def _T(self, theta: np.ndarray) -> np.ndarray:
        T = np.zeros((self.q, self.q))
        for index, row, col in self.layout[0]:
            T[row, col] = theta[index]
        return T

    def solve(self, theta: np.ndarray):
        """``(beta, None, r2, logdet_A, schur, T)``, beta and schur on the design's columns."""
        s, T = self.stats, self._T(theta)
        A = np.eye(self.q) + np.einsum("ak,jab,bl->jkl", T, s.ZtZ, T)
        chol = np.linalg.cholesky(A)
        TZtF = np.einsum("ak,jap->jkp", T, s.ZtF)  # T' Z_j'F
        TZty = np.einsum("ak,ja->jk", T, s.Zty)
        W = np.linalg.solve(chol, np.concatenate([TZtF, TZty[..., None]], axis=2))
        WF, Wy = W[..., :-1], W[..., -1]
        schur = s.FtF - np.einsum("jkp,jkr->pr", WF, WF)
        rhs = s.Fty - np.einsum("jkp,jk->p", WF, Wy)
        beta_F = np.linalg.solve(schur, rhs)
        r2 = float(s.yty - np.sum(Wy * Wy) - beta_F @ rhs)
        logdet_A = 2.0 * float(np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2))))
        beta, schur = design_basis(self.design, self.centre, beta_F, schur, s.y_mean)
        return beta, None, r2, logdet_A, schur, T

    def deviance(self, theta: np.ndarray) -> float:
        _, _, r2, logdet_A, schur, _ = self.solve(theta)
        return profiled_deviance(self.n, self.p, self.reml, r2, logdet_A, schur)

    def not_estimable(self) -> str | None:
        """Why the deviance has no finite minimum (see ``hiermodels.optimize``)."""
        s = self.stats
        if self.reml and self.n <= self.p:
            return (
                f"REML needs more rows than fixed effects; there are {self.n:.0f} rows and "
                f"{self.p} fixed effects"
            )
        rss = s.yty - s.Fty @ np.linalg.lstsq(s.FtF, s.Fty, rcond=None)[0] if self.p else s.yty
        if not rss > 1e-20 * (s.yty + self.n * s.y_mean**2):
            return "the fixed effects fit the response exactly (no residual variation is left)"
        return None
