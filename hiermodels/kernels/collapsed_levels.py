"""Per-level algebra of the collapsed gaussian log-density and its gradient.

For each level ``j`` of the integrated-out factor, with ``A_j = I + L' S_j L / s2`` and
``u_j = A_j^-1 L' c_j``, the sums that :mod:`hiermodels.kernels.collapsed_density`
needs: ``log|A_j|``, ``c_j'L u_j``, ``q - tr A_j^-1``, ``u_j'(A_j - I)u_j``, and the
matrices ``sum_j S_j L A_j^-1``, ``sum_j c_j u_j'``, ``sum_j S_j L u_j u_j'`` (added to
``P``, ``Q``, ``R``), with each level's part of the coefficients' gradient. One or two
varying terms (most models) run in scalars; more terms in small loops.

Examples
--------
>>> import numpy as np
>>> P, Q, R, g = np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(0)
>>> S, ZtF, Zty = np.array([[[3.0]]]), np.zeros((1, 1, 0)), np.array([[2.0]])
>>> logdet, explained, _, _ = levels_one_term(np.zeros(0), 1.0, 1.0, S, ZtF, Zty, P, Q, R, g)
>>> round(float(np.exp(logdet)), 12), explained  # A = 1 + 3, c'L u = 2 * 2 / 4
(4.0, 1.0)
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["levels", "levels_one_term", "levels_two_terms"]


@numba.njit(error_model="numpy")
def _cholesky_solves(A, rhs, M, w, u):
    """``A = M M'`` (lower ``M``), ``w = M^-1 rhs``, ``u = M'^-1 w``; returns log|A|."""
    q = A.shape[0]
    logdet = 0.0
    for i in range(q):
        for k in range(i + 1):
            acc = A[i, k]
            for m in range(k):
                acc -= M[i, m] * M[k, m]
            M[i, k] = math.sqrt(acc) if i == k else acc / M[k, k]
        logdet += 2.0 * math.log(M[i, i])
        acc = rhs[i]
        for m in range(i):
            acc -= M[i, m] * w[m]
        w[i] = acc / M[i, i]
    for i in range(q - 1, -1, -1):
        acc = w[i]
        for m in range(i + 1, q):
            acc -= M[m, i] * u[m]
        u[i] = acc / M[i, i]
    return logdet


@numba.njit(error_model="numpy")
def _inverse_from_root(M, out, Minv):
    """``out = (M M')^-1`` for lower triangular ``M`` (``Minv``: scratch, q x q)."""
    q = M.shape[0]
    for col in range(q):
        for i in range(col, q):
            acc = 1.0 if i == col else 0.0
            for m in range(col, i):
                acc -= M[i, m] * Minv[m, col]
            Minv[i, col] = acc / M[i, i]
        for i in range(col):
            Minv[i, col] = 0.0
    for a in range(q):
        for b in range(q):
            acc = 0.0
            for m in range(max(a, b), q):
                acc += Minv[m, a] * Minv[m, b]
            out[a, b] = acc


@numba.njit(error_model="numpy")
def levels(theta, s2, L, S, ZtF, Zty, P, Q, R, g_theta):
    """Per-level algebra of the collapsed likelihood: adds to ``P``, ``Q``, ``R`` and
    ``g_theta``; returns the sums of ``log|A_j|``, ``c_j'L u_j``, ``q - tr A_j^-1`` and
    ``u_j'(A_j - I)u_j``."""
    J, q, p = ZtF.shape
    SL = np.empty((q, q))
    A = np.empty((q, q))
    M = np.empty((q, q))
    Ainv = np.empty((q, q))
    Minv = np.empty((q, q))
    c = np.empty(q)
    Lc = np.empty(q)
    w = np.empty(q)
    u = np.empty(q)
    Lu = np.empty(q)
    logdet = explained = trace_part = quadratic = 0.0
    for j in range(J):
        for a in range(q):
            acc = Zty[j, a]
            for k in range(p):
                acc -= ZtF[j, a, k] * theta[k]
            c[a] = acc
            for col in range(q):
                acc = 0.0
                for b in range(q):
                    acc += S[j, a, b] * L[b, col]
                SL[a, col] = acc
        for k in range(q):
            acc = 0.0
            for a in range(q):
                acc += L[a, k] * c[a]
            Lc[k] = acc
            for col in range(q):
                acc = 0.0
                for a in range(q):
                    acc += L[a, k] * SL[a, col]
                A[k, col] = acc / s2 + (1.0 if k == col else 0.0)
        logdet += _cholesky_solves(A, Lc, M, w, u)
        _inverse_from_root(M, Ainv, Minv)
        for a in range(q):
            explained += w[a] * w[a]
            trace_part += 1.0 - Ainv[a, a]
            Au = 0.0
            for b in range(q):
                Au += A[a, b] * u[b]
            quadratic += u[a] * (Au - u[a])
        for a in range(q):
            SLu = 0.0
            for b in range(q):
                SLu += SL[a, b] * u[b]
                acc = 0.0
                for m in range(q):
                    acc += SL[a, m] * Ainv[m, b]
                P[a, b] += acc
            for b in range(q):
                Q[a, b] += c[a] * u[b]
                R[a, b] += SLu * u[b]
        for a in range(q):
            acc = 0.0
            for b in range(q):
                acc += L[a, b] * u[b]
            Lu[a] = acc
        for k in range(p):  # d explained / d theta = -2 (Z'F)' L u
            acc = 0.0
            for a in range(q):
                acc += ZtF[j, a, k] * Lu[a]
            g_theta[k] += -acc / (s2 * s2)
    return logdet, explained, trace_part, quadratic


@numba.njit(error_model="numpy")
def levels_one_term(theta, s2, ell, S, ZtF, Zty, P, Q, R, g_theta):
    """:func:`levels` for one varying term (``L = ell``), in scalars."""
    J, _, p = ZtF.shape
    logdet = explained = trace_part = quadratic = 0.0
    for j in range(J):
        c = Zty[j, 0]
        for k in range(p):
            c -= ZtF[j, 0, k] * theta[k]
        sl = S[j, 0, 0] * ell
        A = 1.0 + ell * sl / s2
        u = ell * c / A
        logdet += math.log(A)
        explained += ell * c * u
        trace_part += 1.0 - 1.0 / A
        quadratic += u * u * (A - 1.0)
        P[0, 0] += sl / A
        Q[0, 0] += c * u
        R[0, 0] += sl * u * u
        Lu = ell * u
        for k in range(p):
            g_theta[k] -= ZtF[j, 0, k] * Lu / (s2 * s2)
    return logdet, explained, trace_part, quadratic


@numba.njit(error_model="numpy")
def levels_two_terms(theta, s2, L, S, ZtF, Zty, P, Q, R, g_theta):
    """:func:`levels` for two varying terms, the 2 x 2 algebra in scalars."""
    J, _, p = ZtF.shape
    l00, l01, l10, l11 = L[0, 0], L[0, 1], L[1, 0], L[1, 1]
    logdet = explained = trace_part = quadratic = 0.0
    for j in range(J):
        c0, c1 = Zty[j, 0], Zty[j, 1]
        for k in range(p):
            c0 -= ZtF[j, 0, k] * theta[k]
            c1 -= ZtF[j, 1, k] * theta[k]
        s00, s01, s11 = S[j, 0, 0], S[j, 0, 1], S[j, 1, 1]
        sl00, sl01 = s00 * l00 + s01 * l10, s00 * l01 + s01 * l11
        sl10, sl11 = s01 * l00 + s11 * l10, s01 * l01 + s11 * l11
        a00 = 1.0 + (l00 * sl00 + l10 * sl10) / s2
        a01 = (l00 * sl01 + l10 * sl11) / s2
        a11 = 1.0 + (l01 * sl01 + l11 * sl11) / s2
        m00 = math.sqrt(a00)
        m10 = a01 / m00
        m11 = math.sqrt(a11 - m10 * m10)
        logdet += 2.0 * (math.log(m00) + math.log(m11))
        w0 = (l00 * c0 + l10 * c1) / m00
        w1 = (l01 * c0 + l11 * c1 - m10 * w0) / m11
        u1 = w1 / m11
        u0 = (w0 - m10 * u1) / m00
        det = a00 * a11 - a01 * a01
        i00, i01, i11 = a11 / det, -a01 / det, a00 / det
        explained += w0 * w0 + w1 * w1
        trace_part += 2.0 - i00 - i11
        quadratic += u0 * (a00 * u0 + a01 * u1 - u0) + u1 * (a01 * u0 + a11 * u1 - u1)
        P[0, 0] += sl00 * i00 + sl01 * i01
        P[0, 1] += sl00 * i01 + sl01 * i11
        P[1, 0] += sl10 * i00 + sl11 * i01
        P[1, 1] += sl10 * i01 + sl11 * i11
        Q[0, 0] += c0 * u0
        Q[0, 1] += c0 * u1
        Q[1, 0] += c1 * u0
        Q[1, 1] += c1 * u1
        slu0, slu1 = sl00 * u0 + sl01 * u1, sl10 * u0 + sl11 * u1
        R[0, 0] += slu0 * u0
        R[0, 1] += slu0 * u1
        R[1, 0] += slu1 * u0
        R[1, 1] += slu1 * u1
        lu0, lu1 = l00 * u0 + l01 * u1, l10 * u0 + l11 * u1
        for k in range(p):
            g_theta[k] -= (ZtF[j, 0, k] * lu0 + ZtF[j, 1, k] * lu1) / (s2 * s2)
    return logdet, explained, trace_part, quadratic
