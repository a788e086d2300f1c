"""Which columns a formula reads (hiermodels.design.columns, spec.expressions)."""

from __future__ import annotations

import numpy as np
import pytest

import hiermodels as hm
from hiermodels.design.columns import formula_variables
from hiermodels.spec.expressions import expression_names
from hiermodels.spec.recipe import ModelRecipe


@pytest.mark.parametrize(
    ("expr", "columns"),
    [
        ("center(Days) + scale(x) + poly(z, 2)", {"Days", "x", "z"}),
        ("np.log1p(Sepal.Length) + C(f, Treatment('a'))", {"Sepal.Length", "f"}),
        ("x + I(x**2) + {w + 1}", {"x", "w"}),
        ("`my x` + center(`my y`)", {"my x", "my y"}),
    ],
)
def test_formula_variables_include_the_columns_of_stateful_transforms(expr, columns):
    # formulaic's required_variables gave set() for center(Days), scale(x), poly(z, 2).
    assert formula_variables(expr) == columns


def test_expression_names_separate_columns_functions_and_indexing():
    names = expression_names("log(x[0]) + np.exp(`a b`) + y.z")
    assert names.columns == ("x", "a b", "y.z")
    assert names.functions == ("log", "np.exp")
    assert names.indexing == ("x[0]",)


@pytest.mark.parametrize("term", ["center(Days)", "scale(Days)", "poly(Days, 2)"])
def test_a_model_with_a_stateful_transform_keeps_its_column_and_rebuilds(term):
    # Model.data lacked Days, so saving and loading (a rebuild from the recipe) failed.
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model(f"Reaction ~ {term} + (1 | Subject)", sleep)
    assert list(model.data.columns) == ["Reaction", "Days", "Subject"]
    rebuilt = hm.Model.from_recipe(ModelRecipe.of(model))
    assert rebuilt.design.fixed.names == model.design.fixed.names
    np.testing.assert_array_equal(rebuilt.design.fixed.matrix, model.design.fixed.matrix)
