"""The group effects of one factor: deviations that sum to zero, their level mean, and
their contribution to the linear predictor (see :mod:`hiermodels.backend.pymc`)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import scales
from hiermodels.backend.shear import ShearPlan, conditional_level_means, factor_root
from hiermodels.design import Design, GroupDesign
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.priors import Prior

__all__ = ["group_data_contribution", "group_effects", "level_means", "sum_zero_embedding"]


def sum_zero_embedding(w, J: int):
    """Map ``w`` (``J - 1`` rows) onto the rows of a ``J``-row array summing to zero.

    The map is the Householder reflection that sends the last unit vector to
    ``1 / sqrt(J)``, applied to ``[w; 0]``: it is orthonormal, so iid standard normal
    rows of ``w`` give iid standard normal deviations from the row mean. O(J) work.
    """
    total = w.sum(axis=0)
    rest = w - total / (J - math.sqrt(J))
    return pt.concatenate([rest, (total / math.sqrt(J))[None]], axis=0)


def group_effects(g: GroupDesign, priors: Mapping[str, Prior], centered: bool):
    """Group effects of one factor, shape (levels, terms), in two parts.

    Returns ``(deviations, root, z_mean)``: the deviations from the level mean (levels,
    terms), which sum to zero over the levels; the root ``L_g`` of the effects'
    covariance; and the standard normal ``zbar_<factor>`` from which the level mean is
    drawn (``L_g zbar / sqrt(J)``, or given the sheared coefficients).

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
    blocks = scales(g, priors)
    z_mean = pm.Normal(naming.mean_offsets_name(g.name), 0.0, 1.0, shape=(q,))
    z = None if centered else pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, shape=(J - 1, q))
    parts = []
    for index, (block, sd, chol, _) in enumerate(blocks):
        cols = list(block)
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
        parts.append(sum_zero_embedding(deviations, J))
    return pt.concatenate(parts, axis=1), factor_root(g, blocks), z_mean


def level_means(design: Design, plan: ShearPlan, effects: dict, sheared, prior_cov, W, L):
    """Per factor, the level mean of its effects: given the sheared coefficients for
    the factors in the plan, from its prior for the others."""
    means = {}
    factors = [name for name in effects if plan.masks[name].any()]  # A's column order
    for name, (_, root, z_mean) in effects.items():
        if name not in factors:
            means[name] = root @ z_mean / math.sqrt(design.group(name).n_levels)
    if factors:
        z = pt.concatenate([effects[name][2] for name in factors])
        stacked_means = conditional_level_means(plan, sheared, prior_cov, W, L, z)
        offset = 0
        for name in factors:
            q = len(design.group(name).terms)
            means[name] = stacked_means[offset : offset + q]
            offset += q
    return means


def group_data_contribution(g: GroupDesign, deviations, mean):
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
