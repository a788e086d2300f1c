"""The PyMC part of distributional formulas: one value of the parameter per row.

For a parameter ``p`` with the formula ``~ x + (1 | g)`` and link ``f``,
``p_i = f^-1(a + (x_i - mean x) b + r_g[i])``:

- ``p_Intercept_centered`` is the sampled intercept at the means of the formula's
  predictors (its prior is the key ``"p|Intercept"``, as for the mean and in brms);
  ``p_Intercept`` is the intercept on the predictors' own scale (a deterministic);
- ``p_b`` holds the slopes, dims ``p_fixed_term``;
- per factor ``g``, ``sd_g__p`` (and ``cor_g__p`` for correlated terms) and the
  effects ``r_g__p``, non-centred (``r = z * sd`` or ``z @ L.T``), independent of the
  mean's effects of ``g``. The varying intercepts of the first such factor are split
  into their deviations from their level mean (``w_g__p``) and that mean, which the
  sampled intercept absorbs exactly (:func:`_absorbed_intercept`; a Normal intercept
  prior): the data then determine the sampled intercept without a ridge.

The family then reads ``aux[p]`` as a vector over the rows instead of a scalar.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days", sleep, sigma="~ Days + (1 | Subject)")
>>> sorted(v.name for v in model.pymc_model.free_RVs)  # doctest: +NORMALIZE_WHITESPACE
['Intercept_centered', 'b', 'sd_Subject__sigma', 'sigma_Intercept_centered', 'sigma_b',
 'w_Subject__sigma', 'zbar_Subject__sigma']
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import prior_value, random_variable, scales, vector
from hiermodels.design import Design
from hiermodels.design.distributional import DistributionalPart
from hiermodels.families.links import inverse_link_tensor
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.distributional import cor_keys, intercept_key, sd_keys, slope_keys
from hiermodels.spec.priors import Prior

__all__ = ["distributional_parameters", "fixed_dim", "slope_columns", "variable_name"]


def variable_name(parameter: str, name: str) -> str:
    """The model's name of the formula's ``Intercept``, ``b``, ...: ``sigma_Intercept``."""
    return f"{parameter}_{name}"


def fixed_dim(parameter: str) -> str:
    """The dimension of the slopes of ``parameter``'s formula."""
    return variable_name(parameter, naming.FIXED_DIM)


def distributional_parameters(design: Design, priors: Mapping[str, Prior]) -> dict:
    """Per parameter with a formula, its value on each row (a tensor), in the model in
    context."""
    return {part.parameter: _part(part, priors) for part in design.distributional}


