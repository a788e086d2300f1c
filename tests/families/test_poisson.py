"""The Poisson family object: density, draws, no residual variance, response check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from hiermodels.errors import DataError
from hiermodels.families import get_family

FAM = get_family("poisson")
ETA = np.array([-1.0, 0.0, 1.2, 2.5])
Y = np.array([0.0, 2.0, 1.0, 17.0])


def test_log_density_is_the_poisson_one(numpy_log_density):
    ll = numpy_log_density(FAM, "log", eta=ETA, y=Y)
    np.testing.assert_allclose(ll, Y * ETA - np.exp(ETA) - gammaln(Y + 1), rtol=1e-12)


def test_pymc_and_numpy_densities_agree(pymc_log_density, numpy_log_density):
    np.testing.assert_allclose(
        pymc_log_density(FAM, "log", eta=ETA, y=Y), numpy_log_density(FAM, "log", eta=ETA, y=Y)
    )


def test_draws_have_mean_and_variance_mu(response_moments):
    draws, mean, var = response_moments(FAM, 3.5, {})
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(mean - 3.5) < 5 * math.sqrt(3.5 / draws.size)
    assert abs(var / 3.5 - 1) < 0.02


def test_response_must_be_counts():
    with pytest.raises(DataError, match=r"non-negative integer counts; 2 rows do not"):
        FAM.check_response(np.array([1.0, -2.0, 0.5]), "n", pd.RangeIndex(3))
    assert FAM.counts and not FAM.has_latent_variance and FAM.parameters == ()


def test_has_no_parameters_with_priors():
    from hiermodels.errors import PriorError

    with pytest.raises(PriorError):
        FAM.default_prior("alpha", scale=1.0)
