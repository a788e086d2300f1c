"""The lognormal family object: density and log CDF (NumPy and PyMC), mean, draws,
residual variance, and default priors on the scale of log y."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import hiermodels as hm
from hiermodels.errors import DataError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("lognormal")
ETA = np.array([-1.0, 0.0, 1.2, 2.5])
Y = np.array([0.1, 0.5, 3.7, 12.0])
SIGMA = 0.8


def test_log_density_is_scipy_s_lognormal(numpy_log_density):
    ll = numpy_log_density(FAM, "identity", eta=ETA, y=Y, aux={"sigma": SIGMA})
    expected = stats.lognorm.logpdf(Y, SIGMA, scale=np.exp(ETA))
    np.testing.assert_allclose(ll, expected, rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    args = dict(eta=ETA, y=Y, aux={"sigma": SIGMA})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "identity", **args),
        numpy_log_density(FAM, "identity", **args),
        rtol=1e-10,
    )


def test_log_cdf_is_scipy_s():
    eta, aux = ETA[None, None, :], {"sigma": np.full((1, 1), SIGMA)}
    lc = FAM.log_cdf("identity", eta=eta, y=Y, trials=None, aux=aux)
    expected = stats.lognorm.logcdf(Y, SIGMA, scale=np.exp(ETA))
    np.testing.assert_allclose(lc[0, 0], expected, rtol=1e-10)


def test_pymc_distribution_matches_scipy():
    import pymc as pm
    import pytensor.tensor as pt

    dist = FAM.pymc_distribution(
        eta=pt.as_tensor(ETA), link="identity", aux={"sigma": pt.as_tensor(SIGMA)}, trials=None
    )
    expected = stats.lognorm(SIGMA, scale=np.exp(ETA))
    np.testing.assert_allclose(pm.logp(dist, Y).eval(), expected.logpdf(Y), rtol=1e-10)
    # PyMC's normal log CDF differs from SciPy's by up to 1.3e-8 relative.
    np.testing.assert_allclose(pm.logcdf(dist, Y).eval(), expected.logcdf(Y), rtol=1e-7)


def test_mean_is_exp_of_eta_plus_half_sigma_squared_and_draws_have_it(response_moments):
    eta = 0.4
    aux = {"sigma": np.full((1, 1), SIGMA)}
    mean = FAM.expected_value("identity", eta=np.full((1, 1, 1), eta), aux=aux, trials=None)
    expected = math.exp(eta + SIGMA**2 / 2)
    assert mean[0, 0, 0] == pytest.approx(expected, rel=1e-14)
    # draw_response receives the inverse link, i.e. eta (the mean of log y)
    draws, m, _ = response_moments(FAM, eta, {"sigma": SIGMA})
    variance = (math.exp(SIGMA**2) - 1) * expected**2
    assert draws.min() > 0 and abs(m - expected) < 5 * math.sqrt(variance / draws.size)
    assert abs(np.log(draws).std() / SIGMA - 1) < 0.01


def test_residual_variance_is_sigma_squared():
    post = xr.Dataset({"sigma": (("chain", "draw"), [[0.5, 2.0]])})
    np.testing.assert_allclose(FAM.latent_residual_variance("identity", post), [[0.25, 4.0]])


def test_default_priors_are_on_the_scale_of_log_y():
    rng = np.random.default_rng(4)
    y = np.exp(rng.normal(5.0, 1.5, 40))
    df = pd.DataFrame({"y": y, "g": np.repeat(list("abcd"), 10)})
    priors = hm.Model("y ~ 1 + (1 | g)", df, family="lognormal").priors
    sd = float(np.std(np.log(y)))
    assert priors["Intercept"] == Prior("Normal", mu=float(np.mean(np.log(y))), sigma=2.5 * sd)
    assert priors["sigma"] == Prior("Exponential", lam=1.0 / sd)
    assert priors["sd|g|Intercept"] == Prior("HalfNormal", sigma=sd)


def test_response_must_be_positive():
    df = pd.DataFrame({"y": [1.0, -0.5, 2.0, 0.0], "g": list("aabb")})
    with pytest.raises(
        DataError, match=r"positive numbers \(> 0\); 2 rows do not \(first rows: \[1, 3\]"
    ):
        hm.Model("y ~ 1 + (1 | g)", df, family="lognormal")
