"""The Gibbs sampler's compiled code (numba, cached on disk; IEEE arithmetic): scale
priors, the marginal likelihoods of a scale with effects integrated out, slice sampling
on the log scale (Neal 2003, *Annals of Statistics* 31:705), and the sweep as one loop
over the statistics of :mod:`hiermodels.gibbs.statistics`, never over the rows (see
:func:`run_sweeps`). It sits in one file on purpose: numba invalidates a function's disk
cache when its own file changes, so a kernel calling into another file could be loaded
stale after that file changed.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["PRIOR_NUMBERS", "log_prior", "run_sweeps", "slice_log_scale"]

_jit = numba.njit(cache=True, nogil=True)

# Codes of the scale priors (see hiermodels.gibbs.priors.SCALE_PRIORS).
HALF_NORMAL, EXPONENTIAL, HALF_STUDENT_T, HALF_CAUCHY = 0, 1, 2, 3
GAMMA, INVERSE_GAMMA, LOG_NORMAL, UNIFORM, HALF_FLAT = 4, 5, 6, 7, 8
#: How many numbers describe a scale prior.
PRIOR_NUMBERS = 3

# What a scale's likelihood is: a large factor's SD with its effects integrated out, a
# small factor's SD with the whole block integrated out, or the residual SD.
LEVEL, BLOCK, SIGMA = 0, 1, 2


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
def level_marginal(x, s2, n, m, S, row, g0, g1):
    """log p(residuals | tau), one factor's effects integrated out, at ``x = log tau``: per
    level ``-1/2 log(1 + n tau^2/sigma^2) + tau^2 R^2 / (2 sigma^2 (sigma^2 + n tau^2))``,
    ``R`` the level's residual sum without the factor, summed over the distinct counts
    ``n[g0:g1]`` (``m`` levels each, their ``R^2`` summing to ``S[row]``)."""
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
def forward_solve(L, b, out):
    """``out = L^-1 b`` for lower-triangular ``L``."""
    for i in range(len(b)):
        v = b[i]
        for j in range(i):
            v -= L[i, j] * out[j]
        out[i] = v / L[i, i]


@_jit
def block_marginal(x, s2, BtB, b, precision, start, stop, Q, L):
    """log p(residuals | tau), the block integrated out, at ``x = log tau`` of the small
    factor in columns ``start:stop``: ``1/2 log|Lambda| - 1/2 log|Q| + 1/2 b'Q^-1 b`` with
    ``Q = Lambda + B'B / sigma^2``, ``b = Lambda m + B'r / sigma^2`` (Q, L: work space)."""
    k = len(b)
    inner = math.exp(-2.0 * x)
    for i in range(k):
        for j in range(k):
            Q[i, j] = BtB[i, j] / s2
        Q[i, i] += inner if start <= i < stop else precision[i]
    if not cholesky(Q, L):
        return -np.inf
    z = np.empty(k)
    forward_solve(L, b, z)
    logdet = 0.0
    quad = 0.0
    for i in range(k):
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


@_jit
def _draw_block(rng, Q, b, L, out):
    """``out`` ~ N(Q^-1 b, Q^-1): with Q = L L', ``L'^-1 (L^-1 b + z)``."""
    k = len(b)
    if not cholesky(Q, L):
        return False
    w = np.empty(k)
    forward_solve(L, b, w)
    for i in range(k):
        w[i] += rng.standard_normal()
    for i in range(k - 1, -1, -1):
        v = w[i]
        for j in range(i + 1, k):
            v -= L[j, i] * out[j]
        out[i] = v / L[i, i]
    return True


@_jit
def _block_precision(fixed_precision, small_range, tau, n_large, c, out):
    """Prior precision of the block's coefficients in chain ``c``."""
    p = len(fixed_precision)
    out[:p] = fixed_precision
    for s in range(small_range.shape[0]):
        t = tau[n_large + s, c]
        out[small_range[s, 0] : small_range[s, 1]] = 1.0 / (t * t)


@_jit
def _level_sums(Y, X_ptr, X_col, X_val, u, lo, hi, W):
    """``W[j] = Y_j - sum_l (Z_j'Z_l u_l)`` for levels ``lo .. hi - 1``, every chain: the
    sums of ``y`` less the other factors' effects."""
    C = u.shape[1]
    for j in range(lo, hi):
        for c in range(C):
            W[j, c] = Y[j]
        for e in range(X_ptr[j], X_ptr[j + 1]):
            v, col = X_val[e], X_col[e]
            for c in range(C):
                W[j, c] -= v * u[col, c]


