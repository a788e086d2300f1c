"""The zero-inflated negative binomial family object: density, mean, draws, priors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("zero_inflated_negative_binomial")
ETA = np.array([-1.0, 0.0, 1.2, 2.5, 0.3])
Y = np.array([0.0, 2.0, 0.0, 17.0, 1.0])
AUX = {"zi": 0.3, "alpha": 2.5}


def by_scipy(y, mu, zi, alpha):
    count = stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))
    return np.where(y == 0, np.log(zi + (1 - zi) * np.exp(count)), np.log(1 - zi) + count)


def test_log_density_is_the_mixture_of_zeros_and_nbinom2(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(ll, by_scipy(Y, np.exp(ETA), **AUX), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    # PyMC computes the negative binomial density slightly differently from SciPy (up to
    # 4e-8 relative); its psi is 1 - zi.
    args = dict(eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-6
    )


def test_expected_value_and_draws(response_moments):
    mu, zi, alpha = 3.5, AUX["zi"], AUX["alpha"]
    aux = {k: np.full((1, 1), v) for k, v in AUX.items()}
    mean = FAM.expected_value("log", eta=np.full((1, 1, 1), math.log(mu)), aux=aux, trials=None)
    assert mean[0, 0, 0] == pytest.approx((1 - zi) * mu, rel=1e-14)
    variance = (1 - zi) * mu * (1 + mu * (zi + 1 / alpha))
    draws, m, v = response_moments(FAM, mu, AUX)
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(m - (1 - zi) * mu) < 5 * math.sqrt(variance / draws.size)
    assert abs(v / variance - 1) < 0.04


def test_priors_and_meanings():
    assert FAM.default_prior("zi", scale=1.0) == Prior("Beta", alpha=1.0, beta=1.0)
    assert FAM.default_prior("alpha", scale=1.0) == Prior("Gamma", alpha=2.0, beta=0.1)
    assert FAM.parameters == ("zi", "alpha")
    assert "nbinom2" in FAM.parameter_meanings["alpha"] and not FAM.has_latent_variance
