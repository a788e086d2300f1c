"""The priors the compiled kernels know, as numbers for their ``floats`` arrays.

The layouts (:mod:`hiermodels.collapsed_layout`, :mod:`hiermodels.intercept_layout`,
:mod:`hiermodels.glmm_layout`) encode a positive prior (an SD's, ``sigma``'s or another
family parameter's) as ``[kind, constant, a, b]`` for
:func:`hiermodels.kernels.collapsed_density.positive_prior` (and its complex twin in
:mod:`hiermodels.kernels.glmm_hyper`, which knows :data:`EXTENDED` too), a Normal prior
by its moments, a factor's SD and LKJ variables as blocks (:func:`scale_variable`), and
start the sampler at PyMC's support points. A prior of another family raises
:class:`Unsupported` (through :func:`require`), and the model compiles its PyMC graph
instead.

Examples
--------
>>> from hiermodels.spec.priors import Prior
>>> positive_row(Prior("Exponential", lam=2.0), 1)[0][:3]
[1.0, 0.6931471805599453, 2.0]
>>> positive_row(Prior("Gamma", alpha=2.0, beta=1.0), 1) is None
True
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from hiermodels import naming
from hiermodels.backend.priors import correlated_sd_prior
from hiermodels.design.smooths import group_sd_slot
from hiermodels.spec.priors import Prior

__all__ = [
    "EXTENDED",
    "POSITIVE",
    "Unsupported",
    "lkj_constant",
    "normal_moments",
    "positive_row",
    "require",
    "scale_variable",
    "support_point",
]

#: Positive priors the kernel knows: code, parameter names.
POSITIVE = {
    "HalfNormal": (0, ("sigma",)),
    "Exponential": (1, ("lam",)),
    "HalfCauchy": (2, ("beta",)),
    "HalfStudentT": (3, ("nu", "sigma")),
}
#: More positive priors that the GLMM kernel knows (:mod:`hiermodels.kernels.glmm_hyper`).
EXTENDED = {"Gamma": (4, ("alpha", "beta")), "LogNormal": (5, ("mu", "sigma"))}


def positive_row(prior: Prior, size: int, *, extended: bool = False) -> list[list[float]] | None:
    """Per element ``[kind, constant, a, b]`` of a positive prior, or None (with
    ``extended``, :data:`EXTENDED`'s priors too)."""
    known = POSITIVE.get(prior.dist) or (EXTENDED.get(prior.dist) if extended else None)
    if known is None or set(prior.params) != set(known[1]):
        return None
    kind, names = known
    values = [np.broadcast_to(np.asarray(prior.params[n], float), (size,)) for n in names]
    rows = []
    for k in range(size):
        a = float(values[0][k])
        b = float(values[1][k]) if len(values) > 1 else 0.0
        if kind == 0:
            const = 0.5 * math.log(2.0 / math.pi) - math.log(a)
        elif kind == 1:
            const = math.log(a)
        elif kind == 2:
            const = math.log(2.0 / math.pi) - math.log(a)
        elif kind == 4:
            const = a * math.log(b) - float(gammaln(a))
        elif kind == 5:
            const = -math.log(b) - 0.5 * math.log(2.0 * math.pi)
        else:
            const = (
                gammaln((a + 1.0) / 2.0)
                - gammaln(a / 2.0)
                - 0.5 * math.log(a * math.pi * b * b)
                + math.log(2.0)
            )
        rows.append([float(kind), float(const), a, b])
    return rows


def support_point(row: list[float]) -> float:
    """PyMC's support point of a positive prior: sigma, 1 / lam, beta, sigma, the
    Gamma's mean, the LogNormal's mean."""
    kind, _, a, b = row
    kind = int(kind)
    if kind == 1:
        return 1.0 / a
    if kind == 3:
        return b
    if kind == 4:
        return a / b
    if kind == 5:
        return math.exp(a + 0.5 * b * b)
    return a


def normal_moments(prior: Prior, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Means and SDs of a Normal prior (PyMC's defaults 0 and 1), or None."""
    if prior.dist != "Normal" or not set(prior.params) <= {"mu", "sigma"}:
        return None
    mu = np.broadcast_to(np.asarray(prior.params.get("mu", 0.0), float), (size,))
    sd = np.broadcast_to(np.asarray(prior.params.get("sigma", 1.0), float), (size,))
    return mu, sd


class Unsupported(Exception):
    """The model has something the kernel does not evaluate."""


def require(value):
    """``value``, or :class:`Unsupported` when it is None."""
    if value is None:
        raise Unsupported
    return value


def lkj_constant(eta: float, n: int) -> float:
    """The log normalising constant of the LKJ density of an ``n`` x ``n`` correlation
    matrix with shape ``eta``."""
    k = np.arange(1, n)
    return float(
        (n - 1) * gammaln(eta + 0.5 * (n - 1))
        - np.sum(0.5 * k * math.log(math.pi) + gammaln(eta + 0.5 * (n - 1 - k)))
    )


def scale_variable(g, priors, name, transform_name, at, blocks, *, extended=False):
    """Shape and start values of one of the factor's SD or LKJ variables (the
    variable ``name`` at ``at`` in nutpie's vector); appends its blocks ``(kind, x0,
    terms, floats)``: kind 0 an SD, 1 an LKJ Cholesky factor. ``extended``: the
    kernel knows the Gamma and LogNormal priors too (:data:`EXTENDED`)."""
    q = len(g.terms)
    if not g.correlated and name == naming.sd_name(g.name) and transform_name == "log":
        rows = []
        for t, term in enumerate(g.terms):
            row = require(positive_row(priors[group_sd_slot(g, term)], 1, extended=extended))[0]
            blocks.append((0, at + t, [t], row))
            rows.append(math.log(support_point(row)))
        return (q,), rows
    for t, term in enumerate(g.terms if not g.correlated else ()):
        # SD priors of different families: one variable per term
        if name == f"{naming.sd_name(g.name)}[{term}]" and transform_name == "log":
            row = require(positive_row(priors[group_sd_slot(g, term)], 1, extended=extended))[0]
            blocks.append((0, at, [t], row))
            return (), [math.log(support_point(row))]
    for index, block in enumerate(g.blocks if g.correlated else ()):
        if len(block) == 1 and name == naming.block_sd_name(g.name, index):
            if transform_name != "log":
                raise Unsupported
            prior = priors[group_sd_slot(g, g.terms[block[0]])]
            row = require(positive_row(prior, 1, extended=extended))[0]
            blocks.append((0, at, [block[0]], row))
            return (), [math.log(support_point(row))]
        if len(block) > 1 and name == naming.chol_name(g.name, index, len(g.blocks)):
            if transform_name != "cholesky-cov-packed":
                raise Unsupported
            k = len(block)
            prior = correlated_sd_prior(g, block, priors)
            rows = require(positive_row(prior, k, extended=extended))
            cor = priors[naming.cor_slot(g.name)]
            eta = float(cor.params.get("eta", 1.0))
            values = [eta, lkj_constant(eta, k)] + [v for row in rows for v in row]
            blocks.append((1, at, list(block), values))
            return (k * (k + 1) // 2,), [0.0] * (k * (k + 1) // 2)
    raise Unsupported
