"""Log density of rows a fit did not see, new levels integrated over their population."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.analysis.known_covariance import conditional_moments, conditional_new_effects
from hiermodels.design import prediction_design
from hiermodels.design.row_terms import new_row_terms
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.row_terms import parameter_draws
from hiermodels.kernels.covariance import correlation_root
from hiermodels.linear_predictor import fixed_coefficients, group_contribution
from hiermodels.pointwise import log_likelihood

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["heldout_log_likelihood", "refuse_autocor"]


def _covariance_factor(posterior, g) -> np.ndarray:
    """Per draw, L with L L' = Σ_g (the covariance of the group effects): (chain, draw, q, q)."""
    sd = posterior[naming.sd_name(g.name)].values
    q = sd.shape[-1]
    if g.correlated:
        chol = correlation_root(posterior[naming.cor_name(g.name)].values)
    else:
        chol = np.broadcast_to(np.eye(q), (*sd.shape[:2], q, q))
    return sd[..., :, None] * chol


def _new_level_weight2(g, n_fitted: int) -> np.ndarray:
    """Per row: Σ over distinct new levels of (sum of the row's weights on that level)²."""
    codes, weights = g.codes, g.weights
    out = np.zeros(codes.shape[0])
    for k1 in range(codes.shape[1]):
        for k2 in range(codes.shape[1]):
            same = (codes[:, k1] == codes[:, k2]) & (codes[:, k1] >= n_fitted)
            out += np.where(same, weights[:, k1] * weights[:, k2], 0.0)
    return out


def refuse_autocor(design) -> None:
    """Held-out rows are scored one by one: not for a model with ``ar()``."""
    if design.autocor is not None:
        raise SpecError(
            "The held-out log-likelihood (k-fold) treats rows as independent given the "
            "parameters; this model has ar() (residual AR(1) within series). Use fit.loo(), "
            "which leaves one row out of its series exactly (non-factorised LOO)."
        )


def heldout_log_likelihood(
    fit: FitLike,
    data: pd.DataFrame,
    *,
    y: np.ndarray,
    trials: np.ndarray | None = None,
    random_seed: int | None = None,
    n_new_draws: int = 100,
    method: Literal["auto", "monte_carlo"] = "auto",
) -> np.ndarray:
    """Log density of rows the fit did not see, per posterior draw: (chain, draw, rows).

    Rows of levels seen in fitting use those levels' effects. For levels not seen in
    fitting the group effects are integrated over their population distribution
    ``N(0, Σ)``: exactly for the gaussian family (the new effects add ``z' Σ z`` to the
    variance of the row), and by Monte Carlo otherwise (``n_new_draws`` draws of the new
    effects per posterior draw, averaged on the density scale).

    Parameters
    ----------
    fit
        The fitted model (a :class:`hiermodels.Fit`).
    data
        The new rows, with every column the model uses.
    y, trials
        Their observed response and (binomial) number of trials.
    random_seed
        Seed for the Monte Carlo draws of new group effects.
    n_new_draws
        Monte Carlo draws per posterior draw (non-gaussian families, new levels only).
    method
        ``"auto"``: exact for the gaussian family, Monte Carlo otherwise;
        ``"monte_carlo"``: Monte Carlo for every family (to check the exact version).
    """
    if method not in ("auto", "monte_carlo"):
        raise SpecError(f"method={method!r} is not valid; choose 'auto' or 'monte_carlo'.")
    refuse_autocor(fit.design)
    if fit.design.distributional:
        raise SpecError(
            "The held-out log-likelihood (k-fold) is not available for models with "
            "distributional formulas yet; use fit.loo()."
        )
    new = prediction_design(fit.design, fit.spec, data)
    design = new.design
    post = fit.posterior
    family, link = fit.spec.family, fit.spec.link
    y = np.asarray(y, dtype=float)
    beta = fixed_coefficients(post, design.fixed.names)
    base = beta @ design.fixed.matrix.T
    if design.offset is not None:
        base = base + design.offset
    unseen = []
    for g, g_fit in zip(design.groups, fit.design.groups):
        effects = post[naming.effects_name(g.name)].values
        n_new = len(new.new_levels[g.name])
        if n_new == 0:
            base = base + group_contribution(effects, g)
        else:
            unseen.append((g, effects, n_new, g_fit.n_levels, new.new_levels[g.name]))
    fam = get_family(family)
    rows = new_row_terms(data, fit.spec.response, y, family)
    aux = parameter_draws(fam, rows, post)
    if not unseen:
        return log_likelihood(family, link, eta=base, y=y, trials=trials, aux=aux, rows=rows)
    if fam.collapsible and rows is None and method == "auto":
        extra = np.zeros_like(base)
        for g, effects, n_new, n_fitted, labels in unseen:
            pad = np.zeros((*effects.shape[:2], n_new, effects.shape[-1]))
            weight2 = _new_level_weight2(g, n_fitted)
            if g.covariance is not None:  # gr(g, cov=K): given the fitted levels
                pad, weight2 = conditional_moments(g, effects, labels, weight2, n_fitted)
            base = base + group_contribution(np.concatenate([effects, pad], axis=2), g)
            L = _covariance_factor(post, g)
            zL = np.einsum("rq,cdqp->cdrp", g.Z, L)
            extra = extra + weight2 * (zL**2).sum(axis=-1)
        return fam.integrated_log_likelihood(link, eta=base, extra_variance=extra, y=y, aux=aux)
    rng = np.random.default_rng(random_seed)
    factors = [(u[0], u[1], u[2], _covariance_factor(post, u[0]), u[4]) for u in unseen]
    total = None
    for _ in range(n_new_draws):
        eta = base
        for g, effects, n_new, L, labels in factors:
            z = rng.standard_normal((*effects.shape[:2], n_new, effects.shape[-1]))
            u = np.einsum("cdqp,cdnp->cdnq", L, z)
            if g.covariance is not None:  # gr(g, cov=K): given the fitted levels
                u = conditional_new_effects(g, effects, u, labels)
            eta = eta + group_contribution(np.concatenate([effects, u], axis=2), g)
        ll = log_likelihood(family, link, eta=eta, y=y, trials=trials, aux=aux, rows=rows)
        total = ll if total is None else np.logaddexp(total, ll)
    return total - math.log(n_new_draws)
