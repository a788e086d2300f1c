"""The gamma family object: density and log CDF (NumPy and PyMC), draws, the residual
variance of the variance partition, prior, the positive response check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special, stats

import hiermodels as hm
from hiermodels.errors import DataError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("gamma")
ETA = np.array([-1.0, 0.0, 1.2, 2.5])
Y = np.array([0.1, 0.5, 3.7, 12.0])
SHAPE = 2.5


def scipy_gamma(mu):
    return stats.gamma(SHAPE, scale=mu / SHAPE)


def test_log_density_is_scipy_s_gamma_with_mean_and_shape(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux={"shape": SHAPE})
    np.testing.assert_allclose(ll, scipy_gamma(np.exp(ETA)).logpdf(Y), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    args = dict(eta=ETA, y=Y, aux={"shape": SHAPE})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-8
    )


def test_log_cdf_is_scipy_s():
    eta, aux = ETA[None, None, :], {"shape": np.full((1, 1), SHAPE)}
    lc = FAM.log_cdf("log", eta=eta, y=Y, trials=None, aux=aux)
    np.testing.assert_allclose(lc[0, 0], scipy_gamma(np.exp(ETA)).logcdf(Y), rtol=1e-10)


def test_pymc_distribution_matches_scipy():
    import pymc as pm
    import pytensor.tensor as pt

    dist = FAM.pymc_distribution(
        eta=pt.as_tensor(ETA), link="log", aux={"shape": pt.as_tensor(SHAPE)}, trials=None
    )
    expected = scipy_gamma(np.exp(ETA))
    np.testing.assert_allclose(pm.logp(dist, Y).eval(), expected.logpdf(Y), rtol=1e-8)
    np.testing.assert_allclose(pm.logcdf(dist, Y).eval(), expected.logcdf(Y), rtol=1e-8)


def test_draws_have_mean_mu_and_variance_mu_squared_over_shape(response_moments):
    mu = 2.0
    variance = mu**2 / SHAPE
    draws, mean, var = response_moments(FAM, mu, {"shape": SHAPE})
    assert draws.dtype == np.float64 and draws.min() > 0
    assert abs(mean - mu) < 5 * math.sqrt(variance / draws.size)
    assert abs(var / variance - 1) < 0.03


def test_residual_variance_is_trigamma_of_the_shape_per_draw():
    post = xr.Dataset({"shape": (("chain", "draw"), [[1.0, 4.0]])})
    np.testing.assert_allclose(
        FAM.latent_residual_variance("log", post), [[math.pi**2 / 6, special.polygamma(1, 4.0)]]
    )
    # trigamma(shape) is the variance of log y given its mean
    rng = np.random.default_rng(0)
    log_y = np.log(rng.gamma(4.0, 1.0, 400_000))
    assert abs(log_y.var() / special.polygamma(1, 4.0) - 1) < 0.01


def test_prior_and_meaning():
    assert FAM.default_prior("shape", scale=1.0) == Prior("LogNormal", mu=2.3, sigma=2.0)
    assert "var = mu^2 / shape" in FAM.parameter_meanings["shape"]


def test_response_must_be_positive():
    index = pd.RangeIndex(4)
    FAM.check_response(np.array([0.1, 2.0, 3.0, 1e-8]), "cost", index)
    with pytest.raises(
        DataError,
        match=r"'cost' must hold positive numbers \(> 0\); 2 rows do not \(first rows: \[1, 3\], "
        r"values \[0.0, -2.0\]\)",
    ):
        FAM.check_response(np.array([0.1, 0.0, 3.0, -2.0]), "cost", index)
    df = pd.DataFrame({"cost": [1.0, 0.0, 2.0, 3.0], "g": list("aabb")})
    with pytest.raises(DataError, match=r"positive numbers \(> 0\); 1 rows do not"):
        hm.Model("cost ~ 1 + (1 | g)", df, family="gamma")


def test_working_variance_estimates_the_shape_by_moments():
    rng = np.random.default_rng(3)
    mu = np.full(20000, 2.0)
    y = rng.gamma(SHAPE, mu / SHAPE)
    np.testing.assert_allclose(FAM.working_variance(mu, y, None), 4.0 / SHAPE, rtol=0.05)
