"""The flat arrays that describe a varying-intercept GLMM to its compiled kernel.

:mod:`hiermodels.kernels.intercept_density` evaluates Bernoulli, binomial (logit) and
Poisson models with varying intercepts from two arrays: ``ints`` (positions of the
parameters in nutpie's flat vector, the factors, the level codes, the expand program)
and ``floats`` (prior constants and the rows' data). They are read off the PyMC model
(names, order and transforms of its variables) with the shear plan and the priors;
anything else (another family or link, slopes, a prior family the kernel lacks, row
weights) gives ``None`` and the PyMC graph is compiled instead.

Examples
--------
>>> import hiermodels as hm
>>> cbpp = hm.datasets.load("cbpp")
>>> model = hm.Model("incidence | trials(size) ~ period + (1 | herd)", cbpp,
...                  family="binomial")
>>> layout = intercept_layout(model.pymc_model, model)
>>> layout.n_dim, layout.shape_info[0][:3]
(20, ['sd_herd_log__', 'zbar_herd', 'z_herd'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from hiermodels import naming
from hiermodels.backend.shear import shear_plan
from hiermodels.collapsed_layout import KernelLayout, finish_layout
from hiermodels.design.smooths import group_sd_slot
from hiermodels.kernel_priors import (
    Unsupported,
    normal_moments,
    positive_row,
    require,
    support_point,
)
from hiermodels.kernels import intercept_density as kernel

__all__ = ["intercept_layout"]

#: (family, link) -> the kernel's family code.
FAMILIES = {("bernoulli", "logit"): 0, ("binomial", "logit"): 1, ("poisson", "log"): 2}
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def intercept_layout(pymc_model, model) -> KernelLayout | None:
    """The kernel's layout of ``pymc_model`` (the full model of ``model``), or None."""
    try:
        return _layout(pymc_model, model)
    except Unsupported:
        return None


def _check_model(pymc_model, model):
    design = model.design
    family = FAMILIES.get((model.family, model.link))
    if family is None or not design.groups or design.row_terms is not None:
        raise Unsupported
    if design.autocor is not None or design.distributional:
        raise Unsupported
    if pymc_model.potentials or len(pymc_model.observed_RVs) != 1:
        raise Unsupported
    if naming.data_name("refit_weights") in pymc_model.named_vars:
        raise Unsupported
    for g in design.groups:
        if g.terms != (naming.INTERCEPT,) or g.covariance is not None or g.correlated:
            raise Unsupported
    return family


def _layout(pymc_model, model) -> KernelLayout:
    family = _check_model(pymc_model, model)
    design, priors = model.design, model.priors
    plan = shear_plan(design, priors)
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    P, _N = len(slopes), design.n_obs
    factor_of = {}
    for f, g in enumerate(design.groups):
        factor_of[naming.sd_name(g.name)] = (f, "sd")
        factor_of[naming.mean_offsets_name(g.name)] = (f, "zbar")
        factor_of[naming.offsets_name(g.name)] = (f, "z")
        factor_of[naming.deviations_name(g.name, 0, 1)] = (f, "w")
    slots = [dict(centred=None) for _ in design.groups]
    names, slices, shapes, renamed, start, offsets = [], [], [], [], [], {}
    ic_x = slopes_x = -1
    ic_mean, ic_var = 0.0, 1.0
    slope_mu, slope_sd = np.zeros(P), np.ones(P)
    at = 0
    for rv in pymc_model.free_RVs:
        value = pymc_model.rvs_to_values[rv]
        transform = getattr(pymc_model.rvs_to_transforms.get(rv), "name", None)
        name = rv.name
        if name in factor_of:
            f, role = factor_of[name]
            g = design.groups[f]
            size = 1 if role in ("sd", "zbar") else g.n_levels - 1
            shape = (1,) if role in ("sd", "zbar") else (g.n_levels - 1, 1)
            if (role == "sd") != (transform == "log") or (role != "sd" and transform):
                raise Unsupported
            slots[f][role] = at
            if role == "sd":
                row = require(positive_row(priors[group_sd_slot(g, naming.INTERCEPT)], 1))[0]
                slots[f]["prior"] = row
                values = [math.log(support_point(row))]
            else:
                values = [0.0] * size
            if role in ("z", "w"):
                slots[f]["centred"] = role == "w"
        elif name == naming.CENTERED_INTERCEPT and transform is None:
            mu, sd = require(normal_moments(priors[naming.INTERCEPT], 1))
            ic_x, ic_mean, ic_var, shape, size = at, mu[0], sd[0] ** 2, (), 1
            values = [mu[0]]
        elif name == naming.SLOPES and transform is None and P:
            stack = [require(normal_moments(priors[naming.slope_slot(n)], 1)) for n in slopes]
            slope_mu = np.array([mu[0] for mu, _ in stack])
            slope_sd = np.array([sd[0] for _, sd in stack])
            slopes_x, shape, size, values = at, (P,), P, list(slope_mu)
        else:
            raise Unsupported
        names.append(value.name)
        slices.append(slice(at, at + size))
        shapes.append(shape)
        offsets[name] = at
        if transform is not None:
            renamed.append(value.name)
        start.extend(values)
        at += size
    if (P and slopes_x < 0) or (design.fixed.has_intercept and ic_x < 0):
        raise Unsupported
    roles = [{"centred", "sd", "zbar", "w" if s["centred"] else "z", "prior"} for s in slots]
    if any(set(s) != r for s, r in zip(slots, roles, strict=True)):
        raise Unsupported
    parts = _Parts(names, slices, shapes, renamed, start, offsets, at, slots)
    parts.ic_x, parts.slopes_x, parts.ic_mean, parts.ic_var = ic_x, slopes_x, ic_mean, ic_var
    parts.slope_mu, parts.slope_sd = slope_mu, slope_sd
    return _assemble(pymc_model, model, family, plan, parts)


