"""The log-density of a varying-intercept GLMM and its gradient, compiled once.

One compiled function serves every Bernoulli, binomial (logit link) or Poisson (log
link) model whose grouping factors have varying intercepts only: any number of factors,
crossed, nested or multiple-membership, each non-centred or centred, with the fixed
intercept absorbing the level means as :mod:`hiermodels.backend.shear` says. The
model's structure and data come in two flat arrays laid out by
:mod:`hiermodels.intercept_layout`; nothing is compiled per model
(:mod:`hiermodels.kernel_entry`). The PyMC model is the specification: a test checks this
density and gradient against PyMC's at random points.

Per factor ``f`` (``J`` levels), the deviations from the level mean are the sum-zero
embedding of ``w`` (``J - 1`` values: ``z * sd`` non-centred, sampled centred):
``d_k = w_k - T / (J - sqrt J)`` for ``k < J - 1`` and ``d_{J-1} = T / sqrt J`` with
``T = sum w``. A sheared factor's level mean is absorbed by the intercept, whose prior is
then ``N(m, s^2 + sum_f sd_f^2 / J_f)``; another factor's mean ``sd zbar / sqrt J``
enters every row. The gradient is written out by hand (reverse mode).

Layout of ``ints``: ``[n_dim, n_factors, n_slopes, n_rows, family, intercept_x,
slopes_x, expand_at]``, then per factor ``[J, sd_x, zbar_x, w_x, centred, sheared,
members, codes_at, weights_at]``. ``floats``: ``[m, s^2, constant, y_at, trials_at,
X_at, offset_at (-1: none), centre_at]``, the slopes' prior means and SDs, and per
factor its SD prior ``[kind, constant, a, b]`` (:func:`positive_prior`), then the data.
Families: 0 Bernoulli (logit), 1 binomial (logit), 2 Poisson (log).

Examples
--------
>>> HEADER, FACTOR
(8, 9)
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hiermodels.kernels.collapsed_density import positive_prior
from hiermodels.kernels.glmm_rows import counts_and_binary

__all__ = ["FACTOR", "HEADER", "intercept_log_density"]

HEADER = 8
FACTOR = 9
#: Expand operations: copy, exp, one factor's effects, the intercept.
COPY, EXP, EFFECTS, INTERCEPT = 0, 1, 2, 3
_FLOATS_HEADER = 8


@numba.njit(error_model="numpy")
def _deviations(x, ints, floats, at, sd, dev):
    """Fill ``dev`` (J) with the factor's deviations from its level mean."""
    J, w_x, centred = ints[at], ints[at + 3], ints[at + 4]
    total = 0.0
    for k in range(J - 1):
        w = x[w_x + k] if centred else x[w_x + k] * sd
        dev[k] = w
        total += w
    shift = total / (J - math.sqrt(J))
    for k in range(J - 1):
        dev[k] -= shift
    dev[J - 1] = total / math.sqrt(J)


