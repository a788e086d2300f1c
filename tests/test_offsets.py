"""Offsets: ``offset(log(exposure))`` enters the linear predictor with coefficient 1."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.design import prediction_design, required_columns
from hiermodels.errors import DataError, FormulaError
from hiermodels.linear_predictor import linear_predictor
from hiermodels.spec.offsets import OFFSET_FUNCTIONS


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


# --- issue #22, item 6: every function the formula-syntax page promises ------------------

OFFSET_CASES = {
    "log(exposure)": np.log,
    "log1p(exposure)": np.log1p,
    "sqrt(exposure)": np.sqrt,
    "exp(exposure)": np.exp,
    "log2(exposure)": np.log2,
    "log10(exposure)": np.log10,
    "np.log1p(exposure)": np.log1p,
    "I(2 * exposure)": lambda x: 2 * x,
    "sqrt(`days at risk`)": np.sqrt,
}


@pytest.mark.parametrize("expr", sorted(OFFSET_CASES))
def test_every_offset_function_works_in_fit_and_predict(counts, expr):
    data = counts.assign(**{"days at risk": counts["exposure"]})
    model = hm.Model(f"y ~ 1 + offset({expr}) + (1 | g)", data, family="poisson")
    np.testing.assert_allclose(model.design.offset, OFFSET_CASES[expr](data["exposure"]))
    new = data.drop(columns="y").iloc[[4, 25]].assign(g=["b", "new"])
    rebuilt = prediction_design(model.design, model.spec, new)
    np.testing.assert_allclose(rebuilt.design.offset, OFFSET_CASES[expr](new["exposure"]))
    column = "days at risk" if "`" in expr else "exposure"
    assert column in required_columns(model.design, model.spec)


def test_offset_functions_listed_in_the_docs_are_the_supported_ones():
    page = (Path(__file__).resolve().parents[1] / "docs" / "formula-syntax.md").read_text()
    section = page.split("## Offsets", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(\w+)`", section.split("you can use", 1)[1].split(".", 1)[0]))
    assert listed == set(OFFSET_FUNCTIONS) - {"I"}


@pytest.mark.parametrize("function", ["center", "scale", "foo"])
def test_other_functions_in_an_offset_are_named_with_the_supported_ones(counts, function):
    formula = f"y ~ 1 + offset({function}(exposure)) + (1 | g)"
    with pytest.raises(FormulaError, match=rf"function '{function}'.*\['I', 'exp', 'log'"):
        hm.Model(formula, counts, family="poisson")