@dataclass
class _Parts:
    """The free variables read off the PyMC model, in nutpie's order."""

    names: list
    slices: list
    shapes: list
    renamed: list
    start: list
    offsets: dict
    n_dim: int
    slots: list
    ic_x: int = -1
    slopes_x: int = -1
    ic_mean: float = 0.0
    ic_var: float = 1.0
    slope_mu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slope_sd: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _constant(design, family: int, slope_sd, has_intercept: bool) -> float:
    y = np.asarray(design.y, float)
    const = 0.0
    if family == 1:
        n = np.asarray(design.trials, float)
        const += float(np.sum(gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)))
    elif family == 2:
        const -= float(np.sum(gammaln(y + 1)))
    const += float(np.sum(-_HALF_LOG_2PI - np.log(slope_sd)))
    const -= _HALF_LOG_2PI * int(has_intercept)
    for g in design.groups:
        const -= _HALF_LOG_2PI * g.n_levels  # zbar and the J - 1 offsets
    return const


def _assemble(pymc_model, model, family, plan, v: _Parts) -> KernelLayout:
    design = model.design
    N, P, slots = design.n_obs, len(v.slope_mu), v.slots
    ints = [v.n_dim, len(design.groups), P, N, family, v.ic_x, v.slopes_x, 0]
    floats = [v.ic_mean, v.ic_var, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0]
    floats.extend(v.slope_mu)
    floats.extend(v.slope_sd)
    for s in slots:
        floats.extend(s["prior"])
    factor_at = len(ints)
    ints.extend([0] * (kernel.FACTOR * len(design.groups)))
    for f, (g, s) in enumerate(zip(design.groups, slots, strict=True)):
        sheared = int(bool(plan.masks[g.name].any()))
        K = g.codes.shape[1]
        record = [g.n_levels, s["sd"], s["zbar"], s["z" if not s["centred"] else "w"]]
        record += [int(s["centred"]), sheared, K, len(ints), 0]
        ints.extend(np.asarray(g.codes, np.int64).ravel())
        record[8] = len(floats)
        floats.extend(np.asarray(g.weights, float).ravel())
        ints[factor_at + kernel.FACTOR * f : factor_at + kernel.FACTOR * (f + 1)] = record
    floats[2] = _constant(design, family, v.slope_sd, v.ic_x >= 0)
    floats[3] = len(floats)
    floats.extend(np.asarray(design.y, float))
    if design.trials is not None:
        floats[4] = len(floats)
        floats.extend(np.asarray(design.trials, float))
    floats[5] = len(floats)
    centre_name = naming.data_name("centre")
    centre = (
        np.asarray(pymc_model[centre_name].get_value(), float)
        if centre_name in pymc_model.named_vars
        else np.zeros(P)
    )
    slope_idx = [i for i, n in enumerate(design.fixed.names) if n != naming.INTERCEPT]
    X = np.asarray(design.fixed.matrix, float)[:, slope_idx] - centre
    floats.extend(X.ravel())
    if design.offset is not None:
        floats[6] = len(floats)
        floats.extend(np.asarray(design.offset, float))
    floats[7] = len(floats)
    floats.extend(centre)
    ops, out, extra = [[kernel.COPY, 0, v.n_dim, 0]], v.n_dim, []
    for var in pymc_model.unobserved_value_vars:
        name = var.name
        if name in v.names:
            continue
        factor = next(
            (f for f, g in enumerate(design.groups) if name == naming.effects_name(g.name)), None
        )
        if name in v.offsets and name.startswith("sd_"):
            op, shape = [kernel.EXP, out, 1, v.offsets[name]], (1,)
        elif factor is not None:
            J = design.groups[factor].n_levels
            op, shape = [kernel.EFFECTS, out, J, factor], (J, 1)
        elif name == naming.INTERCEPT and v.ic_x >= 0:
            op, shape = [kernel.INTERCEPT, out, 1, 0], ()
        else:
            raise Unsupported
        ops.append(op)
        extra.append((name, shape))
        out += int(np.prod(shape, dtype=int))
    values = (v.names, v.slices, v.shapes)
    return finish_layout(ints, floats, ops, 7, values, extra, v.n_dim, v.renamed, v.start)
