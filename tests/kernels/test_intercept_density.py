"""The compiled varying-intercept GLMM kernel equals the PyMC model it stands for.

For each family, link and structure the kernel covers (one factor or crossed ones,
non-centred or centred, a sheared intercept or none, offsets, trials, multiple
membership), the log-density and gradient equal PyMC's at random points to 1e-10
relative, and the expanded draw equals PyMC's values of the same variables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymc_reference import entry_density, pymc_reference

import hiermodels as hm
from hiermodels.intercept_layout import intercept_layout
from hiermodels.kernel_draws import expand_draws
from hiermodels.kernel_entry import INTERCEPTS


def _counts() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 120
    g, h = rng.integers(0, 8, n), rng.integers(0, 5, n)
    a, b = rng.integers(0, 6, n), rng.integers(0, 6, n)
    x = rng.normal(size=n)
    exposure = rng.uniform(0.5, 2.0, n)
    eta = 0.2 + 0.4 * x + rng.normal(0, 0.5, 8)[g] + rng.normal(0, 0.3, 5)[h]
    trials = rng.integers(1, 9, n)
    return pd.DataFrame(
        {
            "count": rng.poisson(exposure * np.exp(eta)),
            "success": rng.binomial(trials, 1 / (1 + np.exp(-eta))),
            "trials": trials,
            "binary": rng.binomial(1, 1 / (1 + np.exp(-eta))),
            "x": x,
            "exposure": exposure,
            "g": [f"g{k}" for k in g],
            "h": [f"h{k}" for k in h],
            "a": [f"m{k}" for k in a],
            "b": [f"m{k}" for k in b],
        }
    )


CASES = {
    "bernoulli": ("binary ~ x + (1 | g)", "bernoulli", {}),
    "binomial trials": ("success | trials(trials) ~ x + (1 | g)", "binomial", {}),
    "poisson offset": ("count ~ x + offset(log(exposure)) + (1 | g)", "poisson", {}),
    "poisson centred": ("count ~ x + (1 | g)", "poisson", {"parameterization": "centered"}),
    "crossed": ("count ~ x + (1 | g) + (1 | h)", "poisson", {}),
    "crossed mixed": (
        "binary ~ x + (1 | g) + (1 | h)",
        "bernoulli",
        {"parameterization": {"g": "centered", "h": "non_centered"}},
    ),
    "no intercept": ("count ~ 0 + x + (1 | g)", "poisson", {}),
    "multiple membership": ("count ~ x + (1 | mm(a, b))", "poisson", {}),
    "other priors": (
        "binary ~ x + (1 | g)",
        "bernoulli",
        {
            "priors": {
                "sd|g|Intercept": hm.Prior("HalfStudentT", nu=3.0, sigma=1.0),
                "Intercept": hm.Prior("Normal", mu=0.5, sigma=2.0),
            }
        },
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def kernel_and_pymc(request):
    formula, family, options = CASES[request.param]
    model = hm.Model(formula, _counts(), family=family, **options)
    pymc_model = model.pymc_model
    layout = intercept_layout(pymc_model, model)
    assert layout is not None, request.param
    return layout, pymc_reference(pymc_model, layout)


def test_log_density_and_gradient_equal_pymc_at_random_points(kernel_and_pymc):
    layout, pymc = kernel_and_pymc
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = layout.start + rng.normal(0.0, 0.7, layout.n_dim)
        pymc.assert_density(x, *entry_density(INTERCEPTS, layout, x))


def test_expanded_draws_equal_pymc_values(kernel_and_pymc):
    layout, pymc = kernel_and_pymc
    x = layout.start + np.random.default_rng(1).normal(0.0, 0.7, layout.n_dim)
    out = expand_draws(1, layout.ints, layout.floats, x[None], layout.n_expanded)[0]
    pymc.assert_expanded(x, out, atol=1e-13)


@pytest.mark.parametrize(
    ("formula", "family", "options"),
    [
        ("count ~ x + (1 + x | g)", "poisson", {}),  # a varying slope
        ("binary ~ x + (1 | g)", "bernoulli", {"link": "probit"}),  # another link
        ("count ~ x + (1 | g)", "negative_binomial", {}),  # another family
        ("count ~ x + (1 | g)", "poisson", {"priors": {"x": hm.Prior("StudentT", nu=3)}}),
    ],
)
def test_a_model_the_kernel_does_not_cover_has_no_layout(formula, family, options):
    model = hm.Model(formula, _counts(), family=family, **options)
    assert intercept_layout(model.pymc_model, model) is None
