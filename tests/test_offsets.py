"""Offsets: ``offset(log(exposure))`` enters the linear predictor with coefficient 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import DataError
from hiermodels.linear_predictor import linear_predictor


@pytest.fixture()
def counts():
    rng = np.random.default_rng(8)
    return pd.DataFrame(
        {
            "y": rng.poisson(4, size=30),
            "exposure": rng.uniform(1, 5, size=30),
            "g": np.repeat(["a", "b", "c"], 10),
        }
    )


def test_offset_is_evaluated_and_kept_in_the_formula(counts):
    model = hm.Model("y ~ 1 + offset(log(exposure)) + (1 | g)", counts, family="poisson")
    np.testing.assert_allclose(model.design.offset, np.log(counts["exposure"]))
    assert model.formula == "y ~ 1 + offset(log(exposure)) + (1 | g)"
    # the default intercept prior is centred on log(mean y) - mean(log exposure)
    expected = np.log(counts["y"].mean()) - np.log(counts["exposure"]).mean()
    assert model.priors["Intercept"].params["mu"] == pytest.approx(expected)


def test_linear_predictor_adds_the_offset(counts):
    model = hm.Model("y ~ 1 + offset(log(exposure)) + (1 | g)", counts, family="poisson")
    zeros = model.sample_prior_predictive(5, random_seed=1)["prior"].to_dataset()
    for name in zeros.data_vars:
        zeros[name] = zeros[name] * 0.0
    eta = linear_predictor(zeros, model.design)
    np.testing.assert_allclose(eta[0, 0], np.log(counts["exposure"]))


def test_offset_of_non_positive_exposure_is_a_clear_error(counts):
    bad = counts.assign(exposure=counts["exposure"].where(counts.index != 3, 0.0))
    with pytest.raises(DataError, match=r"offset\(log\(exposure\)\) is not finite in 1 row"):
        hm.Model("y ~ 1 + offset(log(exposure)) + (1 | g)", bad, family="poisson")
