"""The log-density of a GLMM with varying intercepts and slopes, and its gradient.

One compiled function serves the non-collapsed models hiermodels builds with the
families of :mod:`hiermodels.kernels.glmm_rows`: any number of grouping factors (crossed,
nested, multiple membership), each with any varying terms, uncorrelated or in
correlated blocks (``LKJCholeskyCov``), non-centred or centred, with the shear of
:mod:`hiermodels.backend.shear`, offsets, trials and the family's parameters. The
model comes in two flat arrays laid out by :mod:`hiermodels.glmm_layout`; nothing is
compiled per model (:mod:`hiermodels.kernel_entry`). The PyMC model is the
specification: a test checks this density and gradient against PyMC's at random points.

Per factor ``f`` (``J`` levels, ``q`` terms), the effects are ``r_j = d_j + R_f`` with
``R_f`` the level mean and ``d`` the sum-zero embedding of ``w`` (``J - 1`` rows:
``z L_f'`` non-centred, sampled centred), or integrated out (one factor of a gaussian
model, :mod:`hiermodels.kernels.glmm_collapsed`). The sheared components of ``R_f`` are absorbed
by the coefficients and do not enter the rows. The rows and the levels are
differentiated in reverse mode by hand; the few parameters of
:mod:`hiermodels.kernels.glmm_hyper` by the complex step, chained through
``d logp / d L_f`` and ``d logp / d R_f``.

Layout of ``ints``: ``[n_dim, n_factors, n_slopes, n_rows, family, intercept_x,
slopes_at, n_aux, aux_at, shear_at, q_max, hyper_at, expand_at, shifts_at,
thresholds_at, collapsed_at, sigma_at, censoring_at]``, then the factors' records
(:mod:`hiermodels.kernels.glmm_hyper`). ``sigma_at`` (-1: none) is a gaussian or
lognormal model's formula for ``log sigma`` with fixed terms only: ``[intercept_x,
n_slopes, X_at, prior_at, centre_at, slope_x...]``: the centred columns (rows x slopes),
the Normal priors' means and SDs (intercept, then slopes) and the centre in ``floats``.
``censoring_at`` (-1: none) is a censored gaussian model's ``[codes_at, y2_at]``: the
rows' censoring codes in ``ints`` and upper bounds in ``floats``
(:mod:`hiermodels.kernels.glmm_censored`).
``floats``: ``[constant, y_at, trials_at, X_at, offset_at, intercept mean, intercept
SD (-1: sheared), slope_priors_at, aux_priors_at, centre_at]``.

Examples
--------
>>> import numpy as np
>>> level_deviations(np.array([[1.0]]), 2).round(4)  # two levels: -w/sqrt(2), w/sqrt(2)
array([[-0.7071],
       [ 0.7071]])
"""

from __future__ import annotations

import cmath
import math

import numba
import numpy as np

from hiermodels.kernels.glmm_censored import censored_normal
from hiermodels.kernels.glmm_collapsed import collapsed_part
from hiermodels.kernels.glmm_hyper import COLLAPSED, FACTOR, HEADER, PROBABILITY, STEP, hyper
from hiermodels.kernels.glmm_rows import normal_varying_sigma, row_log_likelihood

__all__ = ["embedding_transpose", "glmm_log_density", "level_deviations"]

#: Expand operations (:mod:`hiermodels.kernel_draws`): copy, exp, a packed Cholesky
#: factor, a factor's SDs, correlations, effects, the slopes less the level means they
#: absorb, the intercept at uncentred predictors, the inverse logit, ordered thresholds
#: and the thresholds at uncentred predictors.
COPY, EXP, PACKED, SD, COR, EFFECTS, SLOPES, INTERCEPT, EXPIT, ORDERED, THRESHOLDS = range(11)
#: Expand operation: the intercept of sigma's formula at uncentred predictors.
SIGMA_INTERCEPT = 11


@numba.njit(error_model="numpy")
def level_deviations(W, J):
    """The sum-zero embedding: ``J`` rows of deviations from the ``J - 1`` rows ``W``."""
    q = W.shape[1]
    dev = np.empty((J, q))
    root = math.sqrt(J)
    for t in range(q):
        total = 0.0
        for k in range(J - 1):
            total += W[k, t]
        shift = total / (J - root)
        for k in range(J - 1):
            dev[k, t] = W[k, t] - shift
        dev[J - 1, t] = total / root
    return dev


