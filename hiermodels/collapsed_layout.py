"""The flat arrays that describe a collapsed gaussian model to its compiled kernel.

:mod:`hiermodels.kernels.collapsed_density` evaluates every gaussian model with one
integrated-out factor from two arrays: ``ints`` (the model's structure: where each
parameter sits in nutpie's flat vector, the blocks of the covariance, the expand
program) and ``floats`` (prior constants and the sufficient statistics). This module
reads them off the PyMC model (the specification: names, order and transforms of its
free variables and deterministics) and the priors. Anything it does not recognise (a
prior family, a variable) gives ``None``, and the model compiles through PyMC instead.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> layout = collapsed_layout(model.collapsed_model("Subject"), model.design, model.priors,
...                           "Subject")
>>> layout.n_dim, layout.shape_info[0][:2]
(6, ['chol_Subject_cholesky-cov-packed__', 'b'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hiermodels import naming
from hiermodels.collapsed import collapsed_statistics
from hiermodels.design import Design
from hiermodels.kernel_priors import (
    Unsupported,
    normal_moments,
    positive_row,
    require,
    scale_variable,
    support_point,
)
from hiermodels.kernels import collapsed_density as kernel

__all__ = ["KernelLayout", "collapsed_layout", "finish_layout"]


@dataclass(frozen=True)
class KernelLayout:
    """What the kernel and nutpie need: the two arrays, the flat vector's size, the
    expanded draw's names, slices and shapes, the log-transformed value names, and the
    initial point before jitter."""

    ints: np.ndarray
    floats: np.ndarray
    n_dim: int
    n_expanded: int
    shape_info: tuple[list[str], list[slice], list[tuple[int, ...]]]
    renamed: list[str]
    start: np.ndarray


def finish_layout(ints, floats, ops, expand_slot: int, values, extra, n_dim: int, renamed, start):
    """A :class:`KernelLayout` from the arrays, the expand operations (whose program is
    appended to ``ints``, its position written at ``ints[expand_slot]``), the value
    variables' ``(names, slices, shapes)`` and the ``extra`` expanded variables'
    ``(name, shape)`` laid out after them."""
    names, slices, shapes = (list(part) for part in values)
    out = n_dim
    for name, shape in extra:
        size = int(np.prod(shape, dtype=int))
        names.append(name)
        slices.append(slice(out, out + size))
        shapes.append(tuple(shape))
        out += size
    ints[expand_slot] = len(ints)
    ints.extend([len(ops), *[v for op in ops for v in op]])
    return KernelLayout(
        ints=np.asarray(ints, np.int64),
        floats=np.asarray(floats, np.float64),
        n_dim=n_dim,
        n_expanded=out,
        shape_info=(names, slices, shapes),
        renamed=list(renamed),
        start=np.asarray(start, float),
    )


def collapsed_layout(
    pymc_model, design: Design, priors, factor: str, *, stats=None
) -> KernelLayout | None:
    """The kernel's layout of ``pymc_model`` (collapsed on ``factor``), or None.

    ``stats``: the collapsed statistics to use instead of those of all rows (a refit on
    some of them, :func:`hiermodels.collapsed.collapsed_statistics` with row weights).
    """
    try:
        return _layout(pymc_model, design, priors, factor, stats)
    except Unsupported:
        return None


def _layout(pymc_model, design: Design, priors, factor: str, stats) -> KernelLayout:
    if len(design.groups) != 1 or design.groups[0].name != factor:
        raise Unsupported
    if pymc_model.observed_RVs or [p.name for p in pymc_model.potentials] != [
        naming.collapsed_loglik_name()
    ]:
        raise Unsupported
    g = design.group(factor)
    q = len(g.terms)
    has_intercept = design.fixed.has_intercept
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    p = len(slopes) + int(has_intercept)
    names, slices, shapes, renamed = [], [], [], []
    offsets: dict[str, int] = {}
    at = 0
    blocks: list[tuple[int, int, list[int], list[float]]] = []  # kind, x0, terms, floats
    theta_x = [-1] * p
    start: list[float] = []
    sigma_row = None
    theta_mu, theta_sd = np.zeros(p), np.ones(p)
    for rv in pymc_model.free_RVs:
        value = pymc_model.rvs_to_values[rv]
        transform = pymc_model.rvs_to_transforms.get(rv)
        transform_name = getattr(transform, "name", None)
        name = rv.name
        if name == naming.SIGMA and transform_name == "log":
            shape, sigma_row = (), require(positive_row(priors[naming.SIGMA], 1))[0]
            sigma_x, values = at, [math.log(support_point(sigma_row))]
        elif name == naming.CENTERED_INTERCEPT and transform is None and has_intercept:
            shape = ()
            mu, sd = require(normal_moments(priors[naming.INTERCEPT], 1))
            theta_x[0], theta_mu[0], theta_sd[0], values = at, mu[0], sd[0], [mu[0]]
        elif name == naming.SLOPES and transform is None and slopes:
            shape = (len(slopes),)
            stack = [priors[naming.slope_slot(n)] for n in slopes]
            if any(s.dist != stack[0].dist or set(s.params) != set(stack[0].params) for s in stack):
                raise Unsupported
            normals = [require(normal_moments(s, 1)) for s in stack]
            first = int(has_intercept)
            for k, (mu, sd) in enumerate(normals):
                theta_x[first + k], theta_mu[first + k], theta_sd[first + k] = at + k, mu[0], sd[0]
            values = [mu[0] for mu, _ in normals]
        else:
            shape, values = scale_variable(g, priors, name, transform_name, at, blocks)
        names.append(value.name)
        size = int(np.prod(shape, dtype=int))
        slices.append(slice(at, at + size))
        shapes.append(tuple(shape))
        offsets[name] = at
        if transform is not None:
            renamed.append(value.name)
        start.extend(values)
        at += size
    if (
        sigma_row is None
        or -1 in theta_x
        or sorted(t for b in blocks for t in b[2]) != list(range(q))
    ):
        raise Unsupported
    n_dim = at
    stats = collapsed_statistics(design, factor) if stats is None else stats
    centre = (
        np.asarray(pymc_model[naming.data_name("centre")].get_value(), float)
        if naming.data_name("centre") in pymc_model.named_vars
        else np.zeros(0)
    )
    # floats: header, coefficients' priors, blocks, statistics, centre
    floats = [stats.yty, float(stats.n_obs), float(stats.y_mean), *sigma_row]
    floats.append(float(np.sum(-0.5 * math.log(2 * math.pi) - np.log(theta_sd))))
    floats.extend(theta_mu)
    floats.extend(theta_sd)
    ints_blocks = []
    for kind, x0, terms, values in blocks:
        ints_blocks.extend([kind, len(terms), x0, len(floats), *terms])
        floats.extend(values)
    stats_at = len(floats)
    for array in (stats.ZtZ, stats.ZtF, stats.Zty, stats.FtF, stats.Fty):
        floats.extend(np.asarray(array, float).ravel())
    centre_at = len(floats)
    floats.extend(centre)
    expand_ops, extra = _expand_program(pymc_model, g, names, n_dim, offsets, centre_at)
    header = [n_dim, q, p, g.n_levels, len(blocks), sigma_x, stats_at, 0]
    ints = [*header, *theta_x, *ints_blocks]
    values = (names, slices, shapes)
    return finish_layout(ints, floats, expand_ops, 7, values, extra, n_dim, renamed, start)


def _expand_program(pymc_model, g, joined: list[str], n_dim: int, offsets, centre_at: int):
    """The expand operations (``[op, out_at, size, arg]``) after the unconstrained copy,
    and the extra variables' names and shapes, in PyMC's order."""
    q = len(g.terms)
    ops = [[kernel.COPY, 0, n_dim, 0]]
    extra = []
    out = n_dim
    for var in pymc_model.unobserved_value_vars:
        name = var.name
        if name in joined:
            continue
        rv = pymc_model.named_vars.get(name)
        transform = pymc_model.rvs_to_transforms.get(rv) if rv in pymc_model.free_RVs else None
        transform_name = getattr(transform, "name", None)
        if transform_name == "log":
            size = q if name == naming.sd_name(g.name) else 1
            shape = (q,) if name == naming.sd_name(g.name) else ()
            ops.append([kernel.EXP, out, size, offsets[name]])
        elif transform_name == "cholesky-cov-packed":
            k = next(
                len(b)
                for i, b in enumerate(g.blocks)
                if naming.chol_name(g.name, i, len(g.blocks)) == name
            )
            size, shape = k * (k + 1) // 2, (k * (k + 1) // 2,)
            ops.append([kernel.PACKED, out, k, offsets[name]])
        elif name == naming.sd_name(g.name):  # stacked from the blocks' SDs
            size, shape = q, (q,)
            ops.append([kernel.SD, out, size, 0])
        elif name == naming.cor_name(g.name) and g.correlated:
            size, shape = q * q, (q, q)
            ops.append([kernel.COR, out, size, 0])
        elif name == naming.INTERCEPT:
            size, shape = 1, ()
            ops.append([kernel.INTERCEPT, out, 1, centre_at])
        else:
            raise Unsupported
        extra.append((name, shape))
        out += size
    return ops, extra
