"""Prior-predictive draws match the stated priors' moments; user priors change the model."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm

DRAWS = 4000


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(8), 5)
    return pd.DataFrame(
        {"y": rng.normal(10, 2, g.size), "x": rng.normal(size=g.size), "g": [f"g{j}" for j in g]}
    )


@pytest.fixture(scope="module")
def user_prior_draws(frame):
    priors = {
        "Intercept": hm.Prior("Normal", mu=10, sigma=2),
        "sd": hm.Prior("HalfNormal", sigma=1),
        "sigma": hm.Prior("Exponential", lam=2),
    }
    model = hm.Model("y ~ 1 + (1 | g)", frame, priors=priors)
    return model, model.sample_prior_predictive(DRAWS, random_seed=3)


def _within(value, target, se, k=4.0):
    return abs(value - target) < k * se


def test_prior_draws_match_stated_moments(user_prior_draws):
    _, tree = user_prior_draws
    prior = tree["prior"]
    n = DRAWS
    # the intercept prior applies to the sampled intercept (at centred predictors and
    # centred group effects); see hiermodels.backend.pymc
    intercept = prior["Intercept_centered"].values.ravel()
    assert _within(intercept.mean(), 10, 2 / np.sqrt(n))
    assert _within(intercept.std(), 2, 2 / np.sqrt(2 * n))
    sd = prior["sd_g"].values.ravel()
    half_normal_mean, half_normal_sd = np.sqrt(2 / np.pi), np.sqrt(1 - 2 / np.pi)
    assert _within(sd.mean(), half_normal_mean, half_normal_sd / np.sqrt(n))
    sigma = prior["sigma"].values.ravel()
    assert _within(sigma.mean(), 0.5, 0.5 / np.sqrt(n))


def test_prior_predictive_variance_is_the_sum_of_components(user_prior_draws):
    """y = a + (r_j - mean(r)) + e, so with J = 8 levels
    Var(y) = Var(a) + E[sd^2] (1 - 1/J) + E[sigma^2] = 4 + 7/8 + 2 / lam^2 = 5.375."""
    _, tree = user_prior_draws
    y = tree["prior_predictive"]["y"].values.reshape(DRAWS, -1)
    variance = y[:, 0].var()
    assert abs(variance - 5.375) < 0.1 * 5.375
    assert tree["prior_predictive"]["y"].dims == ("chain", "draw", "obs")


def test_default_priors_are_what_prior_summary_says(frame):
    model = hm.Model("y ~ x + (1 | g)", frame)
    summary = model.prior_summary()
    y_sd = frame["y"].std(ddof=0)
    assert summary.loc["Intercept", "prior"] == str(
        hm.Prior("Normal", mu=float(frame["y"].mean()), sigma=2.5 * y_sd)
    )
    tree = model.sample_prior_predictive(DRAWS, random_seed=4)
    intercept_c = tree["prior"]["Intercept_centered"].values.ravel()
    assert _within(intercept_c.std(), 2.5 * y_sd, 2.5 * y_sd / np.sqrt(2 * DRAWS))
    slope = tree["prior"]["b"].values.ravel()
    expected = 2.5 * y_sd / frame["x"].std(ddof=0)
    assert _within(slope.std(), expected, expected / np.sqrt(2 * DRAWS))
    assert set(summary["source"]) == {"default"}


def test_user_prior_changes_the_graph(frame):
    default = hm.Model("y ~ x + (1 | g)", frame)
    custom = hm.Model(
        "y ~ x + (1 | g)", frame, priors={"b": hm.Prior("StudentT", nu=3, mu=0, sigma=1)}
    )
    op = type(custom.pymc_model["b"].owner.op).__name__.lower()
    default_op = type(default.pymc_model["b"].owner.op).__name__.lower()
    assert "studentt" in op and "normal" in default_op
    assert custom.prior_summary().loc["x", "source"] == "user (b)"


def test_prior_predictive_plot_renders(frame, tmp_path):
    model = hm.Model("y ~ 1 + (1 | g)", frame)
    pc = model.plot_prior_predictive(200, random_seed=1)
    pc.savefig(tmp_path / "prior.png")
    assert (tmp_path / "prior.png").stat().st_size > 5_000


def test_prior_predictive_plot_does_not_log_pymcs_variable_list(frame, caplog):
    model = hm.Model("y ~ x + (1 | g)", frame)
    forward = logging.getLogger("pymc.sampling.forward")
    with caplog.at_level(logging.INFO):
        model.plot_prior_predictive(50, random_seed=1)
        assert not [r.getMessage() for r in caplog.records if "Sampling: [" in r.getMessage()]
        # only within the call: the message shows again for PyMC's own calls
        forward.info("Sampling: [y]")
    assert caplog.records[-1].getMessage() == "Sampling: [y]"
    assert forward.filters == []
