"""The gaussian family object: density, draws, residual variance, priors, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from hiermodels.errors import PriorError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("gaussian")
ETA = np.array([0.0, 1.5, -2.0])
Y = np.array([0.3, 1.0, 4.0])
SIGMA = 1.7


def by_hand(y, mu, sigma):
    return -0.5 * np.log(2 * math.pi * sigma**2) - (y - mu) ** 2 / (2 * sigma**2)


def test_log_density_is_the_normal_one(numpy_log_density):
    ll = numpy_log_density(FAM, "identity", eta=ETA, y=Y, aux={"sigma": SIGMA})
    np.testing.assert_allclose(ll, by_hand(Y, ETA, SIGMA), rtol=1e-12)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    args = dict(eta=ETA, y=Y, aux={"sigma": SIGMA})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "identity", **args), numpy_log_density(FAM, "identity", **args)
    )


def test_draws_have_mean_mu_and_variance_sigma_squared(response_moments):
    draws, mean, var = response_moments(FAM, 2.5, {"sigma": SIGMA})
    se = SIGMA / math.sqrt(draws.size)
    assert abs(mean - 2.5) < 5 * se
    assert abs(var / SIGMA**2 - 1) < 0.02
    assert draws.dtype == np.float64


def test_residual_variance_is_sigma_squared_per_draw():
    post = xr.Dataset({"sigma": (("chain", "draw"), [[1.0, 2.0]])})
    np.testing.assert_array_equal(FAM.latent_residual_variance("identity", post), [[1.0, 4.0]])


def test_integrated_density_adds_the_extra_variance(numpy_log_density):
    extra = np.array([0.5, 0.0, 2.0])
    ll = FAM.integrated_log_likelihood(
        "identity",
        eta=ETA[None, None, :],
        extra_variance=extra[None, None, :],
        y=Y,
        aux={"sigma": np.full((1, 1), SIGMA)},
    )
    np.testing.assert_allclose(ll[0, 0], by_hand(Y, ETA, np.sqrt(SIGMA**2 + extra)), rtol=1e-12)


def test_default_prior_of_sigma_scales_with_the_response():
    assert FAM.default_prior("sigma", scale=4.0) == Prior("Exponential", lam=0.25)
    with pytest.raises(PriorError, match=r"'gaussian' has no default prior for 'nu'"):
        FAM.default_prior("nu", scale=1.0)


def test_declarations():
    assert (FAM.links, FAM.parameters, FAM.support) == (("identity",), ("sigma",), "real")
    assert FAM.collapsible and FAM.reml_pilot and FAM.response_scale
    assert FAM.model_kind == "linear"
    assert FAM.has_latent_variance and not FAM.needs_trials and not FAM.counts
