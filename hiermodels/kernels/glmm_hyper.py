"""The GLMM kernel's few-dimensional part: scales, level means, shear and priors.

Per grouping factor, the root ``L_f`` of its effects' covariance (the SDs, or the
blocks' Cholesky factors from ``LKJCholeskyCov``) and the level mean ``R_f`` of its
effects (``L_f zbar_f / sqrt(J_f)``, or drawn given the sheared coefficients as
:mod:`hiermodels.backend.shear` says), with the log prior of everything that is not a
row or a level: the SDs and correlations (with the Jacobians of their transforms), the
``zbar``, the sheared coefficients ``c ~ N(m, S + W W')`` and the family parameters
(positive ones on the log scale, probabilities such as ``zi`` on the logodds scale).

These few parameters (a handful per factor) enter through Cholesky factors and
triangular solves. Their gradient is taken by the complex step: each function here is
analytic in its complex input, so ``Im f(x + i h e_k) / h`` with ``h = 1e-30`` is the
derivative with respect to ``x_k`` to rounding (there is no difference to cancel).
:mod:`hiermodels.kernels.glmm_density` evaluates this part once per such parameter and
chains the result with the rows' reverse-mode gradient. Nothing here is compiled per
model; the layout is :mod:`hiermodels.glmm_layout`.

``ints`` per factor (from ``HEADER + FACTOR f``): ``[J, q, centred, members, codes_at,
weights_at, Z_at, n_blocks, blocks_at, zbar_x, w_at, mask_at, shear_offset]``; a block
is ``[kind, size, x0, floats_at, terms...]`` as in
:mod:`hiermodels.kernels.collapsed_density`. The shear record (``ints[9]``, -1: none) is
``[p, width, floats_at, c_x...]`` with ``A`` (p x width), ``m`` and the prior variances
``S`` at ``floats_at``.

Examples
--------
>>> import numpy as np
>>> value = positive_prior_complex(1, 0.0, 2.0, 0.0, 3.0 + 1e-30j)  # Exponential(2)
>>> float(value.real), float(value.imag / 1e-30)
(-6.0, -2.0)
"""

from __future__ import annotations

import cmath
import math

import numba
import numpy as np

__all__ = [
    "COLLAPSED",
    "FACTOR",
    "HEADER",
    "PROBABILITY",
    "STEP",
    "cdiv",
    "hyper",
    "hyper_draws",
    "positive_prior_complex",
]

HEADER = 18
FACTOR = 13
#: The complex step.
STEP = 1e-30
#: The prior kind of a family parameter in (0, 1): Beta(a, b) on the logodds scale.
PROBABILITY = 6
#: A factor's ``centred`` field when its effects are integrated out
#: (:mod:`hiermodels.kernels.glmm_collapsed`).
COLLAPSED = 2


@numba.njit(error_model="numpy")
def cdiv(a, b):
    """``a / b`` for complex numbers in real arithmetic: numba's complex division
    raises on a zero divisor (even with ``error_model="numpy"``, and a ``cfunc`` then
    prints the exception at every call); this one gives inf or nan, which nutpie
    rejects as a bad point."""
    d = b.real * b.real + b.imag * b.imag
    return complex((a.real * b.real + a.imag * b.imag) / d, (a.imag * b.real - a.real * b.imag) / d)


@numba.njit(error_model="numpy")
def positive_prior_complex(kind, const, a, b, s):
    """Log-density (``const`` added) of a positive prior at the complex ``s``: 0
    HalfNormal(a), 1 Exponential(a), 2 HalfCauchy(a), 3 HalfStudentT(nu=a, sigma=b),
    4 Gamma(alpha=a, beta=b), 5 LogNormal(mu=a, sigma=b)."""
    if kind == 0:
        return const - 0.5 * s * s / (a * a)
    if kind == 1:
        return const - a * s
    if kind == 2:
        t = s / a
        return const - cmath.log(1.0 + t * t)
    if kind == 3:
        return const - 0.5 * (a + 1.0) * cmath.log(1.0 + s * s / (a * b * b))
    log_s = cmath.log(s)
    if kind == 4:
        return const + (a - 1.0) * log_s - b * s
    r = (log_s - a) / b
    return const - log_s - 0.5 * r * r


