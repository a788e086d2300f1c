"""The GLMM kernel's two arrays, assembled from what :mod:`hiermodels.glmm_layout` read.

The layout of ``ints`` and ``floats`` is described in
:mod:`hiermodels.kernels.glmm_density` (header) and :mod:`hiermodels.kernels.glmm_hyper`
(factors, blocks, shear). This module adds the data (the centred fixed columns, offset,
response, trials, each factor's codes, weights and varying columns), the expand
program that names the deterministics as the PyMC model does, and the table of level
means that each fixed coefficient absorbs (for the reported ``b`` and ``Intercept``).

Examples
--------
>>> _flat([[1, 2], [3]])
[2, 1, 2, 1, 3]
"""

from __future__ import annotations

import math

import numpy as np

from hiermodels import naming
from hiermodels.backend.distributional import slope_columns, variable_name
from hiermodels.collapsed import collapsed_statistics
from hiermodels.collapsed_layout import KernelLayout, finish_layout
from hiermodels.kernel_priors import Unsupported
from hiermodels.kernels import glmm_density as kernel
from hiermodels.kernels.glmm_hyper import COLLAPSED, FACTOR, HEADER
from hiermodels.kernels.glmm_rows import data_constant

__all__ = ["assemble"]

FLOATS_HEADER = 10
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
SIGMA_INTERCEPT = variable_name("sigma", naming.CENTERED_INTERCEPT)
SIGMA_SLOPES = variable_name("sigma", naming.SLOPES)
#: the deterministic of sigma's intercept at uncentred predictors
_SIGMA_INTERCEPT_REPORTED = variable_name("sigma", naming.INTERCEPT)


def _flat(lists: list[list[int]]) -> list[int]:
    """``[len(a), *a, len(b), *b, ...]``."""
    return [v for part in lists for v in (len(part), *part)]


def _data(reader, slopes, ints, floats):
    design, family = reader.design, reader.family
    rows = reader.rows
    y = reader.y[rows]
    trials = None if design.trials is None else np.asarray(design.trials, float)[rows]
    floats[0] = reader.constant + data_constant(family, y, trials)
    floats[1] = len(floats)
    floats.extend(np.log(y) if family == 7 else y)
    if trials is not None:
        floats[2] = len(floats)
        floats.extend(trials)
    centre_name = naming.data_name("centre")
    centre = (
        np.asarray(reader.pymc_model[centre_name].get_value(), float)
        if centre_name in reader.pymc_model.named_vars
        else np.zeros(len(slopes))
    )
    index = [design.fixed.names.index(n) for n in slopes]
    floats[3] = len(floats)
    floats.extend((np.asarray(design.fixed.matrix, float)[rows][:, index] - centre).ravel())
    if design.offset is not None:
        floats[4] = len(floats)
        floats.extend(np.asarray(design.offset, float)[rows])
    floats[9] = len(floats)
    floats.extend(centre)


def _slopes(reader, slopes, ints, floats):
    plan = reader.plan
    xs, own = [], []
    floats[7] = len(floats)
    moments = []  # a sheared slope's prior is in the shear: (0, 1) unused
    for n in slopes:
        if plan.joint and n in plan.coefficients:
            xs.append(reader.c_x[plan.coefficients.index(n)])
            own.append(0)
            moments.append((0.0, 1.0))
        else:
            k = reader.own_slopes.index(n)
            xs.append(reader.own_x + k)
            own.append(1)
            moments.append(reader.own_prior[k])
    floats.extend([m for m, _ in moments] + [sd for _, sd in moments])
    ints[6] = len(ints)
    ints.extend(xs + own)


