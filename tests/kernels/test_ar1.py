"""The AR(1) kernels against dense multivariate normal algebra (SciPy, NumPy)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from hiermodels.kernels.ar1 import (
    ar1_log_density,
    ar1_loo_log_likelihood,
    ar1_residual_draws,
)

# Two series, rows shuffled; the second has gaps of 2 and 3 steps.
TIMES = {"a": [0, 1, 2, 3], "b": [0, 2, 3, 6]}
ROWS = [("b", 2), ("a", 0), ("a", 3), ("b", 0), ("a", 1), ("b", 3), ("a", 2), ("b", 1)]


def structure():
    pos = {key: r for r, key in enumerate(ROWS)}
    previous = np.array([pos[(s, k - 1)] if k else -1 for s, k in ROWS])
    following = np.array([pos[(s, k + 1)] if k < 3 else -1 for s, k in ROWS])
    gap = np.array([TIMES[s][k] - TIMES[s][k - 1] if k else 0 for s, k in ROWS])
    return previous, following, gap


def dense_cov(phi, sigma):
    t = np.array([TIMES[s][k] for s, k in ROWS], dtype=float)
    same = np.equal.outer([s for s, _ in ROWS], [s for s, _ in ROWS])
    return sigma**2 * np.where(same, phi ** np.abs(np.subtract.outer(t, t)), 0.0)


@pytest.mark.parametrize("phi", [0.7, -0.45])
def test_density_and_leave_one_out_match_the_dense_normal(phi):
    previous, following, gap = structure()
    sigma = 1.6
    e = np.random.default_rng(3).normal(size=len(ROWS)) * 2
    cov = dense_cov(phi, sigma)
    joint = ar1_log_density(e, np.array(phi), np.array(sigma), previous, gap).sum()
    np.testing.assert_allclose(joint, multivariate_normal(np.zeros(len(e)), cov).logpdf(e))
    Q = np.linalg.inv(cov)
    mean = e - (Q @ e) / np.diag(Q)
    expected = -0.5 * np.log(2 * np.pi / np.diag(Q)) - 0.5 * (e - mean) ** 2 * np.diag(Q)
    loo = ar1_loo_log_likelihood(e, np.array(phi), np.array(sigma), previous, following, gap)
    np.testing.assert_allclose(loo, expected, rtol=1e-10)


def test_kernels_broadcast_over_chains_and_draws():
    previous, following, gap = structure()
    phi = np.array([[0.2, 0.5, -0.3]])
    sigma = np.array([[1.0, 2.0, 0.5]])
    e = np.random.default_rng(4).normal(size=(1, 3, len(ROWS)))
    loo = ar1_loo_log_likelihood(e, phi, sigma, previous, following, gap)
    assert loo.shape == (1, 3, len(ROWS))
    one = ar1_loo_log_likelihood(e[0, 1], phi[0, 1], sigma[0, 1], previous, following, gap)
    np.testing.assert_allclose(loo[0, 1], one)


def test_draws_have_the_ar1_covariance():
    previous, _, gap = structure()
    n = 40_000
    draws = ar1_residual_draws(
        np.full(n, 0.6), np.full(n, 1.5), previous, gap, np.random.default_rng(5)
    )
    cov = dense_cov(0.6, 1.5)
    # Monte Carlo SE of a covariance of ~2.25 with 40,000 draws is about 0.016
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.08)