def slope_columns(sub: Design) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A formula's slopes: their names, columns, and the centre the model subtracts
    from the columns (their means when the formula has an intercept, else zeros)."""
    index = [i for i, n in enumerate(sub.fixed.names) if n != naming.INTERCEPT]
    X = sub.fixed.matrix[:, index]
    centre = X.mean(axis=0) if sub.fixed.has_intercept else np.zeros(len(index))
    return [sub.fixed.names[i] for i in index], X, centre


def _fixed_part(part: DistributionalPart, priors: Mapping[str, Prior]):
    """The slopes' and offset's part of the formula: ``(eta, slopes, centre)``."""
    p, sub = part.parameter, part.design
    names, X, centre = slope_columns(sub)
    eta = pt.zeros(sub.n_obs)
    slopes = None
    if names:
        pm.modelcontext(None).add_coord(fixed_dim(p), names)
        slopes = vector(
            variable_name(p, naming.SLOPES),
            [priors[slope_keys(p, n)[0]] for n in names],
            fixed_dim(p),
            names,
        )
        eta = eta + pt.as_tensor(X - centre) @ slopes
    if sub.offset is not None:
        eta = eta + pt.as_tensor(sub.offset)
    return eta, slopes, centre


def _absorbing_factor(part: DistributionalPart, priors: Mapping[str, Prior]) -> int | None:
    """The factor whose varying intercepts' level mean the sampled intercept absorbs.

    The first factor of one membership with unit weights whose ``Intercept`` is a block of
    its own, when the formula has an intercept with a Normal prior; else ``None``.
    """
    sub = part.design
    prior = priors.get(intercept_key(part.parameter))
    if not sub.fixed.has_intercept or prior is None or prior.dist != "Normal":
        return None
    for index, g in enumerate(sub.groups):
        if (
            g.terms[0] == naming.INTERCEPT
            and g.n_levels > 1
            and g.codes.shape[1] == 1
            and bool(np.all(g.weights == 1.0))
            and (not g.correlated or (0,) in g.blocks)
        ):
            return index
    return None


def _sum_zero(w, J: int):
    """``J`` values summing to zero from ``J - 1`` iid standard normals, iid N(0, 1 - 1/J)
    deviations from their mean (the Householder embedding of the mean's own group terms)."""
    total = w.sum()
    return pt.concatenate([w - total / (J - math.sqrt(J)), (total / math.sqrt(J))[None]])


def _absorbed_intercept(prior: Prior, k, name: str, zbar_name: str):
    """``(c, a, k * zbar)``: the intercept plus the level mean of the effects, sampled.

    With ``a ~ N(m, s²)`` and the level mean ``k * zbar``, ``zbar ~ N(0, 1)``,
    ``c = a + k zbar ~ N(m, s² + k²)`` and, given ``c``, ``zbar`` is normal with mean
    ``k (c - m) / (s² + k²)`` and SD ``s / sqrt(s² + k²)``: sampling ``c`` and a standard
    normal ``u`` gives the same joint distribution exactly. The data see ``c`` only, so
    no ridge joins the intercept and the level mean (on the simulated case of
    ``benchmarks/distributional.py`` the bulk ESS of ``sigma_Intercept`` went from 266
    to over 5,000).
    """
    m = prior_value(f"{name}_mu", float(prior.params.get("mu", 0.0)))
    s = prior_value(f"{name}_sigma", float(prior.params.get("sigma", 1.0)))
    total = pt.sqrt(s**2 + k**2)
    c = pm.Normal(name, m, total)
    u = pm.Normal(zbar_name, 0.0, 1.0)
    zbar = k * (c - m) / total**2 + u * s / total
    return c, c - k * zbar, k * zbar


def _part(part: DistributionalPart, priors: Mapping[str, Prior]):
    p = part.parameter
    model = pm.modelcontext(None)
    eta, slopes, centre = _fixed_part(part, priors)
    absorbing = _absorbing_factor(part, priors)
    a = None
    if part.design.fixed.has_intercept and absorbing is None:
        a = random_variable(variable_name(p, naming.CENTERED_INTERCEPT), priors[intercept_key(p)])
        eta = eta + a
    for index, (g, inner) in enumerate(zip(part.design.groups, part.model_groups())):
        view = {naming.sd_slot(inner.name, t): priors[sd_keys(p, g.name, t)[0]] for t in g.terms}
        if g.correlated:
            view[naming.cor_slot(inner.name)] = priors[cor_keys(p, g.name)[0]]
        dims = (naming.level_dim(inner.name), naming.term_dim(inner.name))
        model.add_coord(dims[0], list(g.levels))
        model.add_coord(dims[1], list(g.terms))
        if g.correlated:
            model.add_coord(naming.term_dim_bis(inner.name), list(g.terms))
        blocks = scales(inner, view)
        J, q = g.n_levels, len(g.terms)
        mean = None
        if index == absorbing:
            # the intercepts' deviations from their level mean, and that mean apart
            w = pm.Normal(naming.deviations_name(inner.name, 0, 1), 0.0, 1.0, shape=J - 1)
            z = _sum_zero(w, J)[:, None]
            if q > 1:
                rest = pm.Normal(naming.offsets_name(inner.name), 0.0, 1.0, shape=(J, q - 1))
                z = pt.concatenate([z, rest], axis=1)
            block, sd = next((b, sd) for b, sd, chol, _ in blocks if 0 in b and chol is None)
            k = sd[list(block).index(0)] / math.sqrt(J)
            c, a, mean = _absorbed_intercept(
                priors[intercept_key(p)],
                k,
                variable_name(p, naming.CENTERED_INTERCEPT),
                naming.mean_offsets_name(inner.name),
            )
            eta = eta + c
        else:
            z = pm.Normal(naming.offsets_name(inner.name), 0.0, 1.0, dims=dims)
        pieces = []
        for block, sd, chol, _ in blocks:
            cols = list(block)
            pieces.append(z[:, cols] * sd if chol is None else z[:, cols] @ chol.T)
        effects = pieces[0] if len(pieces) == 1 else pt.concatenate(pieces, axis=1)
        eta = eta + group_contribution(effects, inner)
        if mean is not None:
            effects = pt.set_subtensor(effects[:, 0], effects[:, 0] + mean)
        pm.Deterministic(naming.effects_name(inner.name), effects, dims=dims)
    if a is not None:
        value = a - pt.dot(pt.as_tensor(centre), slopes) if slopes is not None else a
        pm.Deterministic(variable_name(p, naming.INTERCEPT), value)
    return inverse_link_tensor(part.link, eta)
