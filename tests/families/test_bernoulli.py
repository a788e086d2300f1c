"""The Bernoulli family object: density per link, draws, latent variance, response check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hiermodels.errors import DataError
from hiermodels.families import get_family

FAM = get_family("bernoulli")
ETA = np.array([-1.2, 0.0, 0.7, 2.5])
Y = np.array([0.0, 1.0, 1.0, 0.0])
P = {
    "logit": 1 / (1 + np.exp(-ETA)),
    "probit": stats.norm.cdf(ETA),
    "cloglog": 1 - np.exp(-np.exp(ETA)),
}


@pytest.mark.parametrize("link", FAM.links)
def test_log_density_is_the_bernoulli_one(link, numpy_log_density):
    ll = numpy_log_density(FAM, link, eta=ETA, y=Y)
    np.testing.assert_allclose(ll, stats.bernoulli.logpmf(Y, P[link]), rtol=1e-10)


@pytest.mark.parametrize("link", FAM.links)
def test_pymc_and_numpy_densities_agree(link, pymc_log_density, numpy_log_density):
    # PyMC computes the probit and negative binomial densities slightly differently from
    # SciPy (up to 4e-8 relative, in every compile mode).
    np.testing.assert_allclose(
        pymc_log_density(FAM, link, eta=ETA, y=Y),
        numpy_log_density(FAM, link, eta=ETA, y=Y),
        rtol=1e-6,
    )


def test_draws_are_zero_one_with_mean_p(response_moments):
    draws, mean, var = response_moments(FAM, 0.3, {})
    assert draws.dtype == np.int64 and set(np.unique(draws)) == {0, 1}
    assert abs(mean - 0.3) < 5 * math.sqrt(0.21 / draws.size)
    assert abs(var / 0.21 - 1) < 0.02


@pytest.mark.parametrize(
    ("link", "variance"), [("logit", math.pi**2 / 3), ("probit", 1.0), ("cloglog", math.pi**2 / 6)]
)
def test_latent_residual_variance_per_link(link, variance):
    assert FAM.latent_residual_variance(link, None) == pytest.approx(variance, rel=1e-15)


def test_response_must_be_zero_or_one():
    index = pd.Index(["a", "b", "c", "d"])
    FAM.check_response(np.array([0.0, 1.0, 1.0, 0.0]), "y", index)
    with pytest.raises(DataError, match=r"0/1 or boolean values; 2 rows do not.*\['b', 'd'\]"):
        FAM.check_response(np.array([0.0, 2.0, 1.0, 0.5]), "y", index)
