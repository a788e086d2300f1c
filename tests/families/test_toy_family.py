"""A family defined in this file, registered, fitted, predicted and cross-validated.

The whole family is the class below: declarations, default prior, PyMC likelihood, NumPy
log density and response draws. Registering it is one call; nothing else in hiermodels
changes.
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import ParetoKWarning, SpecError
from hiermodels.families import Family
from hiermodels.spec.priors import Prior

TRUE_SPREAD = 0.7


class Laplace(Family):
    """``y ~ Laplace(eta, spread)``: double-exponential errors, variance ``2 spread²``."""

    name = "laplace_toy"
    links = ("identity",)
    parameters = ("spread",)
    support = "real"
    response_scale = True
    parameter_meanings = MappingProxyType({"spread": "scale of the double-exponential errors"})

    def default_prior(self, parameter, *, scale):
        return Prior("Exponential", lam=1.0 / scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        return pm.Laplace(name, mu=eta, b=aux["spread"], observed=observed, dims=dims)

    def log_likelihood(self, link, *, eta, y, trials, aux):
        b = np.asarray(aux["spread"])[..., None]
        return -np.log(2 * b) - np.abs(y - eta) / b

    def draw_response(self, mean, aux, *, trials, rng):
        return rng.laplace(mean, np.asarray(aux["spread"])[..., None])


@pytest.fixture(scope="module")
def laplace():
    family = hm.families.register(Laplace())
    try:
        yield family
    finally:
        hm.families.unregister(family.name)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(8), 40)
    x = rng.normal(size=g.size)
    u = rng.normal(0, 0.5, 8)
    y = 1.0 + 0.5 * x + u[g] + rng.laplace(0, TRUE_SPREAD, g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"s{j}" for j in g]})


@pytest.fixture(scope="module")
def fit(laplace, data):
    # 40 rows per level: the data determine the effects, so the centred form samples well.
    model = hm.Model("y ~ x + (1 | g)", data, family=laplace.name, parameterization="centered")
    return model.fit(draws=200, tune=400, chains=2, random_seed=3, progressbar=False)


def test_the_model_uses_the_family(fit):
    assert fit.model.priors["spread"] == Prior("Exponential", lam=1.0 / np.std(fit.design.y))
    rv = fit.model.pymc_model[fit.design.response_name]
    assert type(rv.owner.op).__name__ == "LaplaceRV"
    spread = fit.posterior["spread"]
    assert abs(float(spread.mean()) - TRUE_SPREAD) < 4 * float(spread.std())


def test_log_likelihood_and_loo_use_the_family_density(fit):
    post = fit.posterior
    eta = fit.predict(kind="mean")["predictions"]["y"].values
    b = post["spread"].values[..., None]
    expected = -np.log(2 * b) - np.abs(fit.design.y - eta) / b
    stored = fit.idata["log_likelihood"]["y"].values
    np.testing.assert_allclose(stored, expected, rtol=1e-12)
    with warnings.catch_warnings():
        # A few hundred draws may leave a row with a high Pareto k; LOO still runs.
        warnings.simplefilter("ignore", ParetoKWarning)
        loo = fit.loo()
    assert np.isfinite(loo.elpd) and loo.elpd_i.shape == (fit.design.n_obs,)


def test_predictions_draw_from_the_family(fit):
    new = pd.DataFrame({"x": [0.0] * 4, "g": ["s0", "s0", "new", "new"]})
    mean = fit.predict(new)["predictions"]["y"].values
    draws = fit.predict(new, kind="response", new_groups="population", random_seed=2)
    values = draws["predictions"]["y"].values
    assert values.shape == mean.shape == (2, 200, 4)
    # The spread of the draws around the mean is the Laplace one: variance 2 spread².
    base = fit.predict(new, new_groups="population")["predictions"]["y"].values
    ratio = np.mean((values - base) ** 2) / np.mean(2 * fit.posterior["spread"].values ** 2)
    assert 0.8 < ratio < 1.25


def test_summary_lists_the_family_parameter_and_refuses_the_icc(fit):
    text = str(fit.summary())
    assert "Family: laplace_toy (link = identity)" in text
    assert "spread: scale of the double-exponential errors" in text
    with pytest.raises(SpecError, match=r"families \['gaussian', 'bernoulli', 'binomial'"):
        fit.icc()


def test_unregistered_family_is_unknown_again():
    family = hm.families.register(type("Other", (Laplace,), {"name": "other_toy"})())
    hm.families.unregister(family.name)
    with pytest.raises(SpecError, match=r"Unknown family 'other_toy'; valid families are \["):
        hm.Model("y ~ 1", pd.DataFrame({"y": [1.0, 2.0]}), family="other_toy")