def _sigma_formula(reader, ints, floats):
    """The ``sigma_at`` record: sigma's intercept and slopes, their centred columns on
    the rows, their priors and the centre (over all rows, as the PyMC model's)."""
    _, X, centre = slope_columns(reader.design.distributional[0].design)
    P = X.shape[1]
    b_x = reader.sigma_x.get(SIGMA_SLOPES, 0)
    moments = [
        m for name in (SIGMA_INTERCEPT, SIGMA_SLOPES) for m in reader.sigma_prior.get(name, [])
    ]
    ints[16] = len(ints)
    X_at = len(floats)
    prior_at = X_at + len(reader.rows) * P
    ints.extend([reader.sigma_x[SIGMA_INTERCEPT], P, X_at, prior_at, prior_at + 2 * (P + 1)])
    ints.extend(b_x + k for k in range(P))
    floats.extend((np.asarray(X, float)[reader.rows] - centre).ravel())
    floats.extend([mu for mu, _ in moments] + [sd for _, sd in moments])
    floats.extend(centre)


def _censoring(reader, ints, floats):
    """The ``censoring_at`` record: the rows' codes and upper bounds; the censored rows
    have no ``-log(2 pi) / 2`` of the data constant (their cdf holds its own)."""
    rows = reader.design.row_terms
    codes = np.asarray(rows.cens, np.int64)[reader.rows]
    y2 = np.zeros(len(codes)) if rows.y2 is None else np.asarray(rows.y2, float)[reader.rows]
    ints[17] = len(ints)
    ints.extend([len(ints) + 2, len(floats)])
    floats.extend(np.nan_to_num(y2))
    ints.extend(codes)
    floats[0] += float(np.count_nonzero(codes)) * _HALF_LOG_2PI


def _factors(reader, ints, floats):
    design, plan = reader.design, reader.plan
    sheared = [g.name for g in design.groups if plan.masks[g.name].any()]
    offsets, width = {}, 0
    for name in sheared:
        offsets[name] = width
        width += len(design.group(name).terms)
    records = []
    for g, slot in zip(design.groups, reader.factors, strict=True):
        K = g.codes.shape[1]
        centred = COLLAPSED if g.name == reader.collapsed else int(bool(slot["centred"]))
        record = [g.n_levels, len(g.terms), centred, K]
        record.append(len(ints))
        ints.extend(np.asarray(g.codes, np.int64)[reader.rows].ravel())
        record.append(len(floats))
        floats.extend(np.asarray(g.weights, float)[reader.rows].ravel())
        record.append(len(floats))
        floats.extend(np.asarray(g.Z, float).reshape(-1, len(g.terms))[reader.rows].ravel())
        record += [len(slot["blocks"]), len(ints)]
        for kind, x0, terms, values in slot["blocks"]:
            ints.extend([kind, len(terms), x0, len(floats), *terms])
            floats.extend(values)
        record += [slot["zbar"], len(ints)]
        for t in range(len(g.terms) if g.name != reader.collapsed else 0):
            ints.extend(slot["w"][t])
        record.append(len(ints))
        ints.extend(int(m) for m in plan.masks[g.name])
        record.append(offsets.get(g.name, -1))
        records.append(record)
    if plan.coefficients:
        A, _ = plan.absorption(design)
        p = len(plan.coefficients)
        ints[9] = len(ints)
        ints.extend([p, width, len(floats), *reader.c_x])
        floats.extend(A.ravel())
        floats.extend(plan.prior_mean)
        floats.extend(np.asarray(plan.prior_sd, float) ** 2)
    return records