@_jit
def _tune(width, i, c, new, old, tuning):
    """During warm-up, move the slice width towards three times the last step's size."""
    if tuning:
        step = min(max(3.0 * abs(new - old), 1e-4), 10.0)
        width[i, c] = 0.8 * width[i, c] + 0.2 * step


@_jit
def _sum_of_squares(c, n_levels, yy, Bty, BtB, Y, counts, theta, u, LU, cross):
    """``r'r`` of chain ``c`` from the statistics (``cross``: sum_{k<l} u_k'Z_k'Z_l u_l)."""
    P = len(Bty)
    out = yy + 2.0 * cross
    for a in range(P):
        t = theta[c, a]
        inner = 0.0
        for b in range(P):
            inner += BtB[a, b] * theta[c, b]
        lu = 0.0
        for k in range(LU.shape[0]):
            lu += LU[k, a, c]
        out += t * (inner - 2.0 * Bty[a] + 2.0 * lu)
    for j in range(n_levels):
        out += u[j, c] * (counts[j] * u[j, c] - 2.0 * Y[j])
    return out


@_jit
def run_sweeps(
    rng, start, stop, tune,
    # statistics
    n_obs, yy, Bty, BtB, small_range, level_start, counts, Y, L_ptr, L_col, L_val,
    X_ptr, X_col, X_val, group_of, group_start, group_n, group_m,
    # priors
    prior_linear, fixed_precision, prior_code, prior_numbers,
    # state
    theta, u, LU, tau, sigma, width,
    # kept draws
    keep_theta, keep_u, keep_tau, keep_sigma,
):  # fmt: skip
    """Sweeps ``start .. stop - 1`` (the first ``tune`` of all sweeps are warm-up); False
    if a precision matrix was not positive definite.

    What a step needs of the residuals ``r = y - B theta - sum_l Z_l u_l`` comes from the
    statistics: the sums per level of large factor ``k`` without its effects,
    ``Y_k - L_k theta - sum_{l != k} Z_k'Z_l u_l`` (cross-tabulations ``X``),
    ``B'y - sum_{l != k} L_l'u_l``, and ``r'r`` expanded. ``LU[k, :, c]`` holds
    ``L_k'u_k`` of chain ``c``; scales are ordered large factors, small factors, ``sigma``;
    ``u`` is (levels, chains), so one pass over a row of ``X`` serves every chain.
    """
    C, P = theta.shape
    K = len(level_start) - 1
    J = len(counts)
    n_small = small_range.shape[0]
    block_step = n_small > 0 or K == 0
    # Arguments of one type in every call, so that each function compiles once.
    empty, no_sums, zero = np.zeros(0), np.zeros((0, 0)), np.int64(0)
    Q, Lw, W = np.empty((P, P)), np.empty((P, P)), np.zeros((J, C))
    precision, vec, new = np.empty(P), np.empty(P), np.empty(P)
    Qsum, Vsum = np.empty((P, P, C)), np.empty((P, C))
    cross, s2, t2, shrink = np.zeros(C), np.empty(C), np.empty(C), np.empty(C)
    for sweep in range(start, stop):
        tuning = sweep < tune
        for c in range(C):
            s2[c] = sigma[c] * sigma[c]
        for k in range(K):
            # tau_k, u_k integrated out; the block, u_k integrated out; u_k given both (a
            # partially collapsed Gibbs sampler). Loops over levels serve every chain.
            lo, hi = level_start[k], level_start[k + 1]
            g0, g1 = group_start[k], group_start[k + 1]
            _level_sums(Y, X_ptr, X_col, X_val, u, lo, hi, W)
            S = np.zeros((C, g1 - g0))
            for j in range(lo, hi):
                g = group_of[j] - g0
                for c in range(C):
                    R = W[j, c]
                    for e in range(L_ptr[j], L_ptr[j + 1]):
                        R -= theta[c, L_col[e]] * L_val[e]
                    S[c, g] += R * R
            for c in range(C):
                old = math.log(tau[k, c])
                args = ((prior_code[k], prior_numbers[k]), s2[c], 0.0, 0.0, group_n, group_m,
                        S, c, g0, g1, BtB, empty, empty, zero, zero, Q, Lw)  # fmt: skip
                x = slice_log_scale(rng, old, width[k, c], np.int64(LEVEL), args)
                _tune(width, k, c, x, old, tuning)
                tau[k, c] = math.exp(x)
                t2[c] = tau[k, c] * tau[k, c]
            # sum_j shrink_j L_j L_j' (upper triangle) and sum_j shrink_j R_j L_j
            Qsum[:] = 0.0
            Vsum[:] = 0.0
            for j in range(lo, hi):
                for c in range(C):
                    shrink[c] = t2[c] / (s2[c] + counts[j] * t2[c])
                for e in range(L_ptr[j], L_ptr[j + 1]):
                    a, va = L_col[e], L_val[e]
                    for c in range(C):
                        Vsum[a, c] += W[j, c] * shrink[c] * va
                    for f in range(e, L_ptr[j + 1]):
                        b, vab = L_col[f], va * L_val[f]
                        for c in range(C):
                            Qsum[a, b, c] += shrink[c] * vab
            for c in range(C):
                _block_precision(fixed_precision, small_range, tau, K, c, precision)
                for a in range(P):
                    total = Bty[a]
                    for m in range(K):
                        if m != k:
                            total -= LU[m, a, c]
                    vec[a] = prior_linear[a] + (total - Vsum[a, c]) / s2[c]
                    for b in range(a, P):
                        Q[a, b] = (BtB[a, b] - Qsum[a, b, c]) / s2[c]
                        Q[b, a] = Q[a, b]
                    Q[a, a] += precision[a]
                if P:
                    if not _draw_block(rng, Q, vec, Lw, new):
                        return False
                    theta[c] = new
            LU[k] = 0.0
            cross[:] = 0.0
            for j in range(lo, hi):
                for c in range(C):
                    R = W[j, c]
                    for e in range(L_ptr[j], L_ptr[j + 1]):
                        R -= theta[c, L_col[e]] * L_val[e]
                    level_precision = counts[j] / s2[c] + 1.0 / t2[c]
                    fresh = R / s2[c] / level_precision + rng.standard_normal() / math.sqrt(
                        level_precision
                    )
                    u[j, c] = fresh
                    cross[c] += fresh * (Y[j] - W[j, c])
                for e in range(L_ptr[j], L_ptr[j + 1]):
                    a, va = L_col[e], L_val[e]
                    for c in range(C):
                        LU[k, a, c] += u[j, c] * va
        if block_step:
            # Each small factor's tau with the whole block integrated out, then the block.
            for c in range(C):
                for a in range(P):
                    total = Bty[a]
                    for m in range(K):
                        total -= LU[m, a, c]
                    vec[a] = prior_linear[a] + total / s2[c]
                for s in range(n_small):
                    _block_precision(fixed_precision, small_range, tau, K, c, precision)
                    i = K + s
                    old = math.log(tau[i, c])
                    start_s, stop_s = small_range[s, 0], small_range[s, 1]
                    args = ((prior_code[i], prior_numbers[i]), s2[c], 0.0, 0.0, group_n,
                            group_m, no_sums, zero, zero, zero, BtB, vec, precision, start_s,
                            stop_s, Q, Lw)  # fmt: skip
                    x = slice_log_scale(rng, old, width[i, c], np.int64(BLOCK), args)
                    _tune(width, i, c, x, old, tuning)
                    tau[i, c] = math.exp(x)
                _block_precision(fixed_precision, small_range, tau, K, c, precision)
                for a in range(P):
                    for b in range(P):
                        Q[a, b] = BtB[a, b] / s2[c]
                    Q[a, a] += precision[a]
                if P:
                    if not _draw_block(rng, Q, vec, Lw, new):
                        return False
                    theta[c] = new
        # The cross term of the sum of squares: from the last large factor's step when
        # there are two large factors (its sums W used the other's current effects).
        if K < 2:
            cross[:] = 0.0
        elif K > 2:
            _level_sums(Y, X_ptr, X_col, X_val, u, zero, level_start[K], W)
            for c in range(C):
                total = 0.0
                for j in range(J):
                    total += u[j, c] * (Y[j] - W[j, c])
                cross[c] = 0.5 * total
        last = len(tau)
        for c in range(C):
            sse = _sum_of_squares(c, J, yy, Bty, BtB, Y, counts, theta, u, LU, cross[c])
            old = math.log(sigma[c])
            args = ((prior_code[last], prior_numbers[last]), 0.0, float(n_obs), sse,
                    group_n, group_m, no_sums, zero, zero, zero, BtB, empty, empty, zero, zero,
                    Q, Lw)  # fmt: skip
            x = slice_log_scale(rng, old, width[last, c], np.int64(SIGMA), args)
            _tune(width, last, c, x, old, tuning)
            sigma[c] = math.exp(x)
        if not tuning:
            d = sweep - tune
            keep_u[d] = u
            for c in range(C):
                keep_sigma[c, d] = sigma[c]
                keep_theta[c, d] = theta[c]
                for i in range(last):
                    keep_tau[i, c, d] = tau[i, c]
    return True
