"""The zero-inflated Poisson family object: density, mean, draws, prior, checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import DataError, SpecError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior
from hiermodels.variance import latent_residual_variance

FAM = get_family("zero_inflated_poisson")
ETA = np.array([-1.0, 0.0, 1.2, 2.5, 0.3])
Y = np.array([0.0, 2.0, 0.0, 17.0, 1.0])
ZI = 0.3


def by_scipy(y, mu, zi):
    count = stats.poisson.logpmf(y, mu)
    return np.where(y == 0, np.log(zi + (1 - zi) * np.exp(count)), np.log(1 - zi) + count)


def test_log_density_is_the_mixture_of_zeros_and_poisson(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux={"zi": ZI})
    np.testing.assert_allclose(ll, by_scipy(Y, np.exp(ETA), ZI), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    # PyMC's psi is the probability of the count component, 1 - zi.
    args = dict(eta=ETA, y=Y, aux={"zi": ZI})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-10
    )


def test_zi_near_zero_is_the_poisson(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux={"zi": 1e-300})
    np.testing.assert_allclose(ll, stats.poisson.logpmf(Y, np.exp(ETA)), rtol=1e-12)


def test_expected_value_and_draws(response_moments):
    mu = 3.5
    mean = FAM.expected_value(
        "log", eta=np.full((1, 1, 1), math.log(mu)), aux={"zi": np.full((1, 1), ZI)}, trials=None
    )
    assert mean[0, 0, 0] == pytest.approx((1 - ZI) * mu, rel=1e-14)
    variance = (1 - ZI) * mu * (1 + ZI * mu)
    draws, m, v = response_moments(FAM, mu, {"zi": ZI})
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(m - (1 - ZI) * mu) < 5 * math.sqrt(variance / draws.size)
    assert abs(v / variance - 1) < 0.03
    assert abs(np.mean(draws == 0) - (ZI + (1 - ZI) * math.exp(-mu))) < 0.005


def test_prior_meaning_and_no_variance_partition():
    assert FAM.default_prior("zi", scale=1.0) == Prior("Beta", alpha=1.0, beta=1.0)
    assert "P(structural zero)" in FAM.parameter_meanings["zi"]
    assert FAM.parameters == ("zi",) and FAM.links == ("log",) and FAM.counts
    with pytest.raises(SpecError, match=r"family is 'zero_inflated_poisson'"):
        latent_residual_variance("zero_inflated_poisson", "log", None)


def test_response_must_be_counts():
    with pytest.raises(DataError, match=r"non-negative integer counts; 2 rows do not.*\[1, 2\]"):
        FAM.check_response(np.array([1.0, -2.0, 0.5]), "n", pd.RangeIndex(3))


def test_model_shows_the_default_prior_of_zi():
    df = pd.DataFrame({"y": [0, 3, 0, 1, 0, 2], "g": list("aabbcc")})
    table = hm.Model("y ~ 1 + (1 | g)", df, family="zero_inflated_poisson").prior_summary()
    assert table.loc["zi", "prior"] == "Beta(alpha=1, beta=1)"
    assert table.loc["zi", "source"] == "default"