def assemble(reader, slopes: list[str]) -> KernelLayout:
    """The kernel's layout from a :mod:`hiermodels.glmm_layout` reader."""
    design, plan = reader.design, reader.plan
    F, P, N = len(design.groups), len(slopes), len(reader.rows)
    q_max = max([len(g.terms) for g in design.groups], default=1)
    ints = [reader.at, F, P, N, reader.family, reader.ic_x, 0, len(reader.aux), 0, -1, q_max]
    ints += [0, 0, 0, -1, -1, -1, -1]
    ints.extend([0] * (FACTOR * F))
    ic_mu, ic_sd = reader.ic_prior if reader.ic_prior is not None else (0.0, -1.0)
    floats = [0.0, 0.0, -1.0, 0.0, -1.0, ic_mu, ic_sd, 0.0, 0.0, 0.0]
    _data(reader, slopes, ints, floats)
    _slopes(reader, slopes, ints, floats)
    ints[8] = len(ints)
    ints.extend(x for _, x, _ in reader.aux)
    floats[8] = len(floats)
    for _, _, row in reader.aux:
        floats.extend(row)
    if reader.thresholds is not None:
        n, x0, rows = reader.thresholds
        ints[14] = len(ints)
        ints.extend([n, x0, len(floats)])
        floats.extend(v for row in rows for v in row)
    if reader.sigma_x:
        _sigma_formula(reader, ints, floats)
    if design.row_terms is not None:
        _censoring(reader, ints, floats)
    records = _factors(reader, ints, floats)
    if reader.collapsed is not None:
        stats = collapsed_statistics(design, reader.collapsed)
        f = [g.name for g in design.groups].index(reader.collapsed)
        ints[15] = len(ints)
        ints.extend([f, len(floats)])
        floats.extend(np.asarray(stats.ZtZ, float).ravel())
    for f, record in enumerate(records):
        ints[HEADER + FACTOR * f : HEADER + FACTOR * (f + 1)] = record
    ints[11] = len(ints)
    hyper = list(dict.fromkeys(reader.hyper))
    ints.extend([len(hyper), *hyper])
    ints[13] = len(ints)
    absorbed = {name: [] for name in [naming.INTERCEPT, *slopes]}
    for f, g in enumerate(design.groups):
        for t, term in enumerate(g.terms):
            if plan.masks[g.name][t] and term in absorbed:
                absorbed[term].append([f, t])
    ints.extend(_flat([[v for pair in pairs for v in pair] for pairs in absorbed.values()]))
    ops, out, extra = [[kernel.COPY, 0, reader.at, 0]], reader.at, []
    for var in reader.pymc_model.unobserved_value_vars:
        if var.name in reader.names:
            continue
        op, shape = _expand_op(reader, var.name, slopes)
        size = int(np.prod(shape, dtype=int))
        ops.append([op[0], out, size, op[1]])
        extra.append((var.name, shape))
        out += size
    values = (reader.names, reader.slices, reader.shapes)
    return finish_layout(
        ints, floats, ops, 12, values, extra, reader.at, reader.renamed, reader.start
    )


def _expand_op(reader, name: str, slopes) -> tuple[tuple[int, int], tuple[int, ...]]:
    """The expand operation ``(op, arg)`` and shape of the deterministic or constrained
    value ``name``."""
    pymc_model, design = reader.pymc_model, reader.design
    rv = pymc_model.named_vars.get(name)
    if rv in pymc_model.free_RVs:
        transform = getattr(pymc_model.rvs_to_transforms.get(rv), "name", None)
        value_name = pymc_model.rvs_to_values[rv].name
        shape = reader.shapes[reader.names.index(value_name)]
        if transform == "log":
            return (kernel.EXP, reader.offsets[name]), shape
        if transform == "logodds":
            return (kernel.EXPIT, reader.offsets[name]), shape
        if transform == "ordered":
            return (kernel.ORDERED, reader.offsets[name]), shape
        if transform == "cholesky-cov-packed":
            return (kernel.PACKED, reader.offsets[name]), tuple(shape)
        raise Unsupported
    for f, g in enumerate(design.groups):
        q = len(g.terms)
        if name == naming.sd_name(g.name):
            return (kernel.SD, f), (q,)
        if name == naming.cor_name(g.name):
            return (kernel.COR, f), (q, q)
        if name == naming.effects_name(g.name):
            return (kernel.EFFECTS, f), (g.n_levels, q)
    if name == naming.SLOPES:
        return (kernel.SLOPES, 0), (len(slopes),)
    if name == naming.INTERCEPT and reader.ic_x >= 0:
        return (kernel.INTERCEPT, 0), ()
    if name == _SIGMA_INTERCEPT_REPORTED and reader.sigma_x:
        return (kernel.SIGMA_INTERCEPT, 0), ()
    if name == naming.INTERCEPT and reader.thresholds is not None:
        return (kernel.THRESHOLDS, 0), (reader.thresholds[0],)
    raise Unsupported
