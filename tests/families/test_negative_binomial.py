"""The negative binomial family object: density, draws, prior of alpha, meanings."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("negative_binomial")
ETA = np.array([-1.0, 0.0, 1.2, 2.5])
Y = np.array([0.0, 2.0, 1.0, 17.0])
ALPHA = 2.5


def by_hand(y, mu, alpha):
    return (
        gammaln(y + alpha)
        - gammaln(alpha)
        - gammaln(y + 1)
        + alpha * np.log(alpha / (alpha + mu))
        + y * np.log(mu / (alpha + mu))
    )


def test_log_density_is_the_mean_dispersion_one(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux={"alpha": ALPHA})
    np.testing.assert_allclose(ll, by_hand(Y, np.exp(ETA), ALPHA), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    # PyMC computes the probit and negative binomial densities slightly differently from
    # SciPy (up to 4e-8 relative, in every compile mode).
    args = dict(eta=ETA, y=Y, aux={"alpha": ALPHA})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-6
    )


def test_draws_have_variance_mu_plus_mu_squared_over_alpha(response_moments):
    mu = 3.5
    variance = mu + mu**2 / ALPHA
    draws, mean, var = response_moments(FAM, mu, {"alpha": ALPHA})
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(mean - mu) < 5 * math.sqrt(variance / draws.size)
    assert abs(var / variance - 1) < 0.03


def test_prior_of_alpha_and_its_meaning():
    assert FAM.default_prior("alpha", scale=1.0) == Prior("Gamma", alpha=2.0, beta=0.1)
    assert "var = mu + mu^2 / alpha" in FAM.parameter_meanings["alpha"]
    assert not FAM.has_latent_variance
