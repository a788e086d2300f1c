"""The collapsed gaussian log-density and its gradient, compiled once per installation.

One compiled function serves every gaussian model with one grouping factor whose
effects are integrated out (:mod:`hiermodels.collapsed`): varying intercepts or
slopes, correlated (LKJ) or not, any number of fixed columns and levels. The model's
structure and data come in two flat arrays, ``ints`` and ``floats``, laid out by
:mod:`hiermodels.collapsed_layout`; nothing about a model is compiled, so a new formula
or data set samples without numba compiling anything (:mod:`hiermodels.kernel_entry`).
The PyMC model (:mod:`hiermodels.backend.collapsed`) stays the specification: a test
checks the density and gradient against PyMC's at random points.

With ``Sigma = L L'``, ``A_j = I + L' S_j L / s2`` (``S_j = Z_j'Z_j``, ``s2 = sigma^2``),
``c_j = Z_j'y_j - Z_j'F_j theta`` and ``u_j = A_j^-1 L' c_j``, the log-likelihood is
``-1/2 [n log(2 pi s2) + sum_j log|A_j| + r'r / s2 - sum_j c_j'L u_j / s2^2]`` and::

    d/dL     = -sum_j S_j L A_j^-1 / s2 + sum_j c_j u_j' / s2^2 - sum_j S_j L u_j u_j' / s2^3
    d/ds2    = -1/2 [n / s2 - sum_j (q - tr A_j^-1) / s2 - r'r / s2^2
                     - sum_j u_j'(A_j - I)u_j / s2^3 + 2 sum_j c_j'L u_j / s2^3]
    d/dtheta = -1/2 [(2 F'F theta - 2 F'y) / s2 + 2 sum_j (Z_j'F_j)' L u_j / s2^2]

Priors follow PyMC's densities, with the log-Jacobians of its transforms (log for SDs and
sigma; the packed Cholesky factor of ``LKJCholeskyCov`` with its diagonal on the log
scale).

Layout of ``ints``: ``[n_dim, q, p, J, n_blocks, sigma_x, stats_at, expand_at]``, the
``p`` positions of the coefficients in ``x``, then per block ``[kind, size, x_start,
floats_at, terms...]`` (kind 0: one SD on the log scale; 1: an LKJ block). ``floats``:
``[y'y, n, y_mean, sigma prior (4), coefficients' constant]``, the coefficients' prior
means and SDs, per block ``[eta, normalising constant]`` (LKJ) and per term a positive
prior ``[kind, constant, a, b]``, and from ``stats_at`` the statistics ``S`` (J, q, q),
``Z'F`` (J, q, p), ``Z'y`` (J, q), ``F'F`` (p, p), ``F'y`` (p) and the centre of the
slopes. Positive priors: 0 HalfNormal(a), 1 Exponential(a), 2 HalfCauchy(a),
3 HalfStudentT(nu=a, sigma=b); the constant holds every term without the value.

Examples
--------
>>> import numpy as np
>>> from hiermodels.kernels.collapsed_density import positive_prior
>>> positive_prior(1, 0.0, 2.0, 0.0, 3.0)  # Exponential(2) at 3, without log(2)
(-6.0, -2.0)
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hiermodels.kernels.collapsed_levels import levels, levels_one_term, levels_two_terms

__all__ = [
    "HEADER",
    "collapsed_log_density",
    "collapsed_log_density_small",
    "positive_prior",
]

#: Entries of the ``ints`` header.
HEADER = 8
#: Expand operations of the layout's program (:mod:`hiermodels.kernel_draws`).
COPY, EXP, PACKED, SD, COR, INTERCEPT = 0, 1, 2, 3, 4, 5
_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(error_model="numpy")
def positive_prior(kind, const, a, b, s):
    """Log-density of a positive prior at ``s`` (``const`` added) and its derivative."""
    if kind == 0:  # HalfNormal(sigma=a)
        return const - 0.5 * s * s / (a * a), -s / (a * a)
    if kind == 1:  # Exponential(lam=a)
        return const - a * s, -a
    if kind == 2:  # HalfCauchy(beta=a)
        t = s / a
        return const - math.log1p(t * t), -2.0 * s / (a * a + s * s)
    scale = a * b * b  # HalfStudentT(nu=a, sigma=b)
    return const - 0.5 * (a + 1.0) * math.log1p(s * s / scale), -(a + 1.0) * s / (scale + s * s)


@numba.njit(error_model="numpy")
def _fill_root(x, ints, L):
    """``L`` (q x q) from the blocks: exp of the SDs, the LKJ blocks' packed entries."""
    L[:, :] = 0.0
    p, n_blocks = ints[2], ints[4]
    at = HEADER + p
    for _ in range(n_blocks):
        kind, size, x0 = ints[at], ints[at + 1], ints[at + 2]
        terms = ints[at + 4 : at + 4 + size]
        if kind == 0:
            L[terms[0], terms[0]] = math.exp(x[x0])
        else:
            k = x0
            for i in range(size):
                for m in range(i + 1):
                    L[terms[i], terms[m]] = math.exp(x[k]) if m == i else x[k]
                    k += 1
        at += 4 + size


