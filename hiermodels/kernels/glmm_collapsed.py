"""The GLMM kernel's gaussian likelihood with one factor's effects integrated out.

A gaussian model with several grouping factors is sampled, by default, with one factor
collapsed (:mod:`hiermodels.collapsed`) and the others' effects sampled: the rows'
residuals ``r = y - eta`` (``eta`` without the collapsed factor) enter the likelihood
with that factor's effects integrated out, level by level,

    log p = -(n log(2 pi sigma^2) + sum_j 2 log det M_j + r'r / sigma^2
              - sum_j |w_j|^2 / sigma^4) / 2,

with ``A_j = I + L' Z_j'Z_j L / sigma^2 = M_j M_j'`` and ``w_j = M_j^-1 L' Z_j' r_j``,
as :func:`hiermodels.backend.collapsed.collapsed_normal_logp` writes it. Here it is a
function of the complex ``L`` and ``sigma`` (the complex step of
:mod:`hiermodels.kernels.glmm_hyper` differentiates it with respect to them) and of the
real per-level sums ``Z_j' r_j`` and ``r'r``; its gradient with respect to those sums
(``G``) carries the rows' gradient.

Examples
--------
>>> import numpy as np
>>> L = np.eye(1, dtype=np.complex128)
>>> G = np.empty((1, 1), np.complex128)
>>> value = collapsed_part(L, 1.0 + 0j, np.array([[2.0]]), 4.0, np.ones((1, 1, 1)), 1, G)
>>> round(value.real, 4)  # one row y = 2: N(2; 0, 1 + 1)
-2.2655
"""

from __future__ import annotations

import cmath
import math

import numba
import numpy as np

from hiermodels.kernels.glmm_hyper import cdiv

__all__ = ["collapsed_part"]

_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(error_model="numpy")
def collapsed_part(L, sigma, C, rr, ZtZ, n, G):
    """The log-likelihood above at the complex ``L`` (q x q) and ``sigma``, from the
    per-level sums ``C`` (J x q) and ``rr``; fills ``G`` (J x q) with its derivative
    with respect to ``C`` (``L M^-T w / sigma^4``; that of ``rr`` is ``-1 / (2
    sigma^2)``)."""
    J, q = C.shape
    s2 = sigma * sigma
    T = np.empty((q, q), np.complex128)
    A = np.empty((q, q), np.complex128)
    M = np.empty((q, q), np.complex128)
    c = np.empty(q, np.complex128)
    w = np.empty(q, np.complex128)
    v = np.empty(q, np.complex128)
    logdet = 0.0j
    explained = 0.0j
    for j in range(J):
        for a in range(q):  # T = ZtZ_j L
            for col in range(q):
                acc = 0.0j
                for b in range(q):
                    acc += ZtZ[j, a, b] * L[b, col]
                T[a, col] = acc
        for k in range(q):  # A = I + L' T / s2, c = L' C_j
            acc_c = 0.0j
            for a in range(q):
                acc_c += L[a, k] * C[j, a]
            c[k] = acc_c
            for col in range(k + 1):
                acc = 0.0j
                for a in range(q):
                    acc += L[a, k] * T[a, col]
                A[k, col] = cdiv(acc, s2) + (1.0 if k == col else 0.0)
        for i in range(q):  # M = chol(A), w = M^-1 c
            for m in range(i + 1):
                acc = A[i, m]
                for k in range(m):
                    acc -= M[i, k] * M[m, k]
                M[i, m] = cmath.sqrt(acc) if m == i else cdiv(acc, M[m, m])
            acc = c[i]
            for k in range(i):
                acc -= M[i, k] * w[k]
            w[i] = cdiv(acc, M[i, i])
            logdet += 2.0 * cmath.log(M[i, i])
            explained += w[i] * w[i]
        for i in range(q - 1, -1, -1):  # v = M^-T w
            acc = w[i]
            for k in range(i + 1, q):
                acc -= M[k, i] * v[k]
            v[i] = cdiv(acc, M[i, i])
        for a in range(q):
            acc = 0.0j
            for k in range(q):
                acc += L[a, k] * v[k]
            G[j, a] = cdiv(acc, s2 * s2)
    quadratic = cdiv(rr + 0j, s2) - cdiv(explained, s2 * s2)
    return -0.5 * (n * (_LOG_2PI + cmath.log(s2)) + logdet + quadratic)
