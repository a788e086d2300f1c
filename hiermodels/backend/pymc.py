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
  The priors on the intercept and slopes apply to these sampled coefficients.

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

import math
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import (
    check_prior,
    check_priors,
    random_variable,
    scales,
    stacked,
    vector,
)
from hiermodels.backend.refit import REFIT_WEIGHTS, collapsed_data
from hiermodels.design import Design, GroupDesign
from hiermodels.errors import PriorError
from hiermodels.families import Family, get_family
from hiermodels.families.links import inverse_link_tensor as inverse_link
from hiermodels.families.links import link_function
from hiermodels.families.row_terms import family_parameters, pymc_row_likelihood
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.priors import Prior

__all__ = ["build_model", "check_priors", "inverse_link", "model_coords"]


def model_coords(design: Design) -> dict[str, list]:
    """Coordinates: observations, fixed terms, and per factor its levels and terms."""
    coords: dict[str, list] = {naming.OBS_DIM: list(range(design.n_obs))}
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    if slopes:
        coords[naming.FIXED_DIM] = slopes
    for g in design.groups:
        coords[naming.level_dim(g.name)] = list(g.levels)
        coords[naming.term_dim(g.name)] = list(g.terms)
        if g.correlated:
            coords[naming.term_dim_bis(g.name)] = list(g.terms)
    return coords


def sheared_terms(design: Design, *, thresholds: bool = False) -> dict[str, np.ndarray]:
    """Per factor, which varying terms are centred on their level mean (see build_model).

    A term is sheared when it is also a fixed term (so the level mean can move into the
    fixed coefficient without changing the model) and, for multiple membership, when
    every row's weights sum to 1. With ``thresholds`` (an ordinal family) the varying
    intercepts are sheared too: the thresholds absorb their level mean.
    """
    out = {}
    fixed = set(design.fixed.names) | ({naming.INTERCEPT} if thresholds else set())
    for g in design.groups:
        weights_ok = bool(np.allclose(g.weights.sum(axis=1), 1.0))
        mask = np.array([weights_ok and t in fixed for t in g.terms])
        out[g.name] = mask
    return out


def _fixed_coefficients(design: Design, priors: Mapping[str, Prior], sheared_slopes: set[str]):
    """Sampled fixed coefficients: the intercept at centred predictors, and the slopes.

    Returns ``(intercept, slopes, slope_names)``; a tensor is ``None`` when absent.
    Slopes are sampled as ``b_centered`` when some of them are sheared.
    """
    names = [n for n in design.fixed.names if n != naming.INTERCEPT]
    slopes = None
    if names:
        slopes = vector(
            naming.CENTERED_SLOPES if sheared_slopes else naming.SLOPES,
            [priors[naming.slope_slot(n)] for n in names],
            naming.FIXED_DIM,
            names,
        )
    intercept = None
    if design.fixed.has_intercept:
        intercept = random_variable(naming.CENTERED_INTERCEPT, priors[naming.INTERCEPT])
    return intercept, slopes, names


