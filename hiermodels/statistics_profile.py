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
from hiermodels.errors import SpecError
from hiermodels.theta_search import theta_layout

__all__ = ["StatisticsProfile", "profiled_deviance"]


def profiled_deviance(
    n: float, p: int, reml: bool, r2: float, logdet_A: float, schur: np.ndarray
) -> float:
    """The profiled deviance (the REML criterion with ``reml``) from the pieces of a solve."""
    dof = n - p if reml else n
    value = logdet_A + dof * (1.0 + math.log(2.0 * math.pi * r2 / dof))
    if reml:
        value += np.linalg.slogdet(schur)[1]
    return value


class StatisticsProfile:
    """The profile of ``hiermodels.optimize`` for a one-factor model, from statistics."""

    def __init__(self, design: Design, criterion: str):
        if len(design.groups) != 1:
            raise SpecError(
                "optimize() from sums (a model on a Dask DataFrame) handles one grouping "
                f"factor; this model has {[g.name for g in design.groups]}. Sample it with "
                "fit(), or optimize the model in memory."
            )
        (g,) = design.groups
        self.design = design
        self.reml = criterion == "reml"
        self.stats = collapsed_statistics(design, g.name)
        self.n, self.p = float(self.stats.n_obs), len(design.fixed.names)
        self.layout, self.theta0, self.bounds = theta_layout(design)
        self.q = len(g.terms)
        # X = F K^-1: the design's columns from the centred ones (intercept first in F)
        names = design.fixed.names
        self.order = [names.index(naming.INTERCEPT)] if design.fixed.has_intercept else []
        self.order += [i for i, n in enumerate(names) if n != naming.INTERCEPT]
        self.K = np.eye(self.p)
        centre = fixed_columns(design)[1]
        if centre is not None:
            self.K[0, 1:] = -centre  # F_k = X_k - c_k X_intercept

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
        # back to the design's columns: X beta = F beta_F (+ y_mean in the intercept)
        beta_X = self.K @ beta_F
        if self.design.fixed.has_intercept:
            beta_X[0] += s.y_mean
        K_inv = np.linalg.inv(self.K)
        schur_X = K_inv.T @ schur @ K_inv
        inverse = np.argsort(self.order)  # F's order (intercept first) to the design's
        beta = beta_X[inverse]
        schur = schur_X[np.ix_(inverse, inverse)]
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
