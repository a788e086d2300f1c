"""The one-dimensional updates of the scales, compiled: the scale priors, the marginal
likelihoods of a scale with the effects integrated out, and slice sampling on the log
scale (Neal 2003, *Annals of Statistics* 31:705).

Every function works on one chain's numbers, so the sweep (:mod:`hiermodels.gibbs.sweep`)
calls them chain by chain inside one compiled loop. numba caches the compiled code on
disk (``cache=True``); nothing here uses fast-math, so results follow IEEE arithmetic.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "BLOCK",
    "LEVEL",
    "PRIOR_NUMBERS",
    "SIGMA",
    "block_marginal",
    "cholesky",
    "level_marginal",
    "log_prior",
    "log_prior_values",
    "slice_log_scale",
]

# Codes of the scale priors (see hiermodels.gibbs.priors.SCALE_PRIORS).
HALF_NORMAL, EXPONENTIAL, HALF_STUDENT_T, HALF_CAUCHY = 0, 1, 2, 3
GAMMA, INVERSE_GAMMA, LOG_NORMAL, UNIFORM, HALF_FLAT = 4, 5, 6, 7, 8
#: How many numbers describe a scale prior.
PRIOR_NUMBERS = 3

# What a scale's likelihood is: a large factor's SD with its effects integrated out, a
# small factor's SD with the whole block integrated out, or the residual SD.
LEVEL, BLOCK, SIGMA = 0, 1, 2

_jit = numba.njit(cache=True, nogil=True)


@_jit
def log_prior(code, numbers, s):
    """Log-density up to a constant of a scale prior at ``s > 0``."""
    a, b = numbers[0], numbers[1]
    if code == HALF_NORMAL:  # a: variance
        return -0.5 * s * s / a
    if code == EXPONENTIAL:  # a: rate
        return -s * a
    if code == HALF_STUDENT_T:  # a: nu, b: squared scale
        return -0.5 * (a + 1.0) * math.log1p(s * s / (a * b))
    if code == HALF_CAUCHY:  # a: beta
        return -math.log1p((s / a) ** 2)
    if code == GAMMA:  # a: alpha, b: rate
        return (a - 1.0) * math.log(s) - b * s
    if code == INVERSE_GAMMA:  # a: alpha, b: beta
        return -(a + 1.0) * math.log(s) - b / s
    if code == LOG_NORMAL:  # a: mu, b: variance
        ls = math.log(s)
        return -ls - 0.5 * (ls - a) ** 2 / b
    if code == UNIFORM:  # a: lower, b: upper
        return 0.0 if a < s < b else -np.inf
    return 0.0  # HALF_FLAT


@_jit
def log_prior_values(code, numbers, s):
    """:func:`log_prior` at every value of the 1-d array ``s``."""
    out = np.empty(len(s))
    for i in range(len(s)):
        out[i] = log_prior(code, numbers, s[i])
    return out


@_jit
def level_marginal(x, s2, n, m, S, row, g0, g1):
    """log p(residuals | tau) with one factor's effects integrated out, at ``x = log tau``.

    Per level ``j`` the rows are N(0, sigma^2 I + tau^2 11'), whose log-density in tau is
    ``-1/2 log(1 + n_j tau^2 / sigma^2) + tau^2 R_j^2 / (2 sigma^2 (sigma^2 + n_j tau^2))``
    with ``R_j`` the level's sum of residuals without the factor. Levels with the same
    count share the terms: ``n[g0:g1]`` holds the factor's distinct counts, ``m[g0:g1]``
    how many levels have each and ``S[row]`` the sums of their ``R_j^2``, so one
    evaluation costs the number of distinct counts, not of levels.
    """
    t2 = math.exp(2.0 * x)
    out = 0.0
    for g in range(g0, g1):
        d = s2 + n[g] * t2
        out += -0.5 * m[g] * math.log(d / s2) + t2 * S[row, g - g0] / (2.0 * s2 * d)
    return out


@_jit
def cholesky(A, L):
    """Lower Cholesky factor of ``A`` into ``L``; False if ``A`` is not positive definite."""
    k = A.shape[0]
    for j in range(k):
        total = A[j, j]
        for i in range(j):
            total -= L[j, i] * L[j, i]
        if not total > 0.0:
            return False
        L[j, j] = math.sqrt(total)
        for r in range(j + 1, k):
            v = A[r, j]
            for i in range(j):
                v -= L[r, i] * L[j, i]
            L[r, j] = v / L[j, j]
        for r in range(j):
            L[r, j] = 0.0
    return True


@_jit
def block_marginal(x, s2, BtB, b, precision, start, stop, Q, L):
    """log p(residuals | tau) with the whole block integrated out, at ``x = log tau`` of
    the small factor whose effects sit in the block's columns ``start:stop``.

    With block coefficients ``N(m, Lambda^-1)`` and ``Q = Lambda + B'B / sigma^2``, the
    terms that depend on ``tau`` are ``1/2 log|Lambda| - 1/2 log|Q| + 1/2 b'Q^-1 b``, where
    ``b = Lambda m + B'r / sigma^2`` does not depend on ``tau`` (the effects have mean 0).
    ``Q`` and ``L`` are work space.
    """
    k = len(b)
    inner = math.exp(-2.0 * x)
    for i in range(k):
        for j in range(k):
            Q[i, j] = BtB[i, j] / s2
        Q[i, i] += inner if start <= i < stop else precision[i]
    if not cholesky(Q, L):
        return -np.inf
    logdet = 0.0
    quad = 0.0
    z = np.empty(k)
    for i in range(k):
        v = b[i]
        for j in range(i):
            v -= L[i, j] * z[j]
        z[i] = v / L[i, i]
        logdet += math.log(L[i, i])
        quad += z[i] * z[i]
    return -(stop - start) * x - logdet + 0.5 * quad


@_jit
def _log_target(
    kind, x, prior, s2, a, b, n, m, S, row, g0, g1, BtB, vec, precision, start, stop, Q, L
):
    """Log-density of ``x = log s``: prior (``code, numbers``), Jacobian and the likelihood
    of ``kind``, whose arguments follow (those a kind does not use are ignored)."""
    code, numbers = prior
    out = log_prior(code, numbers, math.exp(x)) + x
    if kind == LEVEL:
        return out + level_marginal(x, s2, n, m, S, row, g0, g1)
    if kind == BLOCK:
        return out + block_marginal(x, s2, BtB, vec, precision, start, stop, Q, L)
    return out - a * x - 0.5 * b * math.exp(-2.0 * x)  # SIGMA: a = N, b = sum of squares


@_jit
def slice_log_scale(rng, x0, width, kind, args):
    """One slice-sampling update (stepping out, then shrinkage) of ``x0 = log s``.

    ``args`` are the arguments of :func:`_log_target` after ``kind`` and ``x``.
    """
    level = _log_target(kind, x0, *args) - rng.standard_exponential()
    left = x0 - width * rng.uniform()
    right = left + width
    for _ in range(50):
        if not _log_target(kind, left, *args) > level:
            break
        left -= width
    for _ in range(50):
        if not _log_target(kind, right, *args) > level:
            break
        right += width
    for _ in range(200):
        proposal = left + rng.uniform() * (right - left)
        if _log_target(kind, proposal, *args) > level:
            return proposal
        if proposal < x0:
            left = proposal
        else:
            right = proposal
    return x0