@numba.njit(error_model="numpy")
def _scale_priors(x, grad, ints, floats, L, G):
    """Add the SD and LKJ priors (with Jacobians) to the log-density; with ``G`` the
    likelihood's gradient with respect to ``L``, write the blocks' gradients."""
    p, n_blocks = ints[2], ints[4]
    at = HEADER + p
    logp = 0.0
    for _ in range(n_blocks):
        kind, size, x0, fo = ints[at], ints[at + 1], ints[at + 2], ints[at + 3]
        terms = ints[at + 4 : at + 4 + size]
        at += 4 + size
        if kind == 0:
            t = terms[0]
            s = L[t, t]
            lp, d = positive_prior(floats[fo], floats[fo + 1], floats[fo + 2], floats[fo + 3], s)
            logp += lp + x[x0]
            grad[x0] = (G[t, t] + d) * s + 1.0
            continue
        eta, norm = floats[fo], floats[fo + 1]
        logp += norm
        k = x0
        for i in range(size):
            ti = terms[i]
            ss = 0.0
            for m in range(i + 1):
                ss += L[ti, terms[m]] ** 2
            sd = math.sqrt(ss)
            diag = L[ti, ti]
            shape = 2.0 * eta - 3.0 + size - i + 1.0  # LKJ and the Jacobian of corr
            q_at = fo + 2 + 4 * i
            lp, d = positive_prior(
                floats[q_at], floats[q_at + 1], floats[q_at + 2], floats[q_at + 3], sd
            )
            logp += shape * math.log(diag / sd) - i * math.log(sd) + lp
            radial = (d - i / sd) / sd - shape / ss  # per unit of L[i, m]
            for m in range(i + 1):
                value = L[ti, terms[m]]
                g = G[ti, terms[m]] + radial * value
                if m == i:
                    g += shape / diag
                    logp += x[k]
                    grad[k] = g * value + 1.0
                else:
                    grad[k] = g
                k += 1
    return logp


