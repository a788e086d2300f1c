"""The PyMC part of distributional formulas: one value of the parameter per row.

For a parameter ``p`` with the formula ``~ x + (1 | g)`` and link ``f``,
``p_i = f^-1(a + (x_i - mean x) b + r_g[i])``:

- ``p_Intercept_centered`` is the sampled intercept at the means of the formula's
  predictors (its prior is the key ``"p|Intercept"``, as for the mean and in brms);
  ``p_Intercept`` is the intercept on the predictors' own scale (a deterministic);
- ``p_b`` holds the slopes, dims ``p_fixed_term``;
- per factor ``g``, ``sd_g__p`` (and ``cor_g__p`` for correlated terms) and the
  effects ``r_g__p``, non-centred (``r = z * sd`` or ``z @ L.T``), independent of the
  mean's effects of ``g``.

The family then reads ``aux[p]`` as a vector over the rows instead of a scalar.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days", sleep, sigma="~ Days + (1 | Subject)")
>>> sorted(v.name for v in model.pymc_model.free_RVs)  # doctest: +NORMALIZE_WHITESPACE
['Intercept_centered', 'b', 'sd_Subject__sigma', 'sigma_Intercept_centered', 'sigma_b',
 'z_Subject__sigma']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import random_variable, scales, vector
from hiermodels.design import Design
from hiermodels.design.distributional import DistributionalPart
from hiermodels.families.links import inverse_link_tensor
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.distributional import cor_keys, intercept_key, sd_keys, slope_keys
from hiermodels.spec.priors import Prior

__all__ = ["distributional_parameters", "fixed_dim", "variable_name"]


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


def _fixed_part(part: DistributionalPart, priors: Mapping[str, Prior]):
    p, sub = part.parameter, part.design
    names = [n for n in sub.fixed.names if n != naming.INTERCEPT]
    index = [i for i, n in enumerate(sub.fixed.names) if n != naming.INTERCEPT]
    X = sub.fixed.matrix[:, index]
    has_intercept = sub.fixed.has_intercept
    centre = X.mean(axis=0) if has_intercept else np.zeros(len(names))
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
    if has_intercept:
        a = random_variable(variable_name(p, naming.CENTERED_INTERCEPT), priors[intercept_key(p)])
        eta = eta + a
        value = a - pt.dot(pt.as_tensor(centre), slopes) if slopes is not None else a
        pm.Deterministic(variable_name(p, naming.INTERCEPT), value)
    if sub.offset is not None:
        eta = eta + pt.as_tensor(sub.offset)
    return eta


def _part(part: DistributionalPart, priors: Mapping[str, Prior]):
    p = part.parameter
    model = pm.modelcontext(None)
    eta = _fixed_part(part, priors)
    for g, inner in zip(part.design.groups, part.model_groups()):
        view = {naming.sd_slot(inner.name, t): priors[sd_keys(p, g.name, t)[0]] for t in g.terms}
        if g.correlated:
            view[naming.cor_slot(inner.name)] = priors[cor_keys(p, g.name)[0]]
        dims = (naming.level_dim(inner.name), naming.term_dim(inner.name))
        model.add_coord(dims[0], list(g.levels))
        model.add_coord(dims[1], list(g.terms))
        if g.correlated:
            model.add_coord(naming.term_dim_bis(inner.name), list(g.terms))
        z = pm.Normal(naming.offsets_name(inner.name), 0.0, 1.0, dims=dims)
        pieces = []
        for block, sd, chol, _ in scales(inner, view):
            cols = list(block)
            pieces.append(z[:, cols] * sd if chol is None else z[:, cols] @ chol.T)
        effects = pieces[0] if len(pieces) == 1 else pt.concatenate(pieces, axis=1)
        effects = pm.Deterministic(naming.effects_name(inner.name), effects, dims=dims)
        eta = eta + group_contribution(effects, inner)
    return inverse_link_tensor(part.link, eta)
