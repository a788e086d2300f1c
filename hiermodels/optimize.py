"""Fast point estimates for Gaussian models: REML and ML, as lme4 and nlme compute them.

The group effects are integrated out analytically. For a relative covariance factor
``Lambda(theta)`` (block diagonal, one lower-triangular block per level of each factor)
the profiled deviance follows Bates, Maechler, Bolker & Walker (2015, *J. Statistical
Software* 67(1), section 3): solve the penalised least-squares system

    [L'Z'ZL + I   L'Z'X] [u]   [L'Z'y]
    [X'ZL         X'X  ] [b] = [X'y  ]

then ``-2 log L = log|L'Z'ZL + I| + n (1 + log(2 pi r2 / n))`` (ML), with
``r2 = |y - Xb - ZLu|^2 + |u|^2``. REML adds ``log|R_X|^2`` (the Schur complement of
the fixed effects) and replaces ``n`` by ``n - p``. ``theta`` is found under the bounds
lme4 uses (diagonal entries >= 0) by a derivative-free method, restarted from any end on
the boundary (:func:`hiermodels.theta_search.minimize_theta`). Z is sparse: it is never
stored dense.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> est = hm.Model("Reaction ~ Days + (Days | Subject)", sleep).optimize(criterion="reml")
>>> round(float(est.fixed_effects.loc["Days", "estimate"]), 3)
10.467
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from hiermodels.design import Design, GroupDesign
from hiermodels.design.known_covariance import refuse_known_covariance
from hiermodels.errors import DataError, SpecError
from hiermodels.families import get_family
from hiermodels.statistics_profile import (
    CrossedProfile,
    StatisticsProfile,
    pls_solve,
    profiled_deviance,
    relative_factor,
)
from hiermodels.theta_search import minimize_theta as _minimize
from hiermodels.theta_search import theta_layout

__all__ = ["PointEstimate", "data_dominance", "fit_point_estimate"]

Criterion = Literal["reml", "ml"]


@dataclass
class PointEstimate:
    """REML or ML estimates, laid out like lme4's output.

    Attributes
    ----------
    criterion
        ``"reml"`` or ``"ml"``.
    fixed_effects
        DataFrame indexed by term, with ``estimate``, ``std_error`` and ``t_value``.
    variance_components
        DataFrame with ``group``, ``term``, ``kind`` ("sd" or "cor") and ``estimate``;
        the residual SD is the row with group "Residual".
    loglik, aic, bic
        As lme4 reports them (for REML, the REML log-likelihood).
    n_parameters
        Fixed effects + covariance parameters + residual SD.
    converged
        The search over ``theta`` converged, and either ended off the boundary or
        restarts from its end on the boundary (an SD of 0, a correlation of +-1) found
        nothing lower (:func:`hiermodels.theta_search.minimize_theta`).
    seconds
        Wall time of the optimisation.
    """

    criterion: str
    fixed_effects: pd.DataFrame
    variance_components: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    n_obs: int
    n_parameters: int
    converged: bool
    seconds: float
    theta: np.ndarray = field(repr=False)

    @property
    def deviance(self) -> float:
        """-2 log-likelihood (the REML criterion for REML fits)."""
        return -2.0 * self.loglik

    def __str__(self) -> str:
        title = {"reml": "REML", "map": "maximum a posteriori (MAP)"}.get(
            self.criterion, "maximum likelihood"
        )
        vc = self.variance_components
        crit = "REML crit." if self.criterion == "reml" else "deviance"
        lines = [
            f"Linear mixed model fit by {title} [hiermodels]",
            f"      AIC       BIC    logLik  {crit}",
            f"{self.aic:9.2f} {self.bic:9.2f} {self.loglik:9.2f} {self.deviance:9.2f}",
            "",
            "Random effects:",
        ]
        for _, row in vc.iterrows():
            lines.append(
                f"  {row['group']:<12} {row['term']:<16} {row['kind']:<4} {row['estimate']:.5g}"
            )
        lines += ["", "Fixed effects:", self.fixed_effects.to_string(float_format="%.5g")]
        if not self.converged:
            lines.append("Warning: the optimiser did not report convergence.")
        return "\n".join(lines)

    __repr__ = __str__


def _z_matrix(design: Design) -> tuple[sparse.csc_matrix, list[tuple[GroupDesign, int]]]:
    """Sparse Z over all factors: column ``offset + level * q + term``."""
    rows, cols, vals = [], [], []
    blocks = []
    offset = 0
    n = design.n_obs
    for g in design.groups:
        q = len(g.terms)
        for k in range(g.codes.shape[1]):
            for t in range(q):
                rows.append(np.arange(n))
                cols.append(offset + g.codes[:, k] * q + t)
                vals.append(g.weights[:, k] * g.Z[:, t])
        blocks.append((g, offset))
        offset += g.n_levels * q
    Z = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, offset)
    )
    Z.sum_duplicates()
    return Z, blocks


class _Profile:
    """The profiled deviance as a function of theta, with the pieces for the estimates."""

    def __init__(self, design: Design, criterion: Criterion):
        self.design = design
        self.reml = criterion == "reml"
        self.X = design.fixed.matrix
        self.y = design.y - (design.offset if design.offset is not None else 0.0)
        self.Z, _ = _z_matrix(design)
        self.layout, self.theta0, self.bounds = theta_layout(design)
        self.ZtZ = (self.Z.T @ self.Z).tocsc()
        self.ZtX = self.Z.T @ self.X
        self.Zty = self.Z.T @ self.y
        self.XtX = self.X.T @ self.X
        self.Xty = self.X.T @ self.y
        self.yty = float(self.y @ self.y)
        self.n, self.p = self.X.shape

    def solve(self, theta: np.ndarray):
        Lam = relative_factor(self.design, self.layout, theta)
        beta, u, lu, schur, _, _ = pls_solve(Lam, self.ZtZ, self.ZtX, self.Zty, self.XtX, self.Xty)
        fitted = self.X @ beta + self.Z @ (Lam @ u)
        r2 = float(np.sum((self.y - fitted) ** 2) + u @ u)
        logdet_A = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        return beta, u, r2, logdet_A, schur, Lam

    def deviance(self, theta: np.ndarray) -> float:
        _, _, r2, logdet_A, schur, _ = self.solve(theta)
        return profiled_deviance(self.n, self.p, self.reml, r2, logdet_A, schur)


def _not_estimable(design: Design, criterion: Criterion) -> str | None:
    """Why the profiled deviance has no finite minimum, or ``None`` if it has one.

    REML needs more rows than fixed effects. Both criteria need a response that the
    fixed effects do not fit exactly: the residual sum of squares is then 0 for every
    theta and the deviance is minus infinity.
    """
    n, p = design.fixed.matrix.shape
    if criterion == "reml" and n <= p:
        return f"REML needs more rows than fixed effects; there are {n} rows and {p} fixed effects"
    y = design.y - (design.offset if design.offset is not None else 0.0)
    X = design.fixed.matrix
    residual = y - X @ np.linalg.lstsq(X, y, rcond=None)[0] if p else y
    if not float(residual @ residual) > 1e-20 * float(y @ y):
        return "the fixed effects fit the response exactly (no residual variation is left)"
    return None


def data_dominance(design: Design) -> dict[str, float]:
    """How much the data, rather than the population distribution, determine the group
    effects of each factor, from a REML pilot fit.

    For level ``j`` and term ``t``, ``1 - Var(b_jt | y) / tau_t^2`` is 0 when the data say
    nothing about the effect and near 1 when they pin it down (for one factor with
    ``n_j`` rows it is ``kappa / (1 + kappa)`` with ``kappa = n_j tau^2 / sigma^2``). The
    conditional variances come from the joint solution, so nested and crossed factors
    account for each other. Returns the median over levels and terms, per factor; a
    factor whose variance is estimated as zero gets 0.

    Examples
    --------
    >>> import hiermodels as hm
    >>> model = hm.Model("height ~ age + (age | Subject)", hm.datasets.load("Oxboys"))
    >>> data_dominance(model.design)["Subject"] > 0.9
    True
    """
    if _not_estimable(design, "reml") is not None:  # no pilot: keep the non-centred default
        return {g.name: 0.0 for g in design.groups}
    profile = _Profile(design, "reml")
    theta = _minimize(profile, pilot=True).x
    _, _, r2, _, _, Lam = profile.solve(theta)
    n, p = design.fixed.matrix.shape
    sigma2 = r2 / (n - p)
    A = (Lam.T @ profile.ZtZ @ Lam + sparse.identity(Lam.shape[0])).tocsc()
    if A.shape[0] <= 4000:
        Lam_dense = Lam.toarray()
        A_inv = np.linalg.inv(A.toarray())
        cond_var = sigma2 * np.einsum("ij,jk,ik->i", Lam_dense, A_inv, Lam_dense)
    else:  # large designs: the diagonal approximation is enough for a pilot
        A_inv_diag = 1.0 / A.diagonal()
        cond_var = sigma2 * np.asarray(Lam.multiply(Lam).sum(axis=1)).ravel() * A_inv_diag
    out = {}
    start = 0
    for g, entries in zip(design.groups, profile.layout):
        q = len(g.terms)
        T = np.zeros((q, q))
        for index, row, col in entries:
            T[row, col] = theta[index]
        tau2 = sigma2 * np.diag(T @ T.T)
        block = cond_var[start : start + g.n_levels * q].reshape(g.n_levels, q)
        start += g.n_levels * q
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tau2 > 1e-12 * sigma2, 1.0 - block / tau2, 0.0)
        out[g.name] = float(np.median(np.clip(share, 0.0, 1.0)))
    return out


def fit_point_estimate(design: Design, *, criterion: Criterion = "reml") -> PointEstimate:
    """REML or ML estimates of a Gaussian mixed model (see the module docstring)."""
    if criterion not in ("reml", "ml"):
        raise SpecError(f"Unknown criterion {criterion!r}; valid criteria are ['reml', 'ml'].")
    if not design.groups:
        raise SpecError("optimize() needs at least one group term; use ordinary least squares.")
    start = time.perf_counter()
    if design.statistics is None:
        reason = _not_estimable(design, criterion)
        profile = None if reason else _Profile(design, criterion)
    else:  # rows not held: the profile of their sums (hiermodels.distributed)
        one = design.statistics.gibbs is None
        profile = (StatisticsProfile if one else CrossedProfile)(design, criterion)
        reason = profile.not_estimable()
    if reason is not None:
        raise DataError(f"optimize(criterion={criterion!r}) cannot fit this model: {reason}.")
    result = _minimize(profile)
    theta = result.x
    beta, _, r2, _, schur, _ = profile.solve(theta)
    n, p = profile.n, profile.p
    sigma2 = r2 / (n - p if criterion == "reml" else n)
    cov_beta = sigma2 * np.linalg.inv(schur)
    se = np.sqrt(np.diag(cov_beta))
    fixed = pd.DataFrame(
        {"estimate": beta, "std_error": se, "t_value": beta / se},
        index=pd.Index(design.fixed.names, name="term"),
    )
    rows = []
    for g, entries in zip(design.groups, profile.layout):
        q = len(g.terms)
        T = np.zeros((q, q))
        for index, row, col in entries:
            T[row, col] = theta[index]
        cov = sigma2 * T @ T.T
        sds = np.sqrt(np.diag(cov))
        for t, term in enumerate(g.terms):
            rows.append({"group": g.name, "term": term, "kind": "sd", "estimate": sds[t]})
        for block in g.blocks:
            for i, a in enumerate(block):
                for b in block[i + 1 :]:
                    cor = cov[a, b] / (sds[a] * sds[b]) if sds[a] * sds[b] > 0 else 0.0
                    rows.append(
                        {
                            "group": g.name,
                            "term": f"{g.terms[a]}:{g.terms[b]}",
                            "kind": "cor",
                            "estimate": cor,
                        }
                    )
    rows.append({"group": "Residual", "term": "", "kind": "sd", "estimate": math.sqrt(sigma2)})
    deviance = float(result.fun)
    k = p + len(theta) + 1
    loglik = -deviance / 2.0
    return PointEstimate(
        criterion=criterion,
        fixed_effects=fixed,
        variance_components=pd.DataFrame(rows),
        loglik=loglik,
        aic=deviance + 2 * k,
        bic=deviance + k * math.log(n),
        n_obs=int(n),
        n_parameters=k,
        converged=bool(result.success),
        seconds=time.perf_counter() - start,
        theta=theta,
    )


def check_optimizable(design: Design, family: str, additions) -> None:
    """Refuse, with the reason, a model whose point estimate :func:`fit_point_estimate`
    cannot compute: one gaussian residual SD, independent residuals and levels."""
    if not get_family(family).collapsible:
        raise SpecError(f"optimize() fits gaussian models only; this model's family is {family!r}.")
    if design.distributional:
        raise SpecError(
            "optimize() fits gaussian models with one residual SD; this model gives "
            "sigma a formula. Use fit()."
        )
    if design.row_terms is not None:
        raise SpecError(
            "optimize() fits gaussian models with one residual SD; this model's response "
            f"has {' + '.join(additions)}. Use fit()."
        )
    refuse_known_covariance(design, "optimize()", "Use fit().")
    if design.autocor is not None:
        raise SpecError("optimize() assumes independent residuals; this model has ar(). Use fit().")