@numba.njit(error_model="numpy")
def embedding_transpose(D, J):
    """The transpose of :func:`level_deviations` applied to ``D`` (J rows)."""
    q = D.shape[1]
    out = np.empty((J - 1, q))
    root = math.sqrt(J)
    for t in range(q):
        head = 0.0
        for k in range(J - 1):
            head += D[k, t]
        common = -head / (J - root) + D[J - 1, t] / root
        for k in range(J - 1):
            out[k, t] = D[k, t] + common
    return out


@numba.njit(error_model="numpy")
def _sampled(x, ints, at):
    """The factor's sampled ``J - 1`` rows: ``z`` (non-centred) or ``w`` (centred)."""
    J, q, w_at = ints[at], ints[at + 1], ints[at + 10]
    W = np.empty((J - 1, q))
    for t in range(q):
        x0, stride = ints[w_at + 2 * t], ints[w_at + 2 * t + 1]
        for k in range(J - 1):
            W[k, t] = x[x0 + k * stride]
    return W


@numba.njit(error_model="numpy")
def _w(x, ints, at, L):
    """The factor's ``J - 1`` rows ``w``: ``z L'`` (non-centred) or sampled."""
    W = _sampled(x, ints, at)
    if ints[at + 2]:
        return W
    J, q = ints[at], ints[at + 1]
    out = np.zeros((J - 1, q))
    for k in range(J - 1):
        for t in range(q):
            acc = 0.0
            for s in range(t + 1):
                acc += L[t, s] * W[k, s]
            out[k, t] = acc
    return out


@numba.njit(error_model="numpy")
def _factor_rows(ints, floats, at, N):
    K = ints[at + 3]
    q = ints[at + 1]
    codes = ints[ints[at + 4] : ints[at + 4] + N * K].reshape((N, K))
    weights = floats[ints[at + 5] : ints[at + 5] + N * K].reshape((N, K))
    Z = floats[ints[at + 6] : ints[at + 6] + N * q].reshape((N, q))
    return codes, weights, Z


@numba.njit(error_model="numpy")
def _add_factor(x, ints, floats, at, L, R, eta):
    """Add one factor's effects to ``eta``."""
    J, q, mask_at = ints[at], ints[at + 1], ints[at + 11]
    N = eta.size
    r = level_deviations(_w(x, ints, at, L), J)
    for j in range(J):
        for t in range(q):
            if not ints[mask_at + t]:
                r[j, t] += R[t]
    codes, weights, Z = _factor_rows(ints, floats, at, N)
    # group_sums.add_group_effects is this loop over (chain, draw) arrays; calling it here
    # added 7 s to the entry point's cold compile (26.7 s against 19.9 s, measured)
    for i in range(N):
        acc = 0.0
        for m in range(codes.shape[1]):
            part = 0.0
            for t in range(q):
                part += Z[i, t] * r[codes[i, m], t]
            acc += weights[i, m] * part
        eta[i] += acc


@numba.njit(error_model="numpy")
def _factor_gradient(x, grad, ints, floats, at, L, e, GL, dR):
    """Write the gradient of one factor's ``z`` or ``w``; add to ``d/dL`` and ``d/dR``;
    return the log prior of ``z`` or ``w`` (without its normal constants)."""
    J, q, centred = ints[at], ints[at + 1], ints[at + 2]
    w_at, mask_at = ints[at + 10], ints[at + 11]
    N = e.size
    codes, weights, Z = _factor_rows(ints, floats, at, N)
    D = np.zeros((J, q))
    for i in range(N):
        for m in range(codes.shape[1]):
            scale = weights[i, m] * e[i]
            for t in range(q):
                D[codes[i, m], t] += scale * Z[i, t]
    for t in range(q):
        if not ints[mask_at + t]:
            acc = 0.0
            for j in range(J):
                acc += D[j, t]
            dR[t] += acc
    dW = embedding_transpose(D, J)
    W = _sampled(x, ints, at)
    logp = 0.0
    if not centred:
        for k in range(J - 1):
            for s in range(q):
                acc = 0.0
                for t in range(s, q):
                    acc += dW[k, t] * L[t, s]
                    GL[t, s] += dW[k, t] * W[k, s]
                grad[ints[w_at + 2 * s] + k * ints[w_at + 2 * s + 1]] = acc - W[k, s]
                logp -= 0.5 * W[k, s] * W[k, s]
        return logp
    v = np.empty(q)
    back = np.empty(q)
    for k in range(J - 1):
        for t in range(q):  # v = L^-1 w
            acc = W[k, t]
            for s in range(t):
                acc -= L[t, s] * v[s]
            v[t] = acc / L[t, t]
        for t in range(q - 1, -1, -1):  # back = L^-T v
            acc = v[t]
            for s in range(t + 1, q):
                acc -= L[s, t] * back[s]
            back[t] = acc / L[t, t]
        for t in range(q):
            logp -= 0.5 * v[t] * v[t]
            grad[ints[w_at + 2 * t] + k * ints[w_at + 2 * t + 1]] = dW[k, t] - back[t]
            for s in range(t + 1):
                GL[t, s] += back[t] * v[s]
    for t in range(q):
        logp -= (J - 1) * math.log(L[t, t])
        GL[t, t] -= (J - 1) / L[t, t]
    return logp


