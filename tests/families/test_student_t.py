"""The Student-t family object: density, draws, no residual variance, priors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln

from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior
from hiermodels.variance import latent_residual_variance

FAM = get_family("student_t")
ETA = np.array([0.0, 1.5, -2.0])
Y = np.array([0.3, 1.0, 9.0])
AUX = {"sigma": 1.7, "nu": 3.5}


def by_hand(y, mu, sigma, nu):
    z = (y - mu) / sigma
    return (
        gammaln((nu + 1) / 2)
        - gammaln(nu / 2)
        - 0.5 * math.log(nu * math.pi)
        - math.log(sigma)
        - (nu + 1) / 2 * np.log1p(z**2 / nu)
    )


def test_log_density_is_the_student_t_one(numpy_log_density):
    ll = numpy_log_density(FAM, "identity", eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(ll, by_hand(Y, ETA, **AUX), rtol=1e-12)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    args = dict(eta=ETA, y=Y, aux=AUX)
    np.testing.assert_allclose(
        pymc_log_density(FAM, "identity", **args), numpy_log_density(FAM, "identity", **args)
    )


def test_draws_have_the_student_t_moments(response_moments):
    sigma, nu = 2.0, 8.0
    variance = sigma**2 * nu / (nu - 2)
    draws, mean, var = response_moments(FAM, -1.0, {"sigma": sigma, "nu": nu})
    assert abs(mean + 1.0) < 5 * math.sqrt(variance / draws.size)
    assert abs(var / variance - 1) < 0.05


def test_no_residual_variance_so_the_partition_refuses_it():
    assert not FAM.has_latent_variance
    with pytest.raises(SpecError, match=r"this model's family is 'student_t'"):
        latent_residual_variance("student_t", "identity", None)


def test_default_priors_and_meanings():
    assert FAM.default_prior("sigma", scale=2.0) == Prior("Exponential", lam=0.5)
    assert FAM.default_prior("nu", scale=2.0) == Prior("Gamma", alpha=2.0, beta=0.1)
    assert set(FAM.parameter_meanings) == {"nu"}
    assert FAM.parameters == ("sigma", "nu") and not FAM.collapsible and FAM.reml_pilot
