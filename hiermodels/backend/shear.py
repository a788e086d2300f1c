"""The shear: fixed coefficients that absorb the level means of their group effects.

A varying term that is also a fixed term (``Days`` in ``Reaction ~ Days + (Days |
Subject)``) forms a ridge with the mean of its group effects: the data fix their sum
``c = mu + rbar`` well and each of them poorly when the levels are few and precisely
measured (eight schools, Oxboys, Penicillin). The sampler therefore moves ``c``, and
the level mean ``rbar`` is drawn given ``c``.

The model is kept exactly. With the coefficients' priors ``mu ~ N(m, S)`` (``S``
diagonal) and the level means ``R ~ N(0, V)`` (``V = L L'``, one block ``Sigma_g / J_g``
per factor, ``L`` the block root ``L_g / sqrt(J_g)``), and ``c = mu + A R`` (``A`` picks
the components that each coefficient absorbs):

- ``c ~ N(m, M)`` with ``M = S + A V A'`` (its prior, given the group SDs);
- ``R | c ~ N(L W' M^-1 (c - m), L B L')`` with ``W = A L`` and
  ``B = I - W' M^-1 W``, drawn as ``R = L (W' M^-1 (c - m) + chol(B) z)`` from the
  standard normal ``z`` (``zbar_<factor>``). ``B`` has eigenvalues in ``(0, 1]``, so its
  root exists even when a group SD is zero.

Then ``mu = c - A R`` has the prior the user wrote, independent of ``R``, as in the
textbook model; forward sampling (prior predictive, SBC) draws it exactly. Only Normal
priors combine this way: a coefficient with another prior is not sheared. An ordinal
family's thresholds all absorb the varying intercepts' mean (they enter with the
opposite sign of an intercept, ``P(y <= k) = F(c_k - eta)``).

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "x": [0.0, 1.0, 0.0, 1.0],
...                    "g": ["a", "a", "b", "b"]})
>>> plan = shear_plan(hm.Model("y ~ x + (1 + x | g)", df).design,
...                   hm.Model("y ~ x + (1 + x | g)", df).priors)
>>> plan.coefficients, plan.joint
(('Intercept', 'x'), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor import linalg as slinalg

from hiermodels import naming
from hiermodels.backend.priors import prior_value
from hiermodels.design import Design
from hiermodels.spec.priors import Prior

__all__ = ["ShearPlan", "conditional_level_means", "shear_plan"]


@dataclass(frozen=True)
class ShearPlan:
    """Which fixed coefficients absorb which level means, and their Normal priors.

    Attributes
    ----------
    masks
        Per factor, which of its terms are sheared.
    coefficients
        The sampled coefficients that take part (``"Intercept"``, slope names, or the
        threshold names ``Intercept[k]``), in the order of the sampled vector.
    absorbs
        For each coefficient, the fixed term whose level means it absorbs (``None``:
        none; it is in the vector only because its prior is joint with the others).
    prior_mean, prior_sd
        The coefficients' Normal priors.
    joint
        ``True`` when slopes take part: the coefficients are one multivariate RV.
    """

    masks: Mapping[str, np.ndarray]
    coefficients: tuple[str, ...]
    absorbs: tuple[str | None, ...]
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    joint: bool

    def absorption(self, design: Design) -> tuple[np.ndarray, list[str]]:
        """``A`` (coefficients x stacked level-mean components) and the factors stacked."""
        factors = [g for g in design.groups if self.masks[g.name].any()]
        width = sum(len(g.terms) for g in factors)
        A = np.zeros((len(self.coefficients), width))
        offset = 0
        for g in factors:
            for k, term in enumerate(g.terms):
                if self.masks[g.name][k]:
                    for i, target in enumerate(self.absorbs):
                        A[i, offset + k] = float(target == term)
            offset += len(g.terms)
        return A, [g.name for g in factors]


def _normal(prior: Prior) -> bool:
    return prior.dist == "Normal"


def shear_plan(
    design: Design,
    priors: Mapping[str, Prior],
    *,
    thresholds: bool = False,
    collapsed: str | None = None,
) -> ShearPlan:
    """Decide the shear of a design (see the module docstring).

    A term is sheared in a factor when it is also a fixed coefficient with a Normal
    prior, and (multiple membership) every row's weights sum to 1. With ``thresholds``
    only the varying intercepts are sheared, into the thresholds. The ``collapsed``
    factor's effects are integrated out and are not sheared, and the levels of a
    ``gr(g, cov=K)`` factor are not exchangeable (no level mean to split off).
    """
    if thresholds:
        names = naming.threshold_names(len(design.categories) - 1)
        normal = all(_normal(priors[n]) for n in names)
        candidates = {naming.INTERCEPT} if normal else set()
        coefficients = tuple(names) if normal else ()
    else:
        fixed = design.fixed.names
        slot = {
            t: naming.INTERCEPT if t == naming.INTERCEPT else naming.slope_slot(t) for t in fixed
        }
        candidates = {t for t in fixed if _normal(priors[slot[t]])}
        coefficients = ()
    masks = {}
    for g in design.groups:
        exchangeable = g.name != collapsed and g.covariance is None  # gr(g, cov=K): not
        weights_ok = bool(np.allclose(g.weights.sum(axis=1), 1.0)) and exchangeable
        masks[g.name] = np.array([weights_ok and t in candidates for t in g.terms], dtype=bool)
    used = {t for g in design.groups for t, m in zip(g.terms, masks[g.name]) if m}
    if not used:
        return ShearPlan(masks, (), (), np.zeros(0), np.zeros(0), False)
    if thresholds:
        stack = [priors[n] for n in coefficients]
        absorbs = (naming.INTERCEPT,) * len(coefficients)
        return ShearPlan(masks, coefficients, absorbs, *_moments(stack), False)
    joint = bool(used - {naming.INTERCEPT})
    coefficients = (
        tuple(t for t in design.fixed.names if t in candidates) if joint else ("Intercept",)
    )
    stack = [priors[slot[t]] for t in coefficients]
    absorbs = tuple(t if t in used else None for t in coefficients)
    return ShearPlan(masks, coefficients, absorbs, *_moments(stack), joint)


def _moments(priors: list[Prior]) -> tuple[np.ndarray, np.ndarray]:
    mean = np.array([float(p.params.get("mu", 0.0)) for p in priors])
    sd = np.array([float(p.params["sigma"]) for p in priors])
    return mean, sd


def factor_root(g, blocks) -> pt.TensorVariable:
    """``L_g`` with ``Cov(r_j) = L_g L_g'``: the SDs, or the blocks' Cholesky factors."""
    q = len(g.terms)
    root = pt.zeros((q, q))
    for block, sd, chol, _ in blocks:
        idx = np.array(block)
        if chol is None:
            root = pt.set_subtensor(root[idx, idx], sd)
        else:
            root = pt.set_subtensor(root[idx[:, None], idx[None, :]], chol)
    return root


def marginal_covariance(plan: ShearPlan, A: np.ndarray, roots: list, levels: list[int]):
    """``(M, W, L)`` of the module docstring, for the factors in ``roots``."""
    L = slinalg.block_diag(*[root / math.sqrt(J) for root, J in zip(roots, levels)])
    W = pt.as_tensor(A) @ L
    M = pt.diag(prior_value("coefficients_variance", plan.prior_sd**2)) + W @ W.T
    return M, W, L


def conditional_level_means(plan: ShearPlan, c, M, W, L, z) -> pt.TensorVariable:
    """Stacked level means ``R`` given the sampled coefficients ``c`` (standard normal ``z``)."""
    chol_M = slinalg.cholesky(M)
    G = slinalg.solve_triangular(chol_M, W, lower=True)
    mean = prior_value("coefficients_mean", plan.prior_mean)
    u = slinalg.solve_triangular(chol_M, c - mean, lower=True)
    B = pt.eye(W.shape[1]) - G.T @ G
    return L @ (G.T @ u + slinalg.cholesky(B) @ z)