def _thresholds(design: Design, family: Family, link: str, priors: Mapping[str, Prior]):
    """The sampled ordered thresholds of an ordinal family (``None`` for the others).

    One vector with PyMC's ordered transform, registered as ``Intercept_centered``
    (the thresholds at the means of the fixed predictors and of the sheared group
    effects; its priors are those of the slots ``Intercept[k]``). It starts at the link
    of the observed cumulative proportions.

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
    sampled = random_variable(
        naming.CENTERED_INTERCEPT,
        joint,
        dims=naming.THRESHOLD_DIM,
        transform=pm.distributions.transforms.ordered,
        initval=start,
    )
    return pt.sort(sampled)


def sum_zero_embedding(w, J: int):
    """Map ``w`` (``J - 1`` rows) onto the rows of a ``J``-row array summing to zero.

    The map is the Householder reflection that sends the last unit vector to
    ``1 / sqrt(J)``, applied to ``[w; 0]``: it is orthonormal, so iid standard normal
    rows of ``w`` give iid standard normal deviations from the row mean. O(J) work.
    """
    total = w.sum(axis=0)
    rest = w - total / (J - math.sqrt(J))
    return pt.concatenate([rest, (total / math.sqrt(J))[None]], axis=0)


def _group_effects(g: GroupDesign, priors: Mapping[str, Prior], centered: bool):
    """Group effects of one factor, shape (levels, terms), registered as ``r_<factor>``.

    Returns them in two parts: the deviations from the level mean (levels, terms), which
    sum to zero over the levels, and that mean (terms,).

    The effects of the ``J`` levels are split exactly into their mean over the levels
    and the deviations from it: ``r = E(w) + rbar``, with ``E`` the orthonormal
    sum-zero embedding (:func:`sum_zero_embedding`), ``w`` holding ``J - 1`` rows and
    ``rbar ~ N(0, Sigma / J)``. For iid ``N(0, Sigma)`` effects this is the same
    distribution, but the data identify ``w`` and leave ``rbar`` to the prior, so the
    sampler no longer has to move all levels together (a long ridge when each level is
    measured precisely).

    Non-centred (default): ``w = z * sd`` (or ``z @ L.T``) with ``z`` standard normal.
    Centred: ``w ~ Normal(0, sd)`` (or ``MvNormal(0, L L')``) directly; better when every
    level has much data relative to the noise. ``rbar`` is always non-centred.
    """
    J, q = g.n_levels, len(g.terms)
    dims = (naming.level_dim(g.name), naming.term_dim(g.name))
    blocks = scales(g, priors)
    z_mean = pm.Normal(naming.mean_offsets_name(g.name), 0.0, 1.0, shape=(q,))
    z = None if centered else pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, shape=(J - 1, q))
    parts = []
    for index, (block, sd, chol, _) in enumerate(blocks):
        cols = list(block)
        if chol is None:
            mean = z_mean[cols] * sd / math.sqrt(J)
        else:
            mean = (z_mean[cols] @ chol.T) / math.sqrt(J)
        if not centered:
            deviations = z[:, cols] * sd if chol is None else z[:, cols] @ chol.T
        else:
            name = naming.deviations_name(g.name, index, len(blocks))
            if chol is None:
                deviations = pm.Normal(name, 0.0, sd, shape=(J - 1, len(cols)))
            else:
                deviations = pm.MvNormal(
                    name, mu=np.zeros(len(cols)), chol=chol, shape=(J - 1, len(cols))
                )
        parts.append((sum_zero_embedding(deviations, J), mean))
    deviations = pt.concatenate([p[0] for p in parts], axis=1)
    mean = pt.concatenate([p[1] for p in parts])
    pm.Deterministic(naming.effects_name(g.name), deviations + mean[None, :], dims=dims)
    return deviations, mean


def _group_data_contribution(g: GroupDesign, deviations, mean):
    """The factor's contribution to the linear predictor, with its data as ``pm.Data``.

    The effects are ``deviations + mean`` (one row per level). The mean enters per row
    as ``sum_t mean_t Z_t`` rather than through the gather, so the gradient scatters the
    rows onto the levels once (with ``mean`` inside the gather, PyTensor scattered twice,
    once more for the gradient of ``mean``: 30% of a gradient on InstEval).
    """
    codes = pm.Data(naming.group_data_name("codes", g.name), g.codes)
    intercept_only = g.terms == (naming.INTERCEPT,)
    Z = None if intercept_only else pm.Data(naming.group_data_name("Z", g.name), g.Z)
    unit_weights = bool(np.all(g.weights == 1.0))
    weights = None
    if not unit_weights:
        weights = pm.Data(naming.group_data_name("weights", g.name), g.weights)
    varying = group_contribution(deviations, g, codes=codes, Z=Z, weights=weights)
    common = mean[0] if intercept_only else pt.dot(Z, mean)
    if not unit_weights:
        common = common * weights.sum(axis=1)
    elif g.codes.shape[1] > 1:
        common = common * g.codes.shape[1]
    return varying + common


def _likelihood(
    design: Design, family: Family, link: str, eta, priors: Mapping, thresholds, weights=None
):
    """The family's parameters (in the family's order), then its observed variable."""
    dims = naming.OBS_DIM
    # The response is a data container too, so a compiled model can be refitted to new
    # responses (simulation-based calibration, refits) without compiling again.
    y = pm.Data(naming.data_name("y"), design.y, dims=dims)
    rows = design.row_terms
    aux = {p: random_variable(p, priors[p]) for p in family_parameters(family, rows)}
    if thresholds is not None:
        aux[naming.INTERCEPT] = thresholds
    return pymc_row_likelihood(
        family,
        design.response_name,
        eta=eta,
        link=link,
        aux=aux,
        observed=y,
        trials=design.trials,
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
    masks = sheared_terms(design, thresholds=fam.thresholds)
    if collapsed is not None:
        masks[collapsed] = np.zeros_like(masks[collapsed])
    sheared = {t for g in design.groups for t, m in zip(g.terms, masks[g.name]) if m}
    X = design.fixed.matrix
    slope_idx = [i for i, n in enumerate(design.fixed.names) if n != naming.INTERCEPT]
    coords = model_coords(design)
    if fam.thresholds:
        coords[naming.THRESHOLD_DIM] = list(range(1, len(design.categories)))
    with pm.Model(coords=coords) as model:
        intercept_c, slopes, slope_names = _fixed_coefficients(
            design, priors, sheared - {naming.INTERCEPT}
        )
        thresholds_c = _thresholds(design, fam, link, priors)
        has_level = intercept_c is not None or thresholds_c is not None
        centre = X[:, slope_idx].mean(axis=0) if (slope_idx and has_level) else None
        eta = pt.zeros(design.n_obs)
        if intercept_c is not None:
            eta = eta + intercept_c
        if slopes is not None:
            X_used = X[:, slope_idx] - centre if centre is not None else X[:, slope_idx]
            X_data = pm.Data(naming.data_name("X"), X_used, dims=(naming.OBS_DIM, naming.FIXED_DIM))
            eta = eta + X_data @ slopes
        if design.offset is not None:
            eta = eta + pm.Data(naming.data_name("offset"), design.offset, dims=naming.OBS_DIM)
        # Shear: sampled coefficients absorb the level means of matching varying terms,
        # and the varying terms enter centred on their level means. The model is
        # unchanged; the posterior loses the ridge between a coefficient and the mean of
        # its group effects (long when levels are few and precisely measured).
        shift = {t: 0.0 for t in sheared}
        collapsed_scales = None
        for g in design.groups:
            if g.name == collapsed:
                collapsed_scales = scales(g, priors)
                continue
            deviations, mean = _group_effects(g, priors, bool(centered.get(g.name, False)))
            mask = masks[g.name]
            if mask.any():
                # The deviations sum to zero over the levels, so ``mean`` is the level
                # mean of the effects.
                for j, term in enumerate(g.terms):
                    if mask[j]:
                        shift[term] = shift[term] + mean[j]
                mean = mean * (1.0 - mask.astype(float))
            eta = eta + _group_data_contribution(g, deviations, mean)
        if slopes is not None and sheared - {naming.INTERCEPT}:
            shifts = pt.stack([pt.as_tensor(shift.get(n, 0.0)) for n in slope_names])
            pm.Deterministic(naming.SLOPES, slopes - shifts, dims=naming.FIXED_DIM)
        if intercept_c is not None:
            # eta = a + (X - centre) b* + ... = (a - shift_I - centre . b*) + X b + ...
            value = intercept_c - shift.get(naming.INTERCEPT, 0.0)
            if centre is not None:
                value = value - pt.dot(pt.as_tensor(centre), slopes)
            pm.Deterministic(naming.INTERCEPT, value)
        if thresholds_c is not None:
            # P(y <= k) = F(c_k - eta): the thresholds enter with the opposite sign of
            # an intercept, c_k = c*_k + shift_I + centre . b*.
            value = thresholds_c + shift.get(naming.INTERCEPT, 0.0)
            if centre is not None:
                value = value + pt.dot(pt.as_tensor(centre), slopes)
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
