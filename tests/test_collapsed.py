"""The collapsed (marginal) gaussian likelihood and the conditional group-effect draws.

Three kinds of check, each against a known answer:

- the collapsed log-density equals a dense multivariate-normal evaluation
  (``scipy.stats.multivariate_normal`` with ``V = Z Sigma Z' + sigma^2 I``) to 1e-8, at
  random parameter values, for one correlated factor, uncorrelated terms, crossed and
  nested factors (the others sampled) and an offset;
- the conditional draws have the analytic precision-weighted mean and variance;
- ``method="marginal"`` and ``method="full"`` give the same posterior within Monte Carlo
  error on a small case (slow).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import multivariate_normal

import hiermodels as hm
from hiermodels import naming
from hiermodels.collapsed import collapsible_factor, conditional_group_effects
from hiermodels.errors import SpecError
from hiermodels.linear_predictor import group_contribution


def _offset_frame():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(12), 5)
    x = rng.normal(size=60)
    exposure = rng.uniform(0.5, 2.0, size=60)
    y = 1.0 + 0.5 * x + np.log(exposure) + rng.normal(0, 0.7, 12)[g] + rng.normal(0, 0.3, 60)
    return pd.DataFrame({"y": y, "x": x, "log_e": np.log(exposure), "g": g.astype(str)})


CASES = {
    "correlated": ("Reaction ~ Days + (Days | Subject)", "sleepstudy"),
    "uncorrelated": ("height ~ age + (age || Subject)", "Oxboys"),
    "crossed": ("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin"),
    "nested": ("strength ~ 1 + (1 | batch/cask)", "Pastes"),
    "offset": ("y ~ x + offset(log_e) + (1 | g)", None),
}


def _dense_logpdf(model, values: dict) -> float:
    """log N(y | X beta + offset + sampled factors, Z Sigma Z' + sigma^2 I), densely."""
    design = model.design
    factor = model.collapsed_factor()
    g = design.group(factor)
    beta = [float(values[naming.INTERCEPT])] if design.fixed.has_intercept else []
    if naming.SLOPES in values:
        beta += list(np.atleast_1d(values[naming.SLOPES]))
    mean = design.fixed.matrix @ np.array(beta)
    if design.offset is not None:
        mean = mean + design.offset
    for h in design.groups:
        if h.name != factor:
            mean = mean + group_contribution(values[naming.effects_name(h.name)], h)
    sd = np.atleast_1d(values[naming.sd_name(g.name)])
    cor = values.get(naming.cor_name(g.name), np.eye(len(sd)))
    Sigma = np.outer(sd, sd) * cor
    q = len(g.terms)
    Z = np.zeros((design.n_obs, g.n_levels * q))
    for i, code in enumerate(g.codes[:, 0]):
        Z[i, code * q : (code + 1) * q] = g.Z[i]
    V = (
        values[naming.SIGMA] ** 2 * np.eye(design.n_obs)
        + Z @ np.kron(np.eye(g.n_levels), Sigma) @ Z.T
    )
    return float(multivariate_normal(mean, V).logpdf(design.y))


@pytest.mark.parametrize("case", list(CASES))
def test_collapsed_logp_matches_dense_multivariate_normal(case):
    formula, dataset = CASES[case]
    data = _offset_frame() if dataset is None else hm.datasets.load(dataset)
    model = hm.Model(formula, data)
    factor = model.collapsed_factor("marginal")
    pm_model = model.collapsed_model(factor)
    (potential,) = pm_model.potentials
    names = [naming.INTERCEPT, naming.SIGMA, naming.sd_name(factor)]
    names += [n for n in (naming.SLOPES, naming.cor_name(factor)) if n in pm_model.named_vars]
    names += [naming.effects_name(h.name) for h in model.design.groups if h.name != factor]
    outputs = pm_model.replace_rvs_by_values([potential] + [pm_model[n] for n in names])
    fn = pm_model.compile_fn(
        outputs, inputs=pm_model.value_vars, mode="FAST_COMPILE", on_unused_input="ignore"
    )
    rng = np.random.default_rng(11)
    for _ in range(3):
        point = {
            k: v + rng.normal(0, 0.4, size=np.shape(v)) for k, v in pm_model.initial_point().items()
        }
        logp, *values = fn(point)
        expected = _dense_logpdf(model, dict(zip(names, values)))
        assert abs(logp - expected) < 1e-8 * max(1.0, abs(expected))


def test_factor_choice():
    pastes = hm.Model("strength ~ 1 + (1 | batch/cask)", hm.datasets.load("Pastes"))
    assert collapsible_factor(pastes.design) == "batch:cask"
    assert pastes.collapsed_factor("full") is None


def test_crossed_factors_collapse_the_least_determined_one():
    """Crossed: the pilot picks the factor the data determine least; nested: the inner."""
    rng = np.random.default_rng(3)
    n = 2000
    a, b = rng.normal(0, 1.0, 100), rng.normal(0, 0.1, 10)
    A, B = rng.integers(0, 100, n), rng.integers(0, 10, n)
    frame = pd.DataFrame(
        {
            "y": a[A] + b[B] + rng.normal(size=n),
            "A": [f"a{i}" for i in A],
            "B": [f"b{i}" for i in B],
        }
    )
    model = hm.Model("y ~ 1 + (1 | A) + (1 | B)", frame)
    shares = model._data_dominance()
    # kappa = n_j tau^2 / sigma^2: about 20 for A, about 2 for B
    assert shares["B"] < shares["A"]
    assert collapsible_factor(model.design) == "A"  # without the pilot: most levels
    assert model.collapsed_factor() == "B"
    pastes = hm.Model("strength ~ 1 + (1 | batch/cask)", hm.datasets.load("Pastes"))
    assert pastes._data_dominance()["batch"] < pastes._data_dominance()["batch:cask"]
    assert pastes.collapsed_factor() == "batch:cask"


def test_marginal_errors_name_the_problem():
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(SpecError, match=r"Unknown method 'collapsed'.*'auto', 'marginal', 'full'"):
        model.fit(method="collapsed")
    counts = sleep.assign(n=(sleep["Reaction"] // 10).astype(int))
    poisson = hm.Model("n ~ Days + (1 | Subject)", counts, family="poisson")
    assert poisson.collapsed_factor() is None
    with pytest.raises(SpecError, match="family is 'poisson'"):
        poisson.fit(method="marginal")
    rng = np.random.default_rng(0)
    mm = pd.DataFrame(
        {
            "y": rng.normal(size=40),
            "s1": rng.choice(list("abcd"), 40),
            "s2": rng.choice(list("abcd"), 40),
        }
    )
    mm_model = hm.Model("y ~ 1 + (1 | mm(s1, s2))", mm)
    assert mm_model.collapsed_factor() is None
    with pytest.raises(SpecError, match="multiple-membership"):
        mm_model.fit(method="marginal")


def test_conditional_draws_have_the_precision_weighted_moments():
    """Fixed (sigma, tau, mu): b_j | y ~ N(prec-weighted mean, 1 / (n_j/sigma^2 + 1/tau^2))."""
    rng = np.random.default_rng(5)
    sizes = np.array([1, 2, 5, 20, 50])
    g = np.repeat(np.arange(5), sizes)
    y = rng.normal(0, 1, len(g)) + np.array([-2.0, 0.0, 1.0, 2.0, 3.0])[g]
    frame = pd.DataFrame({"y": y, "g": np.array(list("abcde"))[g]})
    model = hm.Model("y ~ 1 + (1 | g)", frame)
    mu, sigma, tau, draws = 0.4, 1.3, 0.9, 20000
    posterior = xr.Dataset(
        {
            naming.INTERCEPT: (("chain", "draw"), np.full((1, draws), mu)),
            naming.SIGMA: (("chain", "draw"), np.full((1, draws), sigma)),
            naming.sd_name("g"): (("chain", "draw", "g__term"), np.full((1, draws, 1), tau)),
        }
    )
    b = conditional_group_effects(posterior, model.design, "g", rng=np.random.default_rng(1))
    levels = list(model.design.group("g").levels)
    order = [levels.index(c) for c in "abcde"]
    b = b[0, :, order, 0]
    ybar = np.array([y[g == j].mean() for j in range(5)])
    precision = sizes / sigma**2 + 1 / tau**2
    mean = (sizes / sigma**2 * (ybar - mu)) / precision
    sd = 1 / np.sqrt(precision)
    # Monte Carlo: mean within 4 standard errors, SD within 3% (20,000 draws).
    assert np.all(np.abs(b.mean(axis=1) - mean) < 4 * sd / np.sqrt(draws))
    assert np.all(np.abs(b.std(axis=1) / sd - 1) < 0.03)


@pytest.fixture(scope="module")
def sleep_fits():
    model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        return {
            method: model.fit(method=method, random_seed=7, progressbar=False)
            for method in ("marginal", "full")
        }


@pytest.mark.slow
def test_marginal_and_full_agree_within_monte_carlo_error(sleep_fits):
    """Same posterior: means differ by < 0.15 posterior SD (MC error ~0.03 SD here)."""
    marginal, full = sleep_fits["marginal"], sleep_fits["full"]
    assert marginal.idata.attrs["method"] == "marginal"
    assert marginal.idata.attrs["collapsed_factor"] == "Subject"
    assert full.idata.attrs["method"] == "full"
    for table in ("fixed_effects", "variance_components"):
        a, b = getattr(marginal, table)(), getattr(full, table)()
        z = (a["mean"] - b["mean"]) / b["sd"]
        assert np.all(np.abs(z) < 0.15), z
    ga, gb = marginal.group_effects("Subject"), full.group_effects("Subject")
    z = (ga["mean"] - gb["mean"]) / gb["sd"]
    assert np.all(np.abs(z) < 0.15), z.abs().max()
    assert np.all(np.abs(ga["sd"] / gb["sd"] - 1) < 0.15)
    assert set(marginal.posterior.data_vars) >= {
        naming.INTERCEPT,
        naming.SLOPES,
        naming.SIGMA,
        naming.sd_name("Subject"),
        naming.cor_name("Subject"),
        naming.effects_name("Subject"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ParetoKWarning)
        loo_marginal, loo_full = marginal.loo(), full.loo()
    # The same conditional pointwise log-likelihood: ELPDs agree to a fraction of their SE.
    assert abs(loo_marginal.elpd - loo_full.elpd) < 0.2 * loo_full.se


def test_unnamed_factors_keep_the_automatic_parameterisation():
    pen = hm.datasets.load("Penicillin")
    formula = "diameter ~ 1 + (1 | plate) + (1 | sample)"
    auto = hm.Model(formula, pen).parameterization
    partial = hm.Model(formula, pen, parameterization={"plate": "non_centered"})
    assert partial.parameterization == {**auto, "plate": "non_centered"}


@pytest.mark.slow
def test_a_fit_without_pointwise_values_says_how_to_get_them(sleep_fits):
    fit = sleep_fits["marginal"].model.fit(
        draws=50, tune=50, chains=1, random_seed=1, progressbar=False, log_likelihood=False
    )
    assert "log_likelihood" not in fit.idata.children
    with pytest.raises(SpecError, match=r"log_likelihood=True"):
        fit.loo()
