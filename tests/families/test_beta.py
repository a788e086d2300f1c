"""The beta family object: density, draws, prior of phi, the (0, 1) response check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import hiermodels as hm
from hiermodels.errors import DataError, SpecError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior
from hiermodels.variance import latent_residual_variance

FAM = get_family("beta")
ETA = np.array([-1.0, 0.0, 1.2, 2.5, -30.0])
Y = np.array([0.1, 0.5, 0.7, 0.99, 1e-9])
PHI = 7.0


def test_log_density_is_scipy_s_beta_with_mean_and_precision(numpy_log_density):
    ll = numpy_log_density(FAM, "logit", eta=ETA, y=Y, aux={"phi": PHI})
    mu = expit(ETA)
    np.testing.assert_allclose(ll, stats.beta.logpdf(Y, mu * PHI, (1 - mu) * PHI), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    args = dict(eta=ETA, y=Y, aux={"phi": PHI})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "logit", **args), numpy_log_density(FAM, "logit", **args), rtol=1e-9
    )


def test_draws_have_mean_mu_and_variance_mu_one_minus_mu_over_one_plus_phi(response_moments):
    mu = 0.3
    variance = mu * (1 - mu) / (1 + PHI)
    draws, mean, var = response_moments(FAM, mu, {"phi": PHI})
    assert draws.dtype == np.float64 and 0 < draws.min() and draws.max() < 1
    assert abs(mean - mu) < 5 * math.sqrt(variance / draws.size)
    assert abs(var / variance - 1) < 0.02
    eta = np.full((1, 1, 1), math.log(mu / (1 - mu)))
    expected = FAM.expected_value("logit", eta=eta, aux={"phi": np.ones((1, 1))}, trials=None)
    assert expected[0, 0, 0] == pytest.approx(mu, rel=1e-14)


def test_prior_meaning_and_no_variance_partition():
    assert FAM.default_prior("phi", scale=1.0) == Prior("LogNormal", mu=2.3, sigma=2.0)
    assert "var = mu (1 - mu) / (1 + phi)" in FAM.parameter_meanings["phi"]
    with pytest.raises(SpecError, match=r"family is 'beta'"):
        latent_residual_variance("beta", "logit", None)


def test_response_must_lie_strictly_between_zero_and_one():
    index = pd.Index(["a", "b", "c", "d"])
    FAM.check_response(np.array([0.1, 0.5, 0.999, 1e-6]), "p", index)
    with pytest.raises(
        DataError,
        match=r"'p' must hold proportions strictly between 0 and 1 \(no exact 0 or 1\); 2 rows "
        r"do not \(first rows: \['b', 'd'\], values \[0.0, 1.0\]\)",
    ):
        FAM.check_response(np.array([0.1, 0.0, 0.5, 1.0]), "p", index)


def test_model_refuses_a_response_on_the_boundary():
    df = pd.DataFrame({"p": [0.2, 1.0, 0.4, 0.5], "g": list("aabb")})
    with pytest.raises(DataError, match=r"1 rows do not \(first rows: \[1\], values \[1.0\]\)"):
        hm.Model("p ~ 1 + (1 | g)", df, family="beta")
    with pytest.raises(SpecError, match=r"'log' is not available for family 'beta'"):
        hm.Model("p ~ 1", df.assign(p=0.5), family="beta", link="log")


def test_working_variance_estimates_phi_by_moments():
    rng = np.random.default_rng(3)
    mu = np.full(20000, 0.4)
    y = rng.beta(mu * 9.0, (1 - mu) * 9.0)
    np.testing.assert_allclose(FAM.working_variance(mu, y, None), 0.24 / 10.0, rtol=0.05)