@numba.njit(error_model="numpy")
def _scales(x, ints, floats, at, L):
    """Fill ``L`` (one factor's root) from its blocks; their log prior with the
    Jacobians of the log and packed-Cholesky transforms."""
    logp = 0.0j
    n_blocks, b_at = ints[at + 7], ints[at + 8]
    for _ in range(n_blocks):
        kind, size, x0, fo = ints[b_at], ints[b_at + 1], ints[b_at + 2], ints[b_at + 3]
        terms = ints[b_at + 4 : b_at + 4 + size]
        b_at += 4 + size
        if kind == 0:
            s = cmath.exp(x[x0])
            L[terms[0], terms[0]] = s
            logp += positive_prior_complex(
                int(floats[fo]), floats[fo + 1], floats[fo + 2], floats[fo + 3], s
            )
            logp += x[x0]
            continue
        eta = floats[fo]
        logp += floats[fo + 1]
        k = x0
        for i in range(size):
            ss = 0.0j
            for m in range(i + 1):
                value = cmath.exp(x[k]) if m == i else x[k]
                if m == i:
                    logp += x[k]
                L[terms[i], terms[m]] = value
                ss += value * value
                k += 1
            sd = cmath.sqrt(ss)
            shape = 2.0 * eta - 3.0 + size - i + 1.0  # LKJ and the Jacobian of corr
            q_at = fo + 2 + 4 * i
            logp += shape * cmath.log(cdiv(L[terms[i], terms[i]], sd)) - i * cmath.log(sd)
            logp += positive_prior_complex(
                int(floats[q_at]), floats[q_at + 1], floats[q_at + 2], floats[q_at + 3], sd
            )
    return logp


@numba.njit(error_model="numpy")
def _cholesky(M, C):
    """``C`` lower with ``C C^T = M`` (no conjugation: analytic in ``M``)."""
    n = M.shape[0]
    C[:, :] = 0.0
    for j in range(n):
        acc = M[j, j]
        for k in range(j):
            acc -= C[j, k] * C[j, k]
        C[j, j] = cmath.sqrt(acc)
        for i in range(j + 1, n):
            acc = M[i, j]
            for k in range(j):
                acc -= C[i, k] * C[j, k]
            C[i, j] = cdiv(acc, C[j, j])


@numba.njit(error_model="numpy")
def _solve_lower(C, B):
    """``C^-1 B`` in place (``B`` has ``C``'s rows)."""
    n = C.shape[0]
    for col in range(B.shape[1]):
        for i in range(n):
            acc = B[i, col]
            for k in range(i):
                acc -= C[i, k] * B[k, col]
            B[i, col] = cdiv(acc, C[i, i])


@numba.njit(error_model="numpy")
def _shear(x, ints, floats, L, R, C):
    """The sheared factors' level means given the coefficients ``c`` (into ``R``), and
    the log prior of ``c`` (without its ``-log(2 pi) / 2`` per coefficient). A negative
    index ``-1 - k`` of ``c`` is an ordinal model's threshold ``C[k]``."""
    sa = ints[9]
    p, width, fa = ints[sa], ints[sa + 1], ints[sa + 2]
    Ls = np.zeros((width, width), np.complex128)
    zs = np.zeros(width, np.complex128)
    for f in range(ints[1]):
        at = HEADER + FACTOR * f
        off = ints[at + 12]
        if off < 0:
            continue
        J, q, zx = ints[at], ints[at + 1], ints[at + 9]
        root = math.sqrt(J)
        for t in range(q):
            zs[off + t] = x[zx + t]
            for s in range(q):
                Ls[off + t, off + s] = L[f, t, s] / root
    A = floats[fa : fa + p * width].reshape((p, width))
    m = floats[fa + p * width : fa + p * width + p]
    S = floats[fa + p * width + p : fa + p * width + 2 * p]
    W = np.zeros((p, width), np.complex128)
    for i in range(p):
        for k in range(width):
            if A[i, k] != 0.0:
                for s in range(width):
                    W[i, s] += A[i, k] * Ls[k, s]
    M = np.zeros((p, p), np.complex128)
    for i in range(p):
        M[i, i] = S[i]
        for j in range(p):
            for s in range(width):
                M[i, j] += W[i, s] * W[j, s]
    CM = np.empty((p, p), np.complex128)
    _cholesky(M, CM)
    u = np.empty((p, 1), np.complex128)
    for i in range(p):
        c_x = ints[sa + 3 + i]
        u[i, 0] = (C[-1 - c_x] if c_x < 0 else x[c_x]) - m[i]
    _solve_lower(CM, u)
    _solve_lower(CM, W)  # now G = CM^-1 W
    B = np.zeros((width, width), np.complex128)
    for a in range(width):
        B[a, a] = 1.0
        for b in range(width):
            for i in range(p):
                B[a, b] -= W[i, a] * W[i, b]
    CB = np.empty((width, width), np.complex128)
    _cholesky(B, CB)
    v = np.zeros(width, np.complex128)
    for a in range(width):
        for i in range(p):
            v[a] += W[i, a] * u[i, 0]
        for b in range(a + 1):
            v[a] += CB[a, b] * zs[b]
    for f in range(ints[1]):
        at = HEADER + FACTOR * f
        off = ints[at + 12]
        if off < 0:
            continue
        q = ints[at + 1]
        for t in range(q):
            acc = 0.0j
            for s in range(q):
                acc += Ls[off + t, off + s] * v[off + s]
            R[f, t] = acc
    logp = 0.0j
    for i in range(p):
        logp -= 0.5 * u[i, 0] * u[i, 0] + cmath.log(CM[i, i])
    return logp


