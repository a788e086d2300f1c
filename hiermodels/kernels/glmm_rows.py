"""The rows' log-likelihood of the GLMM kernel's families, with its derivatives.

Each family's log density of the rows given the linear predictor ``eta`` and the
family's parameters, written as PyMC writes it (:mod:`hiermodels.families`), with its
derivative with respect to each row's ``eta`` and to each family parameter. Terms that
depend on the data only (``-log y!``, the binomial coefficient, ``log y``) are left out:
the layout adds them once (:func:`data_constant`). Used by
:mod:`hiermodels.kernels.glmm_density`.

Families (code: family, link, parameters): 0 Bernoulli (logit), 1 binomial (logit),
2 Poisson (log), 3 negative binomial (log; ``alpha``), 4 Student-t (identity;
``sigma``, ``nu``), 5 gaussian (identity; ``sigma``), 6 gamma (log; ``shape``),
7 lognormal (identity on the log scale; ``sigma``), 8 beta (logit; ``phi``), and on the
log link 9 zero-inflated Poisson (``zi``), 10 zero-inflated negative binomial (``zi``,
``alpha``), 11 hurdle Poisson (``hu``), 12 hurdle negative binomial (``hu``,
``alpha``), and 13 the cumulative (ordinal) family on the logit link, whose parameters
are its thresholds.

Examples
--------
>>> import math
>>> abs(digamma(1.0) + 0.5772156649015329) < 1e-13
True
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import gammaln

__all__ = [
    "COLLAPSED_GAUSSIAN",
    "FAMILIES",
    "ORDINAL",
    "counts_and_binary",
    "data_constant",
    "digamma",
    "normal_varying_sigma",
    "row_log_likelihood",
    "softplus",
]

#: (family, link) -> code.
FAMILIES = {
    ("bernoulli", "logit"): 0,
    ("binomial", "logit"): 1,
    ("poisson", "log"): 2,
    ("negative_binomial", "log"): 3,
    ("student_t", "identity"): 4,
    ("gaussian", "identity"): 5,
    ("gamma", "log"): 6,
    ("lognormal", "identity"): 7,
    ("beta", "logit"): 8,
    ("zero_inflated_poisson", "log"): 9,
    ("zero_inflated_negative_binomial", "log"): 10,
    ("hurdle_poisson", "log"): 11,
    ("hurdle_negative_binomial", "log"): 12,
    ("cumulative", "logit"): 13,
}
#: The ordinal family's code; a gaussian model with one factor integrated out (its
#: likelihood is :mod:`hiermodels.kernels.glmm_collapsed`'s, not the rows').
ORDINAL, COLLAPSED_GAUSSIAN = 13, 14
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_PI = 0.5 * math.log(math.pi)


def data_constant(family: int, y: np.ndarray, trials: np.ndarray | None) -> float:
    """The rows' log-likelihood terms that depend on the data only."""
    if family == 1:
        n = np.asarray(trials, float)
        return float(np.sum(gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)))
    if family in (2, 3) or 9 <= family <= 12:
        return float(-np.sum(gammaln(y + 1)))
    if family == 6:
        return float(-np.sum(np.log(y)))  # (shape - 1) log y: its -log y
    if family == 7:
        return float(-np.sum(np.log(y)) - y.size * _HALF_LOG_2PI)
    if family in (4, 5):
        return float(-y.size * (_HALF_LOG_PI if family == 4 else _HALF_LOG_2PI))
    return 0.0


@numba.njit(error_model="numpy")
def digamma(x):
    """The digamma function for ``x > 0`` (recurrence to ``x >= 10``, then the
    asymptotic series; absolute error below 1e-13)."""
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12.0
        + f * (1.0 / 120.0 + f * (-1.0 / 252.0 + f * (1.0 / 240.0 + f * (-1.0 / 132.0))))
    )
    return shift + math.log(x) - 0.5 / x + series


