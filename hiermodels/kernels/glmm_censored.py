"""Censored gaussian rows of the GLMM kernel: ``y | cens(c) ~ ...`` with brms's codes.

An uncensored row (0) takes the normal log density, a left-censored row (-1)
``log Phi(z)``, a right-censored row (1) ``log Phi(-z)`` and an interval-censored row (2)
``log(Phi(z2) - Phi(z))``, with ``z = (y - eta) / sigma`` and ``z2`` at the upper bound
``y2``, as :func:`hiermodels.families.row_terms.pymc_row_likelihood` writes them with
PyMC's ``logcdf`` and ``logccdf``. Each comes with its derivatives with respect to the
row's ``eta`` and to ``sigma``. The uncensored rows leave ``-log(2 pi) / 2`` to the data
constant, as :mod:`hiermodels.kernels.glmm_rows` does; the censored rows do not have it.

Examples
--------
>>> import math
>>> round(log_normal_cdf(0.0), 12) == round(math.log(0.5), 12)
True
>>> abs(log_normal_cdf(-40.0) - -804.6084420137539) < 1e-9  # scipy.stats.norm.logcdf
True
"""

from __future__ import annotations

import math

import numba

__all__ = ["censored_normal", "log_normal_cdf"]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@numba.njit(error_model="numpy")
def log_normal_cdf(z):
    """``log Phi(z)``, accurate in both tails (an asymptotic series below -30, where
    ``erfc`` nears its underflow)."""
    if z < -30.0:
        z2 = z * z
        series = 1.0 - 1.0 / z2 + 3.0 / z2**2 - 15.0 / z2**3 + 105.0 / z2**4
        return -0.5 * z2 - _HALF_LOG_2PI - math.log(-z) + math.log(series)
    if z < -1.0:
        return math.log(0.5 * math.erfc(-z * _SQRT1_2))
    return math.log1p(-0.5 * math.erfc(z * _SQRT1_2))


@numba.njit(error_model="numpy")
def _log1mexp(x):
    """``log(1 - exp(x))`` for ``x <= 0``."""
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@numba.njit(error_model="numpy")
def _density_over(log_value, z):
    """``phi(z) / exp(log_value)``."""
    return math.exp(-0.5 * z * z - _HALF_LOG_2PI - log_value)


@numba.njit(error_model="numpy")
def censored_normal(eta, y, y2, codes, sigma, e, d_aux):
    """The rows' log-likelihood; fills ``e`` (``d / d eta``) and ``d_aux[0]``
    (``d / d sigma``)."""
    total = 0.0
    d_sigma = 0.0
    log_sigma = math.log(sigma)
    for i in range(eta.size):
        z = (y[i] - eta[i]) / sigma
        code = codes[i]
        if code == 0:
            total -= log_sigma + 0.5 * z * z
            e[i] = z / sigma
            d_sigma += (z * z - 1.0) / sigma
        elif code == -1:
            value = log_normal_cdf(z)
            ratio = _density_over(value, z)
            total += value
            e[i] = -ratio / sigma
            d_sigma -= z * ratio / sigma
        elif code == 1:
            value = log_normal_cdf(-z)
            ratio = _density_over(value, z)
            total += value
            e[i] = ratio / sigma
            d_sigma += z * ratio / sigma
        else:
            z2 = (y2[i] - eta[i]) / sigma
            if eta[i] > y[i]:  # the difference of the cdfs, else of the survival functions
                upper, lower = log_normal_cdf(z2), log_normal_cdf(z)
            else:
                upper, lower = log_normal_cdf(-z), log_normal_cdf(-z2)
            value = upper + _log1mexp(lower - upper)
            at_lower, at_upper = _density_over(value, z), _density_over(value, z2)
            total += value
            e[i] = (at_lower - at_upper) / sigma
            d_sigma += (z * at_lower - z2 * at_upper) / sigma
    d_aux[0] = d_sigma
    return total
