"""The hurdle negative binomial family object: density, mean, draws, priors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("hurdle_negative_binomial")
ETA = np.array([-1.0, 0.0, 1.2, 2.5, -6.0])
Y = np.array([0.0, 2.0, 1.0, 17.0, 1.0])
AUX = {"hu": 0.3, "alpha": 2.5}


def by_scipy(y, mu, hu, alpha):
    p = alpha / (alpha + mu)
    positive = (
        np.log(1 - hu) + stats.nbinom.logpmf(y, alpha, p) - np.log(stats.nbinom.sf(0, alpha, p))
    )
    return np.where(y == 0, np.log(hu), positive)


def test_log_density_is_zeros_then_the_truncated_nbinom2(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(ll, by_scipy(Y, np.exp(ETA), **AUX), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    # PyMC computes the negative binomial density slightly differently from SciPy.
    args = dict(eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-6
    )


def test_expected_value_and_draws(response_moments):
    mu, hu, alpha = 1.3, AUX["hu"], AUX["alpha"]
    aux = {k: np.full((1, 1), v) for k, v in AUX.items()}
    mean = FAM.expected_value("log", eta=np.full((1, 1, 1), math.log(mu)), aux=aux, trials=None)
    p0 = (alpha / (alpha + mu)) ** alpha
    expected = (1 - hu) * mu / (1 - p0)
    assert mean[0, 0, 0] == pytest.approx(expected, rel=1e-13)
    draws, m, v = response_moments(FAM, mu, AUX)
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(np.mean(draws == 0) - hu) < 0.005
    assert abs(m - expected) < 5 * math.sqrt(v / draws.size)
    positive = draws[draws > 0]
    frequencies = np.bincount(positive, minlength=4)[1:4] / positive.size
    truncated = stats.nbinom.pmf([1, 2, 3], alpha, alpha / (alpha + mu)) / (1 - p0)
    np.testing.assert_allclose(frequencies, truncated, atol=0.005)


def test_priors_and_meanings():
    assert FAM.default_prior("hu", scale=1.0) == Prior("Beta", alpha=1.0, beta=1.0)
    assert FAM.default_prior("alpha", scale=1.0) == Prior("Gamma", alpha=2.0, beta=0.1)
    assert FAM.parameters == ("hu", "alpha") and not FAM.has_latent_variance