@numba.njit(error_model="numpy")
def _fixed_part(x, grad, ints, floats, e, X):
    """The fixed coefficients' own Normal priors and their rows' gradient."""
    P, ic_x, slopes_at = ints[2], ints[5], ints[6]
    logp = 0.0
    N = e.size
    if ic_x >= 0:
        acc = 0.0
        for i in range(N):
            acc += e[i]
        grad[ic_x] += acc
        if floats[6] > 0.0:
            z = (x[ic_x] - floats[5]) / floats[6]
            logp -= 0.5 * z * z
            grad[ic_x] -= z / floats[6]
    pa = int(floats[7])
    for k in range(P):
        xk = ints[slopes_at + k]
        acc = 0.0
        for i in range(N):
            acc += X[i, k] * e[i]
        grad[xk] += acc
        if ints[slopes_at + P + k]:
            z = (x[xk] - floats[pa + k]) / floats[pa + P + k]
            logp -= 0.5 * z * z
            grad[xk] -= z / floats[pa + P + k]
    return logp


@numba.njit(error_model="numpy")
def _sigma_formula(x, grad, ints, floats, eta, y, e):
    """The rows with ``log sigma = a + (X - centre) b`` (``sigma_at``), the Normal
    priors of ``a`` and ``b``, and their gradient."""
    at = ints[16]
    a_x, P, X_at, prior_at = ints[at], ints[at + 1], ints[at + 2], ints[at + 3]
    xs = ints[at + 5 : at + 5 + P]
    N = eta.size
    Xs = floats[X_at : X_at + N * P].reshape((N, P))
    log_sigma = np.full(N, x[a_x])
    for i in range(N):
        for k in range(P):
            log_sigma[i] += Xs[i, k] * x[xs[k]]
    g = np.empty(N)
    logp = normal_varying_sigma(eta, y, log_sigma, e, g)
    d = np.zeros(P + 1)  # d logp / d (a, b...) from the rows
    for i in range(N):
        d[0] += g[i]
        for k in range(P):
            d[k + 1] += Xs[i, k] * g[i]
    for k in range(P + 1):  # the Normal priors: means (a, b...), then SDs
        xk = a_x if k == 0 else xs[k - 1]
        sd = floats[prior_at + P + 1 + k]
        z = (x[xk] - floats[prior_at + k]) / sd
        logp -= 0.5 * z * z
        grad[xk] += d[k] - z / sd
    return logp


@numba.njit(error_model="numpy")
def _collapsed_sums(ints, floats, y, eta):
    """The collapsed factor, its per-level sums ``Z_j' r_j`` of the residuals ``y -
    eta``, ``r'r``, its ``Z_j'Z_j``, codes and ``Z``."""
    fc, ztz_at = ints[ints[15]], ints[ints[15] + 1]
    at = HEADER + FACTOR * fc
    J, q, N = ints[at], ints[at + 1], y.size
    codes, _, Z = _factor_rows(ints, floats, at, N)
    ZtZ = floats[ztz_at : ztz_at + J * q * q].reshape((J, q, q))
    C = np.zeros((J, q))
    rr = 0.0
    for i in range(N):
        r = y[i] - eta[i]
        rr += r * r
        for t in range(q):
            C[codes[i, 0], t] += Z[i, t] * r
    return fc, C, rr, ZtZ, codes[:, 0].copy(), Z


