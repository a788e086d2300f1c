"""The compiled GLMM kernel (varying slopes, any family it knows) equals the PyMC model.

For each family and structure the kernel covers (correlated and uncorrelated slopes,
crossed factors, multiple membership, non-centred and centred, the joint shear, a
sheared intercept alone, no shear, no grouping factor, offsets, trials, other priors),
the log-density and gradient equal PyMC's at random points to 1e-10 relative, the
expanded draw equals PyMC's values of the same variables, and the start equals PyMC's
initial point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymc_reference import entry_call, entry_density, pymc_reference
from scipy.special import expit

import hiermodels as hm
from hiermodels.glmm_layout import glmm_layout
from hiermodels.kernel_draws import expand_draws
from hiermodels.kernel_entry import GLMM


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 120
    g, h = rng.integers(0, 8, n), rng.integers(0, 5, n)
    a, b = rng.integers(0, 6, n), rng.integers(0, 6, n)
    x, x2 = rng.normal(size=n), rng.uniform(-1, 1, n)
    eta = 0.2 + 0.4 * x + rng.normal(0, 0.5, 8)[g] + rng.normal(0, 0.3, 8)[g] * x
    eta += rng.normal(0, 0.3, 5)[h]
    exposure = rng.uniform(0.5, 2.0, n)
    trials = rng.integers(1, 9, n)
    count = rng.poisson(exposure * np.exp(eta))
    data = pd.DataFrame(
        {
            "count": count,
            "rating": np.minimum(count, 2),
            "success": rng.binomial(trials, expit(eta)),
            "trials": trials,
            "binary": rng.binomial(1, expit(eta)),
            "y": eta + rng.normal(0, 0.5, n),
            "positive": np.exp(eta) * rng.gamma(4.0, 0.25, n),
            "share": rng.beta(expit(eta) * 10, (1 - expit(eta)) * 10),
            "x": x,
            "x2": x2,
            "exposure": exposure,
            "g": [f"g{k}" for k in g],
            "h": [f"h{k}" for k in h],
            "a": [f"m{k}" for k in a],
            "b": [f"m{k}" for k in b],
        }
    )
    # censoring of y: none, left, right, interval (y, upper]
    data["c"] = np.array([0, -1, 1, 2])[np.arange(n) % 4]
    data["upper"] = data["y"] + rng.uniform(0.2, 1.5, n)
    return data


SLOPES = "~ x + (1 + x | g)"
CASES = {
    "bernoulli": ("binary " + SLOPES, "bernoulli", {}),
    "binomial": ("success | trials(trials) " + SLOPES, "binomial", {}),
    "poisson offset": ("count ~ x + offset(log(exposure)) + (1 + x | g)", "poisson", {}),
    "negative binomial": ("count " + SLOPES, "negative_binomial", {}),
    "student-t": ("y " + SLOPES, "student_t", {}),
    "gamma": ("positive " + SLOPES, "gamma", {}),
    "lognormal": ("positive " + SLOPES, "lognormal", {}),
    "beta": ("share " + SLOPES, "beta", {}),
    "zero-inflated poisson": ("count " + SLOPES, "zero_inflated_poisson", {}),
    "zero-inflated negative binomial": (
        "count ~ x + (1 | g)",
        "zero_inflated_negative_binomial",
        {},
    ),
    "hurdle poisson": ("count " + SLOPES, "hurdle_poisson", {}),
    "hurdle negative binomial": ("count ~ x + (1 | g)", "hurdle_negative_binomial", {}),
    "ordinal": ("rating " + SLOPES, "cumulative", {}),
    "ordinal crossed": ("rating ~ x + (1 | g) + (1 | h)", "cumulative", {}),
    # Normal threshold priors: the thresholds absorb the intercepts' level means
    "ordinal sheared": (
        "rating ~ x + (1 + x | g) + (1 | h)",
        "cumulative",
        {"priors": {"Intercept": hm.Prior("Normal", mu=0.5, sigma=4.0)}},
    ),
    "gaussian crossed": ("y ~ x + x2 + (1 + x | g) + (1 | h)", "gaussian", {}),
    "censored gaussian": ("y | cens(c, upper) ~ x + (1 + x | g)", "gaussian", {}),
    # sigma with a formula of fixed terms (log sigma = a + (X - centre) b)
    "gaussian sigma formula": ("y " + SLOPES, "gaussian", {"sigma": "~ x2"}),
    "lognormal sigma formula": (
        "positive ~ x + (1 | g) + (1 | h)",
        "lognormal",
        {"sigma": "~ x + x2", "priors": {"sigma|b|x": hm.Prior("Normal", mu=0.2, sigma=0.5)}},
    ),
    "uncorrelated": ("count ~ x + (1 + x || g)", "poisson", {}),
    "centred": ("binary " + SLOPES, "bernoulli", {"parameterization": "centered"}),
    "non-centred t": ("y " + SLOPES, "student_t", {"parameterization": "non_centered"}),
    "no intercept": ("count ~ 0 + x + (1 + x | g)", "poisson", {}),
    "sheared intercept only": ("count ~ 1 + (1 + x | g)", "poisson", {}),
    "three terms": ("count ~ x + x2 + (1 + x + x2 | g)", "poisson", {}),
    "membership and slopes": ("count ~ x + (1 | mm(a, b)) + (0 + x | g)", "poisson", {}),
    "no factor": ("count ~ x + x2", "negative_binomial", {}),
    "smooth": ("count ~ s(x2) + (1 | g)", "poisson", {}),
    "other priors": (
        "binary ~ x + (1 + x || g)",
        "bernoulli",
        {
            "priors": {
                "sd|g|Intercept": hm.Prior("Gamma", alpha=2.0, beta=2.0),
                "sd|g|x": hm.Prior("HalfCauchy", beta=1.0),
                "x": hm.Prior("Normal", mu=0.5, sigma=3.0),
            }
        },
    ),
    "other priors correlated": (
        "count " + SLOPES,
        "negative_binomial",
        {
            "priors": {
                "sd|g|Intercept": hm.Prior("LogNormal", mu=-1.0, sigma=0.5),
                "sd|g|x": hm.Prior("LogNormal", mu=-1.0, sigma=0.5),
                "cor|g": hm.Prior("LKJ", eta=1.5),
                "alpha": hm.Prior("HalfStudentT", nu=3.0, sigma=2.0),
            }
        },
    ),
}


#: Gaussian models with one factor integrated out (``fit()``'s default) and others
#: sampled: the factor collapsed.
COLLAPSED = {
    "collapsed crossed": ("y ~ x + (1 + x | g) + (1 | h)", "gaussian", {}, "g"),
    "collapsed with membership": ("y ~ x2 + (1 | h) + (1 + x | mm(a, b))", "gaussian", {}, "h"),
    "collapsed slopes sampled": ("y ~ x + (1 | h) + (1 + x || g)", "gaussian", {}, "h"),
    "collapsed beside a smooth": ("y ~ s(x2) + (1 | g)", "gaussian", {}, "g"),
}
CASES.update({name: case[:3] for name, case in COLLAPSED.items()})


@pytest.fixture(scope="module", params=sorted(CASES))
def kernel_and_pymc(request):
    formula, family, options = CASES[request.param]
    model = hm.Model(formula, _data(), family=family, **options)
    factor = COLLAPSED.get(request.param, (None,) * 4)[3]
    pymc_model = model.pymc_model if factor is None else model.collapsed_model(factor)
    layout = glmm_layout(pymc_model, model, collapsed=factor)
    assert layout is not None, request.param
    return layout, pymc_reference(pymc_model, layout), pymc_model


def test_log_density_and_gradient_equal_pymc_at_random_points(kernel_and_pymc):
    layout, pymc, _ = kernel_and_pymc
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = layout.start + rng.normal(0.0, 0.5, layout.n_dim)
        pymc.assert_density(x, *entry_density(GLMM, layout, x))


def test_expanded_draws_equal_pymc_values(kernel_and_pymc):
    layout, pymc, _ = kernel_and_pymc
    x = layout.start + np.random.default_rng(1).normal(0.0, 0.5, layout.n_dim)
    out = expand_draws(3, layout.ints, layout.floats, x[None], layout.n_expanded)[0]
    pymc.assert_expanded(x, out, atol=1e-12)


def test_start_is_pymc_initial_point(kernel_and_pymc):
    layout, _, pymc_model = kernel_and_pymc
    start = np.concatenate([np.ravel(v) for v in pymc_model.initial_point().values()])
    np.testing.assert_allclose(layout.start, start, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("formula", "family", "options"),
    [
        ("binary ~ x + (1 | g)", "bernoulli", {"link": "probit"}),  # another link
        ("rating ~ x + (1 | g)", "cumulative", {"link": "probit"}),  # another link
        ("y ~ x + (1 | g)", "gaussian", {"sigma": "~ x + (1 | g)"}),  # sigma's own factor
        ("y ~ x + (1 | g)", "student_t", {"sigma": "~ x"}),  # sigma formula, Student-t
        ("count ~ x + (1 | g)", "poisson", {"priors": {"x": hm.Prior("StudentT", nu=3.0)}}),
    ],
)
def test_a_model_the_kernel_does_not_cover_has_no_layout(formula, family, options):
    model = hm.Model(formula, _data(), family=family, **options)
    assert glmm_layout(model.pymc_model, model) is None


@pytest.mark.parametrize(
    ("formula", "family", "options"),
    [
        ("count ~ x + (1 + x | g) + (1 | h)", "negative_binomial", {}),
        ("y ~ x + (1 | g)", "gaussian", {"sigma": "~ x2"}),  # sigma's columns: the rows kept
    ],
)
def test_a_refit_on_some_rows_equals_the_pymc_refit_model_with_their_weights(
    formula, family, options
):
    """k-fold refits (:class:`hiermodels.inference.refit.RowRefits`) weight the rows 0/1
    in one PyMC model; the kernel leaves the other rows out, with the same density."""
    import pymc as pm

    from hiermodels import naming
    from hiermodels.inference.refit import RowRefits

    model = hm.Model(formula, _data(), family=family, **options)
    refits = RowRefits(model)
    keep = np.arange(model.design.n_obs) % 3 != 0
    pm.set_data({naming.data_name("refit_weights"): keep.astype(float)}, model=refits.pymc_model)
    layout = glmm_layout(refits.pymc_model, model, keep=keep)
    assert layout is not None and layout.ints[3] == keep.sum()
    assert glmm_layout(refits.pymc_model, model) is None  # weights need the rows kept
    pymc = pymc_reference(refits.pymc_model, layout)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = layout.start + rng.normal(0.0, 0.5, layout.n_dim)
        pymc.assert_density(x, *entry_density(GLMM, layout, x))


@pytest.mark.parametrize("value", [-800.0, 800.0])
def test_an_extreme_point_is_a_bad_point_for_nutpie_not_an_exception(value, capfd):
    """Underflow to zero in a complex division used to raise inside the entry point
    (numba printed the exception at every call and sampling crawled); the entry point
    now reports a non-finite density, which nutpie rejects."""
    model = hm.Model("y " + SLOPES + " + (1 | h)", _data(), family="gaussian")
    factor = "g"
    layout = glmm_layout(model.collapsed_model(factor), model, collapsed=factor)
    status, _, _ = entry_call(GLMM, layout, np.full(layout.n_dim, value))
    assert status != 0
    assert "Error" not in capfd.readouterr().err
