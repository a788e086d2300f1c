"""The priors the compiled kernels know, as numbers for their ``floats`` arrays.

Both layouts (:mod:`hiermodels.collapsed_layout`, :mod:`hiermodels.intercept_layout`)
encode a positive prior (an SD's or ``sigma``) as ``[kind, constant, a, b]`` for
:func:`hiermodels.kernels.collapsed_density.positive_prior`, a Normal prior by its
moments, and start the sampler at PyMC's support points. A prior of another family
raises :class:`Unsupported` (through :func:`require`), and the model compiles its PyMC
graph instead.

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

from hiermodels.spec.priors import Prior

__all__ = ["POSITIVE", "Unsupported", "normal_moments", "positive_row", "require", "support_point"]

#: Positive priors the kernel knows: code, parameter names.
POSITIVE = {
    "HalfNormal": (0, ("sigma",)),
    "Exponential": (1, ("lam",)),
    "HalfCauchy": (2, ("beta",)),
    "HalfStudentT": (3, ("nu", "sigma")),
}


def positive_row(prior: Prior, size: int) -> list[list[float]] | None:
    """Per element ``[kind, constant, a, b]`` of a positive prior, or None."""
    known = POSITIVE.get(prior.dist)
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
    """PyMC's support point of a positive prior: sigma, 1 / lam, beta, sigma."""
    kind, _, a, b = row
    return {0: a, 1: 1.0 / a, 2: a, 3: b}[int(kind)]


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