@numba.njit(error_model="numpy")
def glmm_log_density(x, grad, ints, floats):
    """The log-density at the unconstrained point ``x``; fills ``grad``."""
    F, P, N, family = ints[1], ints[2], ints[3], ints[4]
    ic_x, slopes_at, n_aux, aux_at, q_max = ints[5], ints[6], ints[7], ints[8], ints[10]
    grad[:] = 0.0
    xc = x.astype(np.complex128)
    Lc = np.empty((F, q_max, q_max), np.complex128)
    Rc = np.empty((F, q_max), np.complex128)
    n_thresholds = ints[ints[14]] if ints[14] >= 0 else 0
    Cc = np.empty(max(n_thresholds, 1), np.complex128)
    logp = floats[0] + hyper(xc, ints, floats, Lc, Rc, Cc).real
    L, R = Lc.real.copy(), Rc.real.copy()
    y = floats[int(floats[1]) : int(floats[1]) + N]
    n = floats[int(floats[2]) : int(floats[2]) + N] if floats[2] >= 0 else y
    X = floats[int(floats[3]) : int(floats[3]) + N * P].reshape((N, P))
    eta = np.zeros(N) if ic_x < 0 else np.full(N, x[ic_x])
    for i in range(N):
        acc = 0.0
        for k in range(P):
            acc += X[i, k] * x[ints[slopes_at + k]]
        eta[i] += acc
    if floats[4] >= 0:
        eta += floats[int(floats[4]) : int(floats[4]) + N]
    for f in range(F):
        if ints[HEADER + FACTOR * f + 2] != COLLAPSED:
            _add_factor(x, ints, floats, HEADER + FACTOR * f, L[f], R[f], eta)
    aux = np.empty(max(n_aux, 1))
    slope = np.empty(max(n_aux, 1))  # d value / d x
    for k in range(n_aux):
        xk = x[ints[aux_at + k]]
        if floats[int(floats[8]) + 4 * k] == PROBABILITY:
            aux[k] = 1.0 / (1.0 + math.exp(-xk))
            slope[k] = aux[k] * (1.0 - aux[k])
        else:
            aux[k] = slope[k] = math.exp(xk)
    e = np.empty(N)
    d_aux = np.zeros(max(n_aux, n_thresholds, 1))
    if n_thresholds:  # an ordinal model: the rows' parameters are the thresholds
        aux = Cc.real.copy()
    collapsed = ints[15] >= 0
    if collapsed:  # a gaussian model with one factor integrated out
        fc, C, rr, ZtZ, codes, Z = _collapsed_sums(ints, floats, y, eta)
        q = C.shape[1]
        G = np.empty(C.shape, np.complex128)
        logp += collapsed_part(Lc[fc, :q, :q], aux[0] + 0j, C, rr, ZtZ, N, G).real
        s2 = aux[0] * aux[0]
        for i in range(N):
            acc = (y[i] - eta[i]) / s2
            for t in range(q):
                acc -= Z[i, t] * G[codes[i], t].real
            e[i] = acc
    elif ints[16] >= 0:  # sigma's own formula
        logp += _sigma_formula(x, grad, ints, floats, eta, y, e)
    elif ints[17] >= 0:  # censored rows
        codes_at, y2_at = ints[ints[17]], ints[ints[17] + 1]
        codes, y2 = ints[codes_at : codes_at + N], floats[y2_at : y2_at + N]
        logp += censored_normal(eta, y, y2, codes, aux[0], e, d_aux)
    else:
        logp += row_log_likelihood(family, eta, y, n, aux, e, d_aux)
    logp += _fixed_part(x, grad, ints, floats, e, X)
    GL = np.zeros((F, q_max, q_max))
    dR = np.zeros((F, q_max))
    for f in range(F):
        at = HEADER + FACTOR * f
        if ints[at + 2] != COLLAPSED:
            logp += _factor_gradient(x, grad, ints, floats, at, L[f], e, GL[f], dR[f])
    for k in range(n_aux):
        grad[ints[aux_at + k]] += d_aux[k] * slope[k]
    hyper_at = ints[11]
    for h in range(ints[hyper_at]):
        xh = ints[hyper_at + 1 + h]
        xc[xh] = x[xh] + STEP * 1j
        value = hyper(xc, ints, floats, Lc, Rc, Cc).imag
        xc[xh] = x[xh]
        for k in range(n_thresholds):
            value += d_aux[k] * Cc[k].imag
        if collapsed:  # only sigma and the collapsed factor's scales move that part
            q = C.shape[1]
            sigma = aux[0] + 0j
            moved = xh == ints[aux_at]
            if moved:
                sigma = cmath.exp(x[xh] + STEP * 1j)
            for t in range(q):
                for s in range(t + 1):
                    moved = moved or Lc[fc, t, s].imag != 0.0
            if moved:
                value += collapsed_part(Lc[fc, :q, :q], sigma, C, rr, ZtZ, N, G).imag
        for f in range(F):
            for t in range(q_max):
                value += dR[f, t] * Rc[f, t].imag
                for s in range(t + 1):
                    value += GL[f, t, s] * Lc[f, t, s].imag
        grad[xh] += value / STEP
    return logp
