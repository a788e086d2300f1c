"""The pilot of parameterization="auto" for families without a gaussian response."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import hiermodels as hm
from hiermodels.families import get_family
from hiermodels.families.links import inverse_link, link_function, mean_derivative
from hiermodels.working_pilot import pilot_dominance, pooled_fit

LINKS = ["identity", "log", "logit", "probit", "cloglog"]


@pytest.mark.parametrize("link", LINKS)
def test_link_inverts_the_inverse_link_and_the_derivative_is_its_slope(link):
    eta = np.linspace(-2.5, 2.5, 11)
    np.testing.assert_allclose(link_function(link, inverse_link(link, eta)), eta, atol=1e-9)
    h = 1e-6
    numeric = (inverse_link(link, eta + h) - inverse_link(link, eta - h)) / (2 * h)
    np.testing.assert_allclose(mean_derivative(link, eta), numeric, rtol=1e-6, atol=1e-9)


def _grouped(family: str, *, groups: int, per_group: int, seed: int, trials=None, slope=False):
    """Varying intercepts (SD 0.6), and with ``slope`` varying slopes of x (SD 0.4)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.uniform(-1, 1, g.size)
    eta = 0.3 + 0.8 * x + rng.normal(0, 0.6, groups)[g]
    if slope:
        eta += rng.normal(0, 0.4, groups)[g] * x
    frame = pd.DataFrame({"x": x, "g": [f"g{j:03d}" for j in g]})
    if family == "poisson":
        frame["exposure"] = rng.uniform(0.5, 3.0, g.size)
        frame["y"] = rng.poisson(frame["exposure"] * np.exp(eta))
        formula = "y ~ x + offset(log(exposure)) + (1 | g)"
    elif family == "binomial":
        frame["n"] = trials
        frame["y"] = rng.binomial(trials, expit(eta))
        formula = "y | trials(n) ~ x + (1 | g)"
    else:
        frame["y"] = rng.binomial(1, expit(eta))
        formula = "y ~ x + (1 | g)"
    if slope:
        formula = formula.replace("(1 | g)", "(1 + x | g)")
    return hm.Model(formula, frame, family=family)


def test_pooled_poisson_fit_solves_the_score_equations():
    model = _grouped("poisson", groups=20, per_group=10, seed=1)
    eta, _, _ = pooled_fit(model.design, get_family("poisson"), "log")
    residual = model.design.y - np.exp(eta)  # canonical link: X'(y - mu) = 0 at the MLE
    np.testing.assert_allclose(model.design.fixed.matrix.T @ residual, 0.0, atol=1e-6)


def test_many_trials_per_level_determine_the_effects_and_one_binary_row_does_not():
    many = _grouped("binomial", groups=30, per_group=10, seed=2, trials=50)
    one = _grouped("bernoulli", groups=200, per_group=1, seed=3)
    share_many = pilot_dominance(many.design, get_family("binomial"), "logit")["g"]
    share_one = pilot_dominance(one.design, get_family("bernoulli"), "logit")["g"]
    assert share_many > 0.95, share_many
    assert share_one < 0.3, share_one
    assert many.parameterization == {"g": "centered"}
    assert one.parameterization == {"g": "non_centered"}


def test_bernoulli_with_thirty_rows_per_level_stays_non_centred():
    # Measured (4 x 1000 draws, seeds 15-17 of tests/test_families.py's simulation): the
    # non-centred draws had 1.4-4.4 times the smallest bulk ESS of the centred ones on
    # this design; the pilot says 0.5-0.6 there.
    model = _grouped("bernoulli", groups=50, per_group=30, seed=4, slope=True)
    share = pilot_dominance(model.design, get_family("bernoulli"), "logit")["g"]
    assert share < 0.75, share
    assert model.parameterization == {"g": "non_centered"}


def test_counts_per_level_make_poisson_centred():
    model = _grouped("poisson", groups=50, per_group=30, seed=5)
    assert model.parameterization == {"g": "centered"}


def test_one_row_per_level_stays_non_centred_however_many_trials():
    # One row per level: the working REML cannot tell the residual scale from the
    # factor's SD, so the pilot is not consulted (the rat tumours of the agreement matrix).
    model = _grouped("binomial", groups=60, per_group=1, seed=6, trials=200)
    assert model.parameterization == {"g": "non_centered"}
