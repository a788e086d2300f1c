"""Build a PyMC model from a design: small functions with explicit arguments.

Group effects are non-centred by default: ``r = z * sd`` for uncorrelated terms and
``r = z @ L.T`` (``L`` the Cholesky factor from :class:`pymc.LKJCholeskyCov`) for a
correlated block; ``parameterization="centered"`` samples ``r`` directly.

Two exact reparameterisations make the posterior easier to sample without changing the
model:

- Fixed predictors are centred internally (as in brms). The sampled intercept is
  ``Intercept_centered``; the reported ``Intercept`` is a deterministic on the original
  scale.
- Shear: a varying term that is also a fixed term enters centred on its mean over the
  levels, and the sampled coefficient (``Intercept_centered``, ``b_centered``) absorbs
  that mean. Without it, a coefficient and the mean of its group effects form a long
  ridge whenever the levels are few and each is measured precisely (Oxboys, Penicillin).
  The priors on the intercept and slopes still apply to the coefficients themselves:
  the level mean is drawn given the sampled sum (:mod:`hiermodels.backend.shear`).

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> model = hm.Model("y ~ 1 + (1 | g)", df, parameterization="non_centered")
>>> sorted(v.name for v in model.pymc_model.free_RVs)
['Intercept_centered', 'sd_g', 'sigma', 'z_g', 'zbar_g']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor import linalg as slinalg

from hiermodels import naming
from hiermodels.backend.autocor import ar1_likelihood
from hiermodels.backend.distributional import distributional_parameters
from hiermodels.backend.group_effects import (
    group_data_contribution,
    group_effects,
    level_means,
)
from hiermodels.backend.known_covariance import known_covariance_contribution
from hiermodels.backend.priors import (
    check_prior,
    check_priors,
    prior_value,
    random_variable,
    scales,
    stacked,
    vector,
)
from hiermodels.backend.refit import REFIT_WEIGHTS, collapsed_data
from hiermodels.backend.shear import ShearPlan, marginal_covariance, shear_plan
from hiermodels.design import Design
from hiermodels.design.statistics import column_means
from hiermodels.errors import PriorError
from hiermodels.families import Family, get_family
from hiermodels.families.links import inverse_link_tensor as inverse_link
from hiermodels.families.links import link_function
from hiermodels.families.row_terms import family_parameters, pymc_row_likelihood
from hiermodels.spec.priors import Prior

__all__ = ["build_model", "check_priors", "inverse_link", "model_coords"]


def model_coords(design: Design) -> dict[str, list]:
    """Coordinates: observations, fixed terms, and per factor its levels and terms."""
    coords: dict[str, list] = {naming.OBS_DIM: list(range(len(design.y)))}  # rows held
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    if slopes:
        coords[naming.FIXED_DIM] = slopes
    for g in design.groups:
        coords[naming.level_dim(g.name)] = list(g.levels)
        coords[naming.term_dim(g.name)] = list(g.terms)
        if g.correlated:
            coords[naming.term_dim_bis(g.name)] = list(g.terms)
    return coords


def _fixed_coefficients(design: Design, priors: Mapping[str, Prior], plan: ShearPlan, prior_cov):
    """Sampled fixed coefficients: the intercept at centred predictors, and the slopes.

    Returns ``(intercept, slopes, slope_names, sheared)``; a tensor is ``None`` when
    absent, ``sheared`` the vector ``c`` of the plan's coefficients (or ``None``). The
    coefficients that absorb level means have the prior ``N(m, M)`` (``prior_cov``,
    see :mod:`hiermodels.backend.shear`): one RV ``coefficients_centered`` when slopes
    take part, else ``Intercept_centered``. The others keep their own priors.
    """
    names = [n for n in design.fixed.names if n != naming.INTERCEPT]
    own = [n for n in names if n not in plan.coefficients] if plan.joint else names
    sheared = None
    if plan.joint:
        sheared = pm.MvNormal(
            naming.CENTERED_COEFFICIENTS,
            mu=prior_value("coefficients_mean", plan.prior_mean),
            chol=slinalg.cholesky(prior_cov),
            dims=naming.CENTERED_COEFFICIENT_DIM,
        )
    slopes = None
    if own:
        free = vector(
            naming.CENTERED_SLOPES if plan.joint else naming.SLOPES,
            [priors[naming.slope_slot(n)] for n in own],
            naming.OWN_SLOPE_DIM if plan.joint else naming.FIXED_DIM,
            own,
        )
        slopes = free
    if plan.joint and names:
        position = {n: i for i, n in enumerate(plan.coefficients)}
        slopes = pt.stack(
            [sheared[position[n]] if n in position else free[own.index(n)] for n in names]
        )
    intercept = None
    if design.fixed.has_intercept:
        if sheared is not None and naming.INTERCEPT in plan.coefficients:
            intercept = sheared[plan.coefficients.index(naming.INTERCEPT)]
        elif plan.coefficients == (naming.INTERCEPT,):
            m = prior_value("coefficients_mean", plan.prior_mean)[0]
            intercept = pm.Normal(naming.CENTERED_INTERCEPT, m, pt.sqrt(prior_cov[0, 0]))
            sheared = intercept[None]
        else:
            intercept = random_variable(naming.CENTERED_INTERCEPT, priors[naming.INTERCEPT])
    return intercept, slopes, names, sheared


def _thresholds(design, family: Family, link: str, priors, plan: ShearPlan, prior_cov):
    """The sampled ordered thresholds of an ordinal family (``None`` for the others).

    One vector with PyMC's ordered transform, registered as ``Intercept_centered``
    (the thresholds at the means of the fixed predictors and of the sheared group
    effects; its priors are those of the slots ``Intercept[k]``, widened by the level
    means' variance as :mod:`hiermodels.backend.shear` says). It starts at the link of
    the observed cumulative proportions.

    The returned tensor is sorted. Under NUTS the draws are ordered already, so this
    changes nothing; forward sampling (``sample_prior_predictive``) ignores transforms,
    and sorting makes its draws the order statistics of draws from the priors: the
    model's prior exactly when the thresholds share one prior (the default).
    """
    if not family.thresholds:
        return None
    names = naming.threshold_names(len(design.categories) - 1)
    joint = stacked([priors[n] for n in names])
    if joint is None:
        raise PriorError(
            f"The thresholds {names} are one ordered vector: their priors must share one "
            f"distribution (different parameters are fine); got "
            f"{[str(priors[n]) for n in names]}."
        )
    counts = np.bincount(design.y.astype(np.int64), minlength=len(design.categories))
    cumulative = np.clip(np.cumsum(counts)[:-1] / counts.sum(), 0.02, 0.98)
    start = np.maximum.accumulate(link_function(link, cumulative)) + 0.01 * np.arange(len(names))
    options = {
        "dims": naming.THRESHOLD_DIM,
        "transform": pm.distributions.transforms.ordered,
        "initval": start,
    }
    if plan.coefficients:
        sampled = pm.MvNormal(
            naming.CENTERED_INTERCEPT,
            mu=prior_value("coefficients_mean", plan.prior_mean),
            chol=slinalg.cholesky(prior_cov),
            **options,
        )
    else:
        sampled = random_variable(naming.CENTERED_INTERCEPT, joint, **options)
    return pt.sort(sampled)


def _likelihood(
    design: Design, family: Family, link: str, eta, priors: Mapping, thresholds, weights=None
):
    """The family's parameters (in the family's order), then its observed variable."""
    if design.autocor is not None:  # residual AR(1): a joint likelihood per series
        return ar1_likelihood(design, eta, priors)
    dims = naming.OBS_DIM
    # The response is a data container too, so a compiled model can be refitted to new
    # responses (simulation-based calibration, refits) without compiling again.
    y = pm.Data(naming.data_name("y"), design.y, dims=dims)
    rows = design.row_terms
    modelled = distributional_parameters(design, priors)  # per-row values of sigma="~ x"
    aux = {
        p: modelled[p] if p in modelled else random_variable(p, priors[p])
        for p in family_parameters(family, rows)
    }
    if thresholds is not None:
        aux[naming.INTERCEPT] = thresholds
    trials = design.trials
    if trials is not None:  # data, like y, so that the compiled model does not hold them
        whole = np.all(np.asarray(trials) == np.round(trials))  # counts: kept integer
        values = np.asarray(trials).astype(np.int64) if whole else trials
        trials = pm.Data(naming.data_name("trials"), values, dims=dims)
    return pymc_row_likelihood(
        family,
        design.response_name,
        eta=eta,
        link=link,
        aux=aux,
        observed=y,
        trials=trials,
        dims=dims,
        rows=rows,
        refit_weights=weights,
    )


def build_model(
    design: Design,
    *,
    family: str,
    link: str,
    priors: Mapping[str, Prior],
    centered: Mapping[str, bool] | None = None,
    collapsed: str | None = None,
    refit_weights: bool = False,
) -> pm.Model:
    """Build the PyMC model for ``design``.

    Parameters
    ----------
    design
        The design arrays.
    family, link
        Validated family and link names.
    priors
        Slot name to prior, as returned by :func:`hiermodels.parameters.model_priors`.
    centered
        Factor name to ``True`` for the centred parameterisation (default: non-centred).
    collapsed
        A factor whose group effects are integrated out analytically (gaussian family
        only; see :mod:`hiermodels.collapsed`). Its ``sd_``/``cor_`` are sampled, its
        ``r_`` are not: they are drawn from their exact conditional after sampling.
    refit_weights
        Weight each row's log-likelihood by a 0/1 data container (and hold collapsed
        statistics in data containers), so that refits on subsets of the rows swap data
        instead of compiling: see :mod:`hiermodels.backend.refit`.

    Returns
    -------
    pymc.Model
        With dims named after the grouping factors and coords set to their levels.
    """
    for key, prior in priors.items():
        check_prior(key, prior)
    centered = centered or {}
    fam = get_family(family)
    plan = shear_plan(design, priors, thresholds=fam.thresholds, collapsed=collapsed)
    X = design.fixed.matrix
    slope_idx = [i for i, n in enumerate(design.fixed.names) if n != naming.INTERCEPT]
    coords = model_coords(design)
    if fam.thresholds:
        coords[naming.THRESHOLD_DIM] = list(range(1, len(design.categories)))
    if plan.joint:
        coords[naming.CENTERED_COEFFICIENT_DIM] = list(plan.coefficients)
        coords[naming.OWN_SLOPE_DIM] = [
            n for n in design.fixed.names if n != naming.INTERCEPT and n not in plan.coefficients
        ]
    with pm.Model(coords=coords) as model:
        # Group effects first: the sheared coefficients' prior depends on their scales.
        effects, collapsed_scales = {}, None
        for g in design.groups:
            if g.name == collapsed:
                collapsed_scales = scales(g, priors)
            elif g.covariance is None:
                effects[g.name] = group_effects(g, priors, bool(centered.get(g.name, False)))
        prior_cov = W = L = None
        if plan.coefficients:
            A, factors = plan.absorption(design)
            roots = [effects[name][1] for name in factors]
            levels = [design.group(name).n_levels for name in factors]
            prior_cov, W, L = marginal_covariance(plan, A, roots, levels)
        intercept_c, slopes, slope_names, sheared = _fixed_coefficients(
            design, priors, plan, prior_cov
        )
        thresholds_c = _thresholds(design, fam, link, priors, plan, prior_cov)
        if thresholds_c is not None and plan.coefficients:
            sheared = thresholds_c
        has_level = intercept_c is not None or thresholds_c is not None
        centre = column_means(design, slope_idx) if (slope_idx and has_level) else None
        centre_data = None if centre is None else pm.Data(naming.data_name("centre"), centre)
        # the number of rows stays symbolic: a model of the same structure on more or
        # fewer rows reuses the compiled code (hiermodels.cached_entry)
        eta = pt.zeros(model.dim_lengths[naming.OBS_DIM])
        if intercept_c is not None:
            eta = eta + intercept_c
        if slopes is not None:
            X_used = X[:, slope_idx] - centre if centre is not None else X[:, slope_idx]
            X_data = pm.Data(naming.data_name("X"), X_used, dims=(naming.OBS_DIM, naming.FIXED_DIM))
            eta = eta + X_data @ slopes
        if design.offset is not None:
            eta = eta + pm.Data(naming.data_name("offset"), design.offset, dims=naming.OBS_DIM)
        # Shear: sampled coefficients absorb the level means of matching varying terms,
        # and the varying terms enter centred on their level means (see backend/shear).
        means = level_means(design, plan, effects, sheared, prior_cov, W, L)
        shift: dict[str, object] = {}
        for g in design.groups:
            if g.name == collapsed:
                continue
            if g.covariance is not None:  # gr(g, cov=K): no sum-zero split, no shear
                eta = eta + known_covariance_contribution(g, priors)
                continue
            deviations, mean, mask = effects[g.name][0], means[g.name], plan.masks[g.name]
            dims = (naming.level_dim(g.name), naming.term_dim(g.name))
            pm.Deterministic(naming.effects_name(g.name), deviations + mean[None, :], dims=dims)
            for j, term in enumerate(g.terms):
                if mask[j]:
                    shift[term] = shift.get(term, 0.0) + mean[j]
            if mask.any():
                mean = mean * (1.0 - mask.astype(float))
            eta = eta + group_data_contribution(g, deviations, mean)
        if slopes is not None and set(shift) - {naming.INTERCEPT}:
            shifts = pt.stack([pt.as_tensor(shift.get(n, 0.0)) for n in slope_names])
            pm.Deterministic(naming.SLOPES, slopes - shifts, dims=naming.FIXED_DIM)
        if intercept_c is not None:
            # eta = a + (X - centre) b* + ... = (a - shift_I - centre . b*) + X b + ...
            value = intercept_c - shift.get(naming.INTERCEPT, 0.0)
            if centre is not None:
                value = value - pt.dot(centre_data, slopes)
            pm.Deterministic(naming.INTERCEPT, value)
        if thresholds_c is not None:
            # P(y <= k) = F(c_k - eta): the thresholds enter with the opposite sign of
            # an intercept, c_k = c*_k + shift_I + centre . b*.
            value = thresholds_c + shift.get(naming.INTERCEPT, 0.0)
            if centre is not None:
                value = value + pt.dot(centre_data, slopes)
            pm.Deterministic(naming.INTERCEPT, value, dims=naming.THRESHOLD_DIM)
        weights = None
        if refit_weights:
            weights = pm.Data(REFIT_WEIGHTS, np.ones(design.n_obs), dims=naming.OBS_DIM)
        if collapsed is None:
            _likelihood(design, fam, link, eta, priors, thresholds_c, weights)
        else:
            parts = ([intercept_c[None]] if intercept_c is not None else []) + (
                [slopes] if slopes is not None else []
            )
            theta = pt.concatenate(parts) if parts else pt.zeros(0)
            _collapsed_likelihood(design, collapsed, collapsed_scales, eta, theta, priors, weights)
    return model


def _collapsed_likelihood(design: Design, factor, blocks, eta, theta, priors, weights=None):
    """The gaussian likelihood with ``factor``'s effects integrated out, as a Potential.

    ``theta`` holds the sampled coefficients of the centred fixed columns; it is used
    (with sufficient statistics, at a cost independent of the rows) when no other factor
    is sampled. Otherwise the row residual ``y - eta`` enters.
    """
    from hiermodels.backend.collapsed import collapsed_normal_logp, covariance_factor
    from hiermodels.collapsed import collapsed_statistics

    g = design.group(factor)
    stats = collapsed_statistics(design, factor)
    sigma = random_variable(naming.SIGMA, priors[naming.SIGMA])
    L = covariance_factor(blocks, len(g.terms))
    refit = {} if weights is None else {"data": collapsed_data(stats), "row_weights": weights}
    if len(design.groups) > 1:
        residual = pt.as_tensor(design.y.astype(float)) - eta
        logp = collapsed_normal_logp(
            stats, L=L, sigma=sigma, residual=residual, codes=g.codes[:, 0], Z=g.Z, **refit
        )
    else:
        logp = collapsed_normal_logp(stats, L=L, sigma=sigma, theta=theta, data=refit.get("data"))
    pm.Potential(naming.collapsed_loglik_name(), logp)
