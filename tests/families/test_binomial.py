"""The binomial family object: density per link, draws, latent variance, response check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hiermodels.errors import DataError
from hiermodels.families import get_family

FAM = get_family("binomial")
ETA = np.array([-1.2, 0.0, 0.7, 2.5])
Y = np.array([0.0, 3.0, 7.0, 10.0])
N = np.array([5.0, 6.0, 7.0, 12.0])
P = {
    "logit": 1 / (1 + np.exp(-ETA)),
    "probit": stats.norm.cdf(ETA),
    "cloglog": 1 - np.exp(-np.exp(ETA)),
}


@pytest.mark.parametrize("link", FAM.links)
def test_log_density_is_the_binomial_one(link, numpy_log_density):
    ll = numpy_log_density(FAM, link, eta=ETA, y=Y, trials=N)
    np.testing.assert_allclose(ll, stats.binom.logpmf(Y, N, P[link]), rtol=1e-10)


@pytest.mark.parametrize("link", FAM.links)
def test_pymc_and_numpy_densities_agree(link, pymc_log_density, numpy_log_density):
    # PyMC computes the probit and negative binomial densities slightly differently from
    # SciPy (up to 4e-8 relative, in every compile mode).
    args = dict(eta=ETA, y=Y, trials=N)
    np.testing.assert_allclose(
        pymc_log_density(FAM, link, **args), numpy_log_density(FAM, link, **args), rtol=1e-6
    )


def test_logit_density_stays_finite_far_out(numpy_log_density):
    ll = numpy_log_density(FAM, "logit", eta=np.array([-800.0, 800.0]), y=[0.0, 4.0], trials=4.0)
    np.testing.assert_allclose(ll, [0.0, 0.0], atol=1e-300)


def test_draws_have_mean_np_and_variance_npq(response_moments):
    n, p = 12.0, 0.3
    draws, mean, var = response_moments(FAM, p, {}, trials=np.array([n]))
    assert draws.dtype == np.int64 and draws.min() >= 0 and draws.max() <= n
    assert abs(mean - n * p) < 5 * math.sqrt(n * p * (1 - p) / draws.size)
    assert abs(var / (n * p * (1 - p)) - 1) < 0.02


def test_draws_need_the_trials():
    with pytest.raises(DataError, match="need the number of trials"):
        FAM.draw_response(np.full((1, 1, 1), 0.5), {}, trials=None, rng=np.random.default_rng(0))


def test_latent_residual_variance_is_the_link_s():
    assert FAM.latent_residual_variance("logit", None) == pytest.approx(math.pi**2 / 3)
    assert FAM.latent_residual_variance("probit", None) == 1.0


def test_response_must_be_non_negative_integers():
    index = pd.RangeIndex(3)
    FAM.check_response(np.array([0.0, 2.0, 5.0]), "k", index)
    with pytest.raises(DataError, match=r"integer counts between 0 and the number of trials"):
        FAM.check_response(np.array([0.0, -1.0, 2.5]), "k", index)
    assert FAM.needs_trials and FAM.counts