@numba.njit(error_model="numpy")
def _prepare(x, grad, ints, floats):
    """Everything before the per-level sums: ``(L, theta, s2, S, Z'F, Z'y, P, Q, R,
    g_theta, r'r)``, with ``theta`` the coefficients (the intercept less the response's
    mean) and ``g_theta`` holding the gradient of the ``r'r`` part."""
    q, p, J = ints[1], ints[2], ints[3]
    grad[:] = 0.0
    L = np.empty((q, q))
    _fill_root(x, ints, L)
    theta = np.empty(p)
    for k in range(p):
        theta[k] = x[ints[HEADER + k]]
    if p > 0:
        theta[0] -= floats[2]  # the intercept absorbs the response's mean
    s2 = math.exp(2.0 * x[ints[5]])
    at = ints[6]
    S = floats[at : at + J * q * q].reshape((J, q, q))
    at += J * q * q
    ZtF = floats[at : at + J * q * p].reshape((J, q, p))
    at += J * q * p
    Zty = floats[at : at + J * q].reshape((J, q))
    at += J * q
    FtF = floats[at : at + p * p].reshape((p, p))
    Fty = floats[at + p * p : at + p * p + p]
    rr = floats[0]
    g_theta = np.empty(p)
    for k in range(p):
        acc = 0.0
        for m in range(p):
            acc += FtF[k, m] * theta[m]
        rr += theta[k] * acc - 2.0 * Fty[k] * theta[k]
        g_theta[k] = -0.5 * (2.0 * acc - 2.0 * Fty[k]) / s2
    P = np.zeros((q, q))  # sum_j S_j L A_j^-1
    Q = np.zeros((q, q))  # sum_j c_j u_j'
    R = np.zeros((q, q))  # sum_j S_j L u_j u_j'
    return L, theta, s2, S, ZtF, Zty, P, Q, R, g_theta, rr


@numba.njit(error_model="numpy")
def _finish(x, grad, ints, floats, parts, sums):
    """The log-density and gradient from the prepared parts and the per-level sums."""
    L, _, s2, _, _, _, P, Q, R, g_theta, rr = parts
    logdet, explained, trace_part, quadratic = sums
    q, p, sigma_x, n = ints[1], ints[2], ints[5], floats[1]
    G = np.empty((q, q))  # d loglik / d L
    for a in range(q):
        for b in range(q):
            G[a, b] = -P[a, b] / s2 + Q[a, b] / s2**2 - R[a, b] / s2**3
    logp = -0.5 * (n * _LOG_2PI + n * math.log(s2) + logdet + rr / s2 - explained / s2**2)
    d_s2 = -0.5 * (
        n / s2 - trace_part / s2 - rr / s2**2 - quadratic / s2**3 + 2.0 * explained / s2**3
    )
    logp += _scale_priors(x, grad, ints, floats, L, G)
    sigma = math.exp(x[sigma_x])
    lp, d = positive_prior(floats[3], floats[4], floats[5], floats[6], sigma)
    logp += lp + x[sigma_x]
    grad[sigma_x] = (2.0 * sigma * d_s2 + d) * sigma + 1.0
    logp += floats[7]
    for k in range(p):
        i = ints[HEADER + k]
        mean, sd = floats[8 + k], floats[8 + p + k]
        z = (x[i] - mean) / sd
        logp -= 0.5 * z * z
        grad[i] = g_theta[k] - z / sd
    return logp


@numba.njit(error_model="numpy")
def collapsed_log_density(x, grad, ints, floats):
    """The log-density at the unconstrained point ``x``; fills ``grad``."""
    parts = _prepare(x, grad, ints, floats)
    L, theta, s2, S, ZtF, Zty, P, Q, R, g_theta, _ = parts
    if L.shape[0] == 1:
        sums = levels_one_term(theta, s2, L[0, 0], S, ZtF, Zty, P, Q, R, g_theta)
    elif L.shape[0] == 2:
        sums = levels_two_terms(theta, s2, L, S, ZtF, Zty, P, Q, R, g_theta)
    else:
        sums = levels(theta, s2, L, S, ZtF, Zty, P, Q, R, g_theta)
    return _finish(x, grad, ints, floats, parts, sums)


@numba.njit(error_model="numpy")
def collapsed_log_density_small(x, grad, ints, floats):
    """:func:`collapsed_log_density` for one or two varying terms only (most models):
    its entry point does not compile the loops for more terms (2 s less, cold)."""
    parts = _prepare(x, grad, ints, floats)
    L, theta, s2, S, ZtF, Zty, P, Q, R, g_theta, _ = parts
    if L.shape[0] == 1:
        sums = levels_one_term(theta, s2, L[0, 0], S, ZtF, Zty, P, Q, R, g_theta)
    else:
        sums = levels_two_terms(theta, s2, L, S, ZtF, Zty, P, Q, R, g_theta)
    return _finish(x, grad, ints, floats, parts, sums)