@numba.njit(error_model="numpy")
def intercept_log_density(x, grad, ints, floats):
    """The log-density at the unconstrained point ``x``; fills ``grad``."""
    F, P, N, family = ints[1], ints[2], ints[3], ints[4]
    ic_x, slopes_x = ints[5], ints[6]
    for k in range(grad.size):
        grad[k] = 0.0
    y = floats[int(floats[3]) : int(floats[3]) + N]
    n = floats[int(floats[4]) : int(floats[4]) + N] if floats[4] >= 0 else y
    X = floats[int(floats[5]) : int(floats[5]) + N * P].reshape((N, P))
    eta = np.empty(N)
    ic = x[ic_x] if ic_x >= 0 else 0.0
    for i in range(N):
        acc = ic
        for k in range(P):
            acc += X[i, k] * x[slopes_x + k]
        eta[i] = acc
    if floats[6] >= 0:
        offset_at = int(floats[6])
        for i in range(N):
            eta[i] += floats[offset_at + i]
    sds = np.empty(F)
    for f in range(F):
        at = HEADER + FACTOR * f
        J, K = ints[at], ints[at + 6]
        sd = math.exp(x[ints[at + 1]])
        sds[f] = sd
        dev = np.empty(J)
        _deviations(x, ints, floats, at, sd, dev)
        mean = 0.0 if ints[at + 5] else sd * x[ints[at + 2]] / math.sqrt(J)
        codes = ints[ints[at + 7] : ints[at + 7] + N * K].reshape((N, K))
        weights = floats[ints[at + 8] : ints[at + 8] + N * K].reshape((N, K))
        for i in range(N):
            for k in range(K):
                eta[i] += weights[i, k] * (dev[codes[i, k]] + mean)
    e = np.empty(N)
    logp = floats[2] + counts_and_binary(family, eta, y, n, e)
    for k in range(P):  # slopes: N(mu, sd), constants in floats[2]
        mu, s = floats[_FLOATS_HEADER + k], floats[_FLOATS_HEADER + P + k]
        z = (x[slopes_x + k] - mu) / s
        logp -= 0.5 * z * z
        acc = 0.0
        for i in range(N):
            acc += X[i, k] * e[i]
        grad[slopes_x + k] = acc - z / s
    # the intercept's prior: N(m, s^2 + sum over sheared factors of sd^2 / J)
    variance = floats[1]
    for f in range(F):
        at = HEADER + FACTOR * f
        if ints[at + 5]:
            variance += sds[f] ** 2 / ints[at]
    d_variance = 0.0
    if ic_x >= 0:
        r = x[ic_x] - floats[0]
        logp -= 0.5 * (r * r / variance + math.log(variance))
        d_variance = 0.5 * (r * r / variance**2 - 1.0 / variance)
        acc = 0.0
        for i in range(N):
            acc += e[i]
        grad[ic_x] = acc - r / variance
    for f in range(F):
        at = HEADER + FACTOR * f
        _factor_gradient(x, grad, ints, floats, at, f, P, sds[f], e, d_variance)
        logp += _factor_log_prior(x, ints, floats, at, f, P, sds[f])
    return logp


@numba.njit(error_model="numpy")
def _factor_log_prior(x, ints, floats, at, f, P, sd):
    """The factor's SD prior (with the log-Jacobian), ``zbar`` and ``w`` (without the
    constants -log(2 pi) / 2, which are in ``floats[2]``)."""
    J, sd_x, zbar_x, w_x, centred = ints[at], ints[at + 1], ints[at + 2], ints[at + 3], ints[at + 4]
    pa = _FLOATS_HEADER + 2 * P + 4 * f
    lp, _ = positive_prior(floats[pa], floats[pa + 1], floats[pa + 2], floats[pa + 3], sd)
    logp = lp + x[sd_x] - 0.5 * x[zbar_x] ** 2
    for k in range(J - 1):
        w = x[w_x + k]
        logp -= 0.5 * (w / sd) ** 2 if centred else 0.5 * w * w
    if centred:
        logp -= (J - 1) * math.log(sd)
    return logp


@numba.njit(error_model="numpy")
def _factor_gradient(x, grad, ints, floats, at, f, P, sd, e, d_variance):
    """Write the gradient of one factor's SD, ``zbar`` and ``w``."""
    J, sd_x, zbar_x, w_x = ints[at], ints[at + 1], ints[at + 2], ints[at + 3]
    centred, sheared, K = ints[at + 4], ints[at + 5], ints[at + 6]
    N = e.size
    codes = ints[ints[at + 7] : ints[at + 7] + N * K].reshape((N, K))
    weights = floats[ints[at + 8] : ints[at + 8] + N * K].reshape((N, K))
    D = np.zeros(J)
    d_mean = 0.0
    for i in range(N):
        for k in range(K):
            D[codes[i, k]] += weights[i, k] * e[i]
            d_mean += weights[i, k] * e[i]
    head = 0.0
    for k in range(J - 1):
        head += D[k]
    common = -head / (J - math.sqrt(J)) + D[J - 1] / math.sqrt(J)
    d_sd = 0.0
    root_j = math.sqrt(J)
    for k in range(J - 1):
        dw = D[k] + common
        w = x[w_x + k]
        if centred:
            grad[w_x + k] = dw - w / (sd * sd)
            d_sd += w * w / sd**3
        else:
            grad[w_x + k] = dw * sd - w
            d_sd += dw * w
    if centred:
        d_sd -= (J - 1) / sd
    zbar = x[zbar_x]
    grad[zbar_x] = -zbar
    if sheared:
        d_sd += d_variance * 2.0 * sd / J
    else:
        grad[zbar_x] += d_mean * sd / root_j
        d_sd += d_mean * zbar / root_j
    pa = _FLOATS_HEADER + 2 * P + 4 * f
    _, dp = positive_prior(floats[pa], floats[pa + 1], floats[pa + 2], floats[pa + 3], sd)
    grad[sd_x] = (d_sd + dp) * sd + 1.0