@numba.njit(error_model="numpy")
def softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@numba.njit(error_model="numpy")
def _expit(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    t = math.exp(x)
    return t / (1.0 + t)


@numba.njit(error_model="numpy")
def counts_and_binary(family, eta, y, n, e):
    """Bernoulli (0), binomial (1, logit) and Poisson (2, log) rows: the sum of their
    log-likelihood (without data constants); fills ``e`` (d/d eta)."""
    total = 0.0
    for i in range(eta.size):
        if family == 2:  # Poisson, log link
            mu = math.exp(eta[i])
            total += y[i] * eta[i] - mu
            e[i] = y[i] - mu
        else:  # Bernoulli and binomial, logit link
            trials = 1.0 if family == 0 else n[i]
            total += y[i] * eta[i] - trials * softplus(eta[i])
            e[i] = y[i] - trials * _expit(eta[i])
    return total


@numba.njit(error_model="numpy")
def _negative_binomial(eta, y, alpha, e, d_aux):
    total = 0.0
    d_alpha = 0.0
    log_alpha, lg_alpha, dg_alpha = math.log(alpha), math.lgamma(alpha), digamma(alpha)
    for i in range(eta.size):
        mu = math.exp(eta[i])
        log_sum = math.log(alpha + mu)
        total += (
            math.lgamma(y[i] + alpha)
            - lg_alpha
            + alpha * log_alpha
            + y[i] * eta[i]
            - (alpha + y[i]) * log_sum
        )
        e[i] = y[i] - (alpha + y[i]) * mu / (alpha + mu)
        d_alpha += digamma(y[i] + alpha) - dg_alpha + log_alpha + 1.0 - log_sum
        d_alpha -= (alpha + y[i]) / (alpha + mu)
    d_aux[0] = d_alpha
    return total


@numba.njit(error_model="numpy")
def _student_t(eta, y, sigma, nu, e, d_aux):
    total = 0.0
    d_sigma = d_nu = 0.0
    half = 0.5 * (nu + 1.0)
    const = math.lgamma(half) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu) - math.log(sigma)
    d_const = 0.5 * digamma(half) - 0.5 * digamma(0.5 * nu) - 0.5 / nu
    for i in range(eta.size):
        r = (y[i] - eta[i]) / sigma
        r2 = r * r
        total += const - half * math.log1p(r2 / nu)
        e[i] = (nu + 1.0) * r / (sigma * (nu + r2))
        d_sigma += -1.0 / sigma + (nu + 1.0) * r2 / (sigma * (nu + r2))
        d_nu += d_const - 0.5 * math.log1p(r2 / nu) + half * r2 / (nu * (nu + r2))
    d_aux[0], d_aux[1] = d_sigma, d_nu
    return total


@numba.njit(error_model="numpy")
def _normal(eta, y, sigma, e, d_aux, log_scale):
    """Gaussian (``log_scale`` 0) or lognormal (1: ``y`` is already ``log y``)."""
    total = 0.0
    d_sigma = 0.0
    log_sigma = math.log(sigma)
    for i in range(eta.size):
        r = (y[i] - eta[i]) / sigma
        total -= log_sigma + 0.5 * r * r
        e[i] = r / sigma
        d_sigma += (r * r - 1.0) / sigma
    d_aux[0] = d_sigma
    return total


@numba.njit(error_model="numpy")
def normal_varying_sigma(eta, y, log_sigma, e, d_log_sigma):
    """Gaussian (or lognormal, ``y`` already ``log y``) rows with their own
    ``log sigma`` (a formula for sigma); fills ``d logp / d log sigma`` per row."""
    total = 0.0
    for i in range(eta.size):
        sigma = math.exp(log_sigma[i])
        r = (y[i] - eta[i]) / sigma
        total -= log_sigma[i] + 0.5 * r * r
        e[i] = r / sigma
        d_log_sigma[i] = r * r - 1.0
    return total


@numba.njit(error_model="numpy")
def _gamma(eta, y, shape, e, d_aux):
    total = 0.0
    d_shape = 0.0
    base = shape * math.log(shape) - math.lgamma(shape)
    d_base = math.log(shape) + 1.0 - digamma(shape)
    for i in range(eta.size):
        ratio = y[i] * math.exp(-eta[i])
        log_y = math.log(y[i])
        total += base - shape * eta[i] + shape * log_y - shape * ratio
        e[i] = shape * (ratio - 1.0)
        d_shape += d_base - eta[i] + log_y - ratio
    d_aux[0] = d_shape
    return total


@numba.njit(error_model="numpy")
def _beta(eta, y, phi, e, d_aux):
    total = 0.0
    d_phi = 0.0
    lg_phi, dg_phi = math.lgamma(phi), digamma(phi)
    for i in range(eta.size):
        mu = _expit(eta[i])
        a, b = mu * phi, (1.0 - mu) * phi
        log_y, log_1y = math.log(y[i]), math.log1p(-y[i])
        total += lg_phi - math.lgamma(a) - math.lgamma(b) + (a - 1.0) * log_y + (b - 1.0) * log_1y
        da = log_y - digamma(a)
        db = log_1y - digamma(b)
        e[i] = phi * mu * (1.0 - mu) * (da - db)
        d_phi += dg_phi + mu * da + (1.0 - mu) * db
    d_aux[0] = d_phi
    return total