@numba.njit(error_model="numpy")
def _thresholds(x, ints, floats, C):
    """An ordinal model's thresholds ``C`` from their ordered transform; their priors
    (0 Normal or 1 Student-t, constants included; 2 sheared: none here) and the
    transform's Jacobian."""
    at = ints[14]
    n, x0, fa = ints[at], ints[at + 1], ints[at + 2]
    logp = 0.0j
    c = x[x0]
    for k in range(n):
        if k > 0:
            logp += x[x0 + k]
            c = c + cmath.exp(x[x0 + k])
        C[k] = c
        kind, mu, sigma, nu, const = floats[fa + 5 * k : fa + 5 * k + 5]
        if kind == 2.0:  # sheared: the prior is the shear's
            continue
        z = (c - mu) / sigma
        if kind == 0.0:
            logp += const - 0.5 * z * z
        else:
            logp += const - 0.5 * (nu + 1.0) * cmath.log(1.0 + z * z / nu)
    return logp


@numba.njit(error_model="numpy")
def hyper(x, ints, floats, L, R, C):
    """Fill ``L`` (factors x q x q), ``R`` (factors x q) and an ordinal model's
    thresholds ``C`` at the complex point ``x``; the log prior of the scales, ``zbar``,
    sheared coefficients, thresholds and family parameters (without the constants
    ``-log(2 pi) / 2`` of the normal ones)."""
    F = ints[1]
    L[:, :, :] = 0.0
    R[:, :] = 0.0
    logp = 0.0j
    if ints[14] >= 0:
        logp += _thresholds(x, ints, floats, C)
    for f in range(F):
        at = HEADER + FACTOR * f
        J, q, zx = ints[at], ints[at + 1], ints[at + 9]
        logp += _scales(x, ints, floats, at, L[f])
        if ints[at + 2] == COLLAPSED:  # integrated out: no level mean, no zbar
            continue
        for t in range(q):
            logp -= 0.5 * x[zx + t] * x[zx + t]
        if ints[at + 12] < 0:
            root = math.sqrt(J)
            for t in range(q):
                acc = 0.0j
                for s in range(q):
                    acc += L[f, t, s] * x[zx + s]
                R[f, t] = acc / root
    if ints[9] >= 0:
        logp += _shear(x, ints, floats, L, R, C)
    n_aux, aux_at, fa = ints[7], ints[8], int(floats[8])
    for k in range(n_aux):
        xk = x[ints[aux_at + k]]
        row = fa + 4 * k
        kind, const, a, b = int(floats[row]), floats[row + 1], floats[row + 2], floats[row + 3]
        if kind == PROBABILITY:  # Beta(a, b) on expit(x), with its Jacobian
            log_p = -cmath.log(1.0 + cmath.exp(-xk))
            log_q = log_p - xk  # log(1 - p)
            logp += const + a * log_p + b * log_q
            continue
        logp += xk + positive_prior_complex(kind, const, a, b, cmath.exp(xk))
    return logp


@numba.njit(error_model="numpy", cache=True)
def hyper_draws(xs, ints, floats):
    """``L`` (draws x factors x q x q) and ``R`` (draws x factors x q) of each draw
    (rows of ``xs``). Cached by numba: it calls this module's functions only."""
    F, q_max = ints[1], ints[10]
    n = xs.shape[0]
    L_all = np.empty((n, F, q_max, q_max))
    R_all = np.empty((n, F, q_max))
    L = np.empty((F, q_max, q_max), np.complex128)
    R = np.empty((F, q_max), np.complex128)
    C = np.empty(max(ints[ints[14]] if ints[14] >= 0 else 0, 1), np.complex128)
    for d in range(n):
        hyper(xs[d].astype(np.complex128), ints, floats, L, R, C)
        L_all[d] = L.real
        R_all[d] = R.real
    return L_all, R_all
