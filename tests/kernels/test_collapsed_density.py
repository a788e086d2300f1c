"""The compiled collapsed-gaussian kernel equals the PyMC model it stands for.

At random points of the unconstrained space, for every structure and prior family the
kernel covers, the log-density and gradient equal PyMC's (compiled by PyTensor) to 1e-10
relative, and the expanded draw (constrained values and deterministics) equals PyMC's
values of the same variables. A model the kernel does not cover gets no layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymc_reference import entry_density, pymc_reference

import hiermodels as hm
from hiermodels.collapsed_layout import collapsed_layout
from hiermodels.kernel_draws import expand_draws
from hiermodels.kernel_entry import COLLAPSED, COLLAPSED_SMALL
from hiermodels.kernels.collapsed_density import positive_prior


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(9), 7)
    x1, x2 = rng.normal(size=g.size), rng.uniform(0, 3, g.size)
    y = 2.0 + 0.5 * x1 - x2 + rng.normal(0, 1, 9)[g] + 0.7 * rng.normal(size=9)[g] * x1
    y = y + rng.normal(0, 0.8, g.size)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": [f"level{j}" for j in g]})


_P = hm.Prior
CASES = {
    "sleepstudy correlated": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", {}),
    "sleepstudy uncorrelated": ("sleepstudy", "Reaction ~ Days + (Days || Subject)", {}),
    "no intercept": ("sleepstudy", "Reaction ~ 0 + Days + (1 | Subject)", {}),
    "radon intercepts": ("radon", "log_radon ~ floor + (1 | county)", {}),
    "three correlated terms": (None, "y ~ x1 + x2 + (1 + x1 + x2 | g)", {}),
    "intercept only": (None, "y ~ 1 + (1 | g)", {}),
    "other priors": (
        None,
        "y ~ x1 + (1 + x1 | g)",
        {
            "sigma": _P("HalfStudentT", nu=4.0, sigma=2.0),
            "sd|g|Intercept": _P("HalfCauchy", beta=1.5),
            "sd|g|x1": _P("HalfCauchy", beta=0.5),
            "cor|g": _P("LKJ", eta=3.0),
            "Intercept": _P("Normal", mu=1.0, sigma=4.0),
            "x1": _P("Normal", mu=0.0, sigma=2.0),
        },
    ),
    "uncorrelated other priors": (
        None,
        "y ~ x1 + x2 + (1 + x2 || g)",
        {
            "sigma": _P("HalfNormal", sigma=3.0),
            "sd|g|Intercept": _P("Exponential", lam=0.5),
            "sd|g|x2": _P("HalfStudentT", nu=3.0, sigma=1.0),
        },
    ),
}


def _model(case: str) -> hm.Model:
    data, formula, priors = CASES[case]
    frame = _frame() if data is None else hm.datasets.load(data)
    return hm.Model(formula, frame, priors=priors or None)


@pytest.fixture(scope="module", params=sorted(CASES))
def kernel_and_pymc(request):
    model = _model(request.param)
    factor = model.collapsed_factor()
    pymc_model = model.collapsed_model(factor)
    layout = collapsed_layout(pymc_model, model.design, model.priors, factor)
    assert layout is not None, request.param
    return layout, pymc_reference(pymc_model, layout)


def test_log_density_and_gradient_equal_pymc_at_random_points(kernel_and_pymc):
    layout, pymc = kernel_and_pymc
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = layout.start + rng.normal(0.0, 1.0, layout.n_dim)
        value, grad = entry_density(COLLAPSED, layout, x)
        if layout.ints[1] <= 2:  # the entry point of one or two terms: the same numbers
            small_value, small = entry_density(COLLAPSED_SMALL, layout, x)
            assert small_value == value
            np.testing.assert_array_equal(small, grad)
        pymc.assert_density(x, value, grad)


def test_expanded_draws_equal_pymc_values(kernel_and_pymc):
    layout, pymc = kernel_and_pymc
    rng = np.random.default_rng(1)
    x = layout.start + rng.normal(0.0, 1.0, layout.n_dim)
    out = expand_draws(0, layout.ints, layout.floats, x[None], layout.n_expanded)[0]
    pymc.assert_expanded(x, out, atol=1e-14)


def test_the_gradient_is_that_of_the_density():
    """Central differences of the kernel's own density (an independent check of the
    hand-derived gradient, also where PyMC might share a mistake)."""
    model = _model("three correlated terms")
    pymc_model = model.collapsed_model("g")
    layout = collapsed_layout(pymc_model, model.design, model.priors, "g")
    x = layout.start + np.random.default_rng(2).normal(0.0, 0.5, layout.n_dim)
    _, grad = entry_density(COLLAPSED, layout, x)
    for k in range(layout.n_dim):
        step = np.zeros(layout.n_dim)
        step[k] = 1e-6
        up = entry_density(COLLAPSED, layout, x + step)[0]
        down = entry_density(COLLAPSED, layout, x - step)[0]
        assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-5)


def test_positive_priors_are_the_densities_pymc_uses():
    import pymc as pm

    from hiermodels.kernel_priors import positive_row

    cases = [
        (_P("HalfNormal", sigma=2.5), pm.HalfNormal.dist(sigma=2.5)),
        (_P("Exponential", lam=0.3), pm.Exponential.dist(lam=0.3)),
        (_P("HalfCauchy", beta=1.7), pm.HalfCauchy.dist(beta=1.7)),
        (_P("HalfStudentT", nu=3.0, sigma=0.8), pm.HalfStudentT.dist(nu=3.0, sigma=0.8)),
    ]
    for prior, dist in cases:
        (row,) = positive_row(prior, 1)
        reference = positive_prior(*row, 1.0)[0]
        expected_reference = float(pm.logp(dist, 1.0).eval())
        # PyMC folds some constants (log 2, sqrt(2 / pi)) in single precision: the two
        # agree to 1e-7 in value, and to 1e-12 in every difference of values.
        assert reference == pytest.approx(expected_reference, abs=1e-7)
        for s in (0.1, 1.3, 7.0):
            value, _ = positive_prior(*row, s)
            expected = float(pm.logp(dist, s).eval()) - expected_reference
            assert value - reference == pytest.approx(expected, rel=1e-12, abs=1e-13)


@pytest.mark.parametrize(
    "priors",
    [
        {"sigma": _P("Gamma", alpha=2.0, beta=1.0)},  # a positive prior the kernel lacks
        {"x1": _P("StudentT", nu=3.0, mu=0.0, sigma=1.0)},  # a coefficient not Normal
    ],
)
def test_a_model_the_kernel_does_not_cover_has_no_layout(priors):
    model = hm.Model("y ~ x1 + (1 | g)", _frame(), priors=priors)
    pymc_model = model.collapsed_model("g")
    assert collapsed_layout(pymc_model, model.design, model.priors, "g") is None


def test_two_factors_have_no_layout():
    frame = _frame().assign(h=lambda d: [f"h{k % 4}" for k in range(len(d))])
    model = hm.Model("y ~ x1 + (1 | g) + (1 | h)", frame)
    factor = model.collapsed_factor()
    pymc_model = model.collapsed_model(factor)
    assert collapsed_layout(pymc_model, model.design, model.priors, factor) is None
