"""The hurdle Poisson family object: density, mean, zero-truncated draws, prior."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.hurdle_poisson import log1mexp
from hiermodels.spec.priors import Prior
from hiermodels.variance import latent_residual_variance

FAM = get_family("hurdle_poisson")
ETA = np.array([-1.0, 0.0, 1.2, 2.5, -6.0])
Y = np.array([0.0, 2.0, 1.0, 17.0, 1.0])
HU = 0.3


def by_scipy(y, mu, hu):
    positive = np.log(1 - hu) + stats.poisson.logpmf(y, mu) - np.log(stats.poisson.sf(0, mu))
    return np.where(y == 0, np.log(hu), positive)


def test_log_density_is_zeros_then_the_truncated_poisson(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y, aux={"hu": HU})
    np.testing.assert_allclose(ll, by_scipy(Y, np.exp(ETA), HU), rtol=1e-10)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    # PyMC's psi is 1 - hu.
    args = dict(eta=ETA, y=Y, aux={"hu": HU})
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", **args), numpy_log_density(FAM, "log", **args), rtol=1e-9
    )


def test_log1mexp_is_accurate_near_zero_and_far_below():
    x = np.array([-1e-20, -1e-8, -0.5, -1.0, -40.0, 0.0])
    with np.errstate(divide="ignore"):
        expected = [math.log(1e-20), math.log(-math.expm1(-1e-8)), math.log(1 - math.exp(-0.5))]
        expected += [math.log(1 - math.exp(-1.0)), math.log1p(-math.exp(-40.0)), -np.inf]
    np.testing.assert_allclose(log1mexp(x), expected, rtol=1e-14)


def test_expected_value_and_draws(response_moments):
    mu = 1.3
    aux = {"hu": np.full((1, 1), HU)}
    mean = FAM.expected_value("log", eta=np.full((1, 1, 1), math.log(mu)), aux=aux, trials=None)
    expected = (1 - HU) * mu / (1 - math.exp(-mu))
    assert mean[0, 0, 0] == pytest.approx(expected, rel=1e-14)
    draws, m, v = response_moments(FAM, mu, {"hu": HU})
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(np.mean(draws == 0) - HU) < 0.005
    assert abs(m - expected) < 5 * math.sqrt(v / draws.size)
    positive = draws[draws > 0]
    frequencies = np.bincount(positive, minlength=4)[1:4] / positive.size
    truncated = stats.poisson.pmf([1, 2, 3], mu) / (1 - math.exp(-mu))
    np.testing.assert_allclose(frequencies, truncated, atol=0.005)


def test_draws_stay_positive_when_the_count_mean_is_tiny():
    rng = np.random.default_rng(1)
    mean = np.full((1, 200, 3), 1e-6)
    draws = FAM.draw_response(mean, {"hu": np.zeros((1, 200))}, trials=None, rng=rng)
    assert (draws == 1).all()


def test_prior_meaning_and_no_variance_partition():
    assert FAM.default_prior("hu", scale=1.0) == Prior("Beta", alpha=1.0, beta=1.0)
    assert "P(y = 0)" in FAM.parameter_meanings["hu"]
    with pytest.raises(SpecError, match=r"family is 'hurdle_poisson'"):
        latent_residual_variance("hurdle_poisson", "log", None)


@pytest.mark.parametrize("family", ["hurdle_poisson", "hurdle_negative_binomial"])
def test_prior_predictive_draws_positive_counts_even_for_a_tiny_mean(family):
    # PyMC's own Hurdle distributions draw by rejection and fail here ("Truncation did
    # not converge"): mu is about exp(-12).
    df = pd.DataFrame({"y": [0, 1, 0, 2, 0, 1], "g": list("aabbcc")})
    priors = {"Intercept": Prior("Normal", mu=-12.0, sigma=0.1)}
    model = hm.Model("y ~ 1 + (1 | g)", df, family=family, priors=priors)
    tree = model.sample_prior_predictive(40, random_seed=2)
    draws = tree["prior_predictive"]["y"].values
    hu = tree["prior"]["hu"].values[..., None]
    assert draws.shape == (1, 40, 6) and draws.min() >= 0
    # a positive count of so small a mean is almost always 1
    assert set(np.unique(draws)) <= {0, 1}
    assert abs(np.mean(draws == 0) - hu.mean()) < 0.15