@numba.njit(error_model="numpy")
def _count(negative_binomial, eta, y, alpha):
    """A count's log density (without ``-log y!``), its derivatives with respect to
    ``eta`` and ``alpha``, and ``log P(0)`` with its derivatives."""
    mu = math.exp(eta)
    if not negative_binomial:
        return y * eta - mu, y - mu, 0.0, -mu, -mu, 0.0
    log_sum = math.log(alpha + mu)
    log_alpha = math.log(alpha)
    value = math.lgamma(y + alpha) - math.lgamma(alpha) + alpha * log_alpha
    value += y * eta - (alpha + y) * log_sum
    d_eta = y - (alpha + y) * mu / (alpha + mu)
    d_alpha = digamma(y + alpha) - digamma(alpha) + log_alpha + 1.0 - log_sum
    d_alpha -= (alpha + y) / (alpha + mu)
    log_p0 = alpha * (log_alpha - log_sum)
    return (
        value,
        d_eta,
        d_alpha,
        log_p0,
        -alpha * mu / (alpha + mu),
        log_alpha - log_sum + 1.0 - alpha / (alpha + mu),
    )


@numba.njit(error_model="numpy")
def _zeros(family, eta, y, aux, e, d_aux):
    """Zero-inflated (9, 10) and hurdle (11, 12) counts: ``aux[0]`` is ``zi`` or
    ``hu``, ``aux[1]`` the negative binomial's ``alpha``."""
    p = aux[0]
    negative_binomial = family == 10 or family == 12
    alpha = aux[1] if negative_binomial else 1.0
    hurdle = family >= 11
    total = d_p = d_alpha = 0.0
    for i in range(eta.size):
        value, de, da, log_p0, dp0_e, dp0_a = _count(negative_binomial, eta[i], y[i], alpha)
        if y[i] == 0.0 and hurdle:
            total += math.log(p)
            e[i] = 0.0
            d_p += 1.0 / p
        elif y[i] == 0.0:
            p0 = math.exp(log_p0)
            mix = p + (1.0 - p) * p0
            total += math.log(mix)
            e[i] = (1.0 - p) * p0 * dp0_e / mix
            d_alpha += (1.0 - p) * p0 * dp0_a / mix
            d_p += (1.0 - p0) / mix
        else:
            total += math.log1p(-p) + value
            d_p -= 1.0 / (1.0 - p)
            e[i], a = de, da
            if hurdle:  # the count is truncated at zero: - log(1 - P(0))
                total -= math.log(-math.expm1(log_p0))
                ratio = 1.0 / math.expm1(-log_p0)  # P0 / (1 - P0)
                e[i] += ratio * dp0_e
                a += ratio * dp0_a
            d_alpha += a
    d_aux[0] = d_p
    if negative_binomial:
        d_aux[1] = d_alpha
    return total


@numba.njit(error_model="numpy")
def _cumulative(eta, y, thresholds, e, d_thresholds):
    """``P(y = k) = F(c_k - eta) - F(c_(k-1) - eta)`` with the logistic ``F`` (codes
    ``0..K-1``, ``K - 1`` thresholds ``c``)."""
    n = thresholds.size
    total = 0.0
    d_thresholds[:n] = 0.0
    for i in range(eta.size):
        k = int(y[i])
        if k == 0:
            h = thresholds[0] - eta[i]
            total -= softplus(-h)
            dh = _expit(-h)
            d_thresholds[0] += dh
            e[i] = -dh
        elif k == n:
            low = thresholds[n - 1] - eta[i]
            total -= softplus(low)
            dl = -_expit(low)
            d_thresholds[n - 1] += dl
            e[i] = -dl
        else:
            h, low = thresholds[k] - eta[i], thresholds[k - 1] - eta[i]
            total += -softplus(-h) - softplus(low) + math.log(-math.expm1(low - h))
            gap = 1.0 / math.expm1(h - low)
            dh, dl = _expit(-h) + gap, -_expit(low) - gap
            d_thresholds[k] += dh
            d_thresholds[k - 1] += dl
            e[i] = -(dh + dl)
    return total


@numba.njit(error_model="numpy")
def row_log_likelihood(family, eta, y, n, aux, e, d_aux):
    """The rows' log-likelihood (without :func:`data_constant`); fills ``e`` (d/d eta)
    and ``d_aux`` (d/d each family parameter, constrained)."""
    if family <= 2:
        return counts_and_binary(family, eta, y, n, e)
    if family == 3:
        return _negative_binomial(eta, y, aux[0], e, d_aux)
    if family == 4:
        return _student_t(eta, y, aux[0], aux[1], e, d_aux)
    if family == 5 or family == 7:
        return _normal(eta, y, aux[0], e, d_aux, family == 7)
    if family == 6:
        return _gamma(eta, y, aux[0], e, d_aux)
    if family == 8:
        return _beta(eta, y, aux[0], e, d_aux)
    if family == 13:
        return _cumulative(eta, y, aux, e, d_aux)
    return _zeros(family, eta, y, aux, e, d_aux)
