"""The censored gaussian rows of the GLMM kernel against SciPy and finite differences
(the kernel's density and gradient against PyMC's are in test_glmm_density)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hiermodels.kernels.glmm_censored import censored_normal, log_normal_cdf


def test_log_normal_cdf_equals_scipy_in_both_tails():
    z = np.concatenate([np.linspace(-60.0, 10.0, 701), [-30.0, -29.999, -1.0, -0.999]])
    ours = np.array([log_normal_cdf(v) for v in z])
    np.testing.assert_allclose(ours, stats.norm.logcdf(z), rtol=1e-12, atol=1e-300)


#: Rows of each code, some far in a tail (|z| up to 45); upper bounds of the intervals.
Y = np.array([0.3, 2.0, -1.0, 0.5, 45.0, -45.0, -44.0, 40.0])
CODES = np.array([0, -1, 1, 2, -1, 1, 2, 2], dtype=np.int64)
UPPER = {3: 1.7, 6: -43.5, 7: 41.0}
Y2 = np.array([UPPER.get(i, 0.0) for i in range(Y.size)])


def _rows(eta, sigma):
    e, d_aux = np.empty(Y.size), np.zeros(1)
    value = censored_normal(eta, Y, Y2, CODES, sigma, e, d_aux)
    return value, e.copy(), d_aux[0]


def _interval(lower, upper, eta, sigma):
    """SciPy's log(Phi(upper) - Phi(lower)), in the tail where it does not cancel."""
    if eta > lower:
        a, b = stats.norm.logcdf([lower, upper], eta, sigma)
        return b + np.log1p(-np.exp(a - b))
    a, b = stats.norm.logsf([lower, upper], eta, sigma)
    return a + np.log1p(-np.exp(b - a))


@pytest.mark.parametrize("shift", [0.0, 3.0, -30.0])
def test_censored_rows_match_scipy_and_their_derivatives_finite_differences(shift):
    eta = np.array([0.1, -0.4, 0.7, 1.0, 0.2, -0.3, 0.5, 0.0]) + shift
    sigma = 0.9
    value, e, d_sigma = _rows(eta, sigma)
    y = Y
    # the uncensored row without its -log(2 pi) / 2 (the kernel's data constant)
    expected = stats.norm.logpdf(y[0], eta[0], sigma) + 0.5 * np.log(2 * np.pi)
    expected += stats.norm.logcdf(y[[1, 4]], eta[[1, 4]], sigma).sum()
    expected += stats.norm.logsf(y[[2, 5]], eta[[2, 5]], sigma).sum()
    expected += sum(_interval(y[i], b, eta[i], sigma) for i, b in UPPER.items())
    assert value == pytest.approx(expected, rel=1e-11)
    h = 1e-6
    for i in range(eta.size):
        up, down = eta.copy(), eta.copy()
        up[i] += h
        down[i] -= h
        numeric = (_rows(up, sigma)[0] - _rows(down, sigma)[0]) / (2 * h)
        assert e[i] == pytest.approx(numeric, rel=1e-6, abs=1e-6), i
    numeric = (_rows(eta, sigma + h)[0] - _rows(eta, sigma - h)[0]) / (2 * h)
    assert d_sigma == pytest.approx(numeric, rel=1e-6)
