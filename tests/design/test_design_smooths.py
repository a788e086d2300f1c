"""The basis of a smooth s(x) (hiermodels.design.smooths): against mgcv, and its checks.

mgcv's references (``tests/reference/mgcv_mcycle.R``): the knots of
``s(times, bs = "cr", k = 10)`` on MASS's mcycle, and mgcv's model matrix at 50 times.
No model is fitted here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.design import build_design, prediction_design
from hiermodels.design.smooths import (
    SmoothBasis,
    cr_basis,
    new_smooth_group,
    place_knots,
    smooth_groups,
)
from hiermodels.errors import DataError
from hiermodels.parameters import prior_slots
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.smooths import Smooth

REFERENCE = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def mcycle() -> pd.DataFrame:
    return hm.datasets.load("mcycle")


def test_the_knots_are_mgcvs(mcycle):
    knots = np.loadtxt(REFERENCE / "mgcv_mcycle_knots.txt")
    np.testing.assert_allclose(place_knots(mcycle["times"].to_numpy(), 10), knots, rtol=1e-12)


def test_the_cr_basis_interpolates_the_values_at_the_knots_and_is_linear_beyond():
    knots = np.array([0.0, 0.3, 0.5, 1.2, 2.0])
    np.testing.assert_allclose(cr_basis(knots, knots), np.eye(5), atol=1e-12)
    beta = np.array([0.3, -1.0, 2.0, 0.5, 1.5])
    outside = np.array([-2.0, -1.0, 0.0, 2.0, 3.0, 4.0])
    f = cr_basis(outside, knots) @ beta
    np.testing.assert_allclose(np.diff(f[:3], 2), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.diff(f[3:], 2), 0.0, atol=1e-12)


def test_intercept_line_and_penalised_columns_span_mgcvs_model_matrix(mcycle):
    """The mixed-model form is a reparameterisation: same functions as mgcv's basis."""
    reference = pd.read_csv(REFERENCE / "mgcv_mcycle_basis.csv")
    t = reference["times"].to_numpy()
    basis = SmoothBasis.fit(mcycle["times"].to_numpy(), 10)
    ours = np.column_stack([np.ones_like(t), t, basis(t)])
    theirs = reference.drop(columns="times").to_numpy()
    assert ours.shape == theirs.shape == (50, 10)
    for a, b in ((ours, theirs), (theirs, ours)):
        coef, *_ = np.linalg.lstsq(a, b, rcond=None)
        assert np.max(np.abs(a @ coef - b)) < 1e-8 * np.max(np.abs(b))


def test_the_penalised_columns_sum_to_zero_and_contain_no_line(mcycle):
    x = mcycle["times"].to_numpy()
    Zs = SmoothBasis.fit(x, 10)(x)
    np.testing.assert_allclose(Zs.sum(axis=0), 0.0, atol=1e-9 * len(x))
    # In the model, the columns are also orthogonal to x over the data.
    (g,) = smooth_groups(mcycle, Smooth("times"))
    line = np.column_stack([np.ones_like(x), x])
    np.testing.assert_allclose(line.T @ g.weights, 0.0, atol=1e-8 * np.abs(x).sum())
    # No combination of the penalised columns is a straight line: adding [1, x] raises
    # the rank by two.
    assert np.linalg.matrix_rank(np.column_stack([np.ones_like(x), x, Zs])) == 10


def test_a_smooth_is_a_fixed_line_and_a_factor_of_basis_directions(mcycle):
    design = build_design(parse_formula("accel ~ s(times)"), mcycle, family="gaussian")
    assert design.fixed.names == ("Intercept", "times")
    (g,) = design.groups
    assert g.name == "s(times)" and g.n_levels == 8 and g.terms == ("Intercept",)
    assert [s.name for s in prior_slots(design, "gaussian")] == [
        "Intercept",
        "times",
        "sds|s(times)",
        "sigma",
    ]


def test_by_gives_a_line_and_a_smooth_with_its_own_sd_per_level():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.uniform(size=40), "g": ["a", "b"] * 20, "y": rng.normal(size=40)})
    design = build_design(parse_formula("y ~ g + s(x, by=g, k=5)"), df, family="gaussian")
    assert design.fixed.names == ("Intercept", "g[b]", "x:g[a]", "x:g[b]")
    a, b = design.groups
    assert (a.name, b.name) == ("s(x, by=g, k=5)[a]", "s(x, by=g, k=5)[b]")
    # One basis for both levels, 0 in the rows of the other level, and without the
    # level's own best line (the slopes x:g hold it).
    in_b = (df["g"] == "b").to_numpy()
    np.testing.assert_array_equal(a.weights[in_b], 0.0)
    x = df["x"].to_numpy()
    line = np.column_stack([np.ones(in_b.sum()), x[in_b]])
    np.testing.assert_allclose(line.T @ b.weights[in_b], 0.0, atol=1e-9)
    whole = SmoothBasis.fit(x, 5)(x)[in_b]
    assert np.linalg.matrix_rank(np.column_stack([line, whole, b.weights[in_b]])) == 5
    slots = [s for s in prior_slots(design, "gaussian") if s.kind == "sds"]
    assert [s.name for s in slots] == ["sds|s(x, by=g, k=5)|a", "sds|s(x, by=g, k=5)|b"]
    assert all("sds|s(x, by=g, k=5)" in s.keys for s in slots)


def test_new_data_use_the_basis_of_the_fit():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.uniform(size=30), "g": ["a", "b", "c"] * 10})
    df["y"] = rng.normal(size=30)
    model = hm.Model("y ~ s(x, k=6) + s(x, by=g, k=5)", df)
    new = prediction_design(model.design, model.spec, df.iloc[::-1]).design
    assert len(new.groups) == 4
    for fitted, rebuilt in zip(model.design.groups, new.groups):
        np.testing.assert_allclose(rebuilt.weights, fitted.weights[::-1], atol=1e-12)
    # Two rows of new data: the basis is not re-centred on them.
    two = prediction_design(model.design, model.spec, df.iloc[:2]).design
    np.testing.assert_allclose(two.groups[0].weights, model.design.groups[0].weights[:2])
    unseen = df.iloc[:1].assign(g="d")
    with pytest.raises(DataError, match=r"\['d'\] that were not seen.*\['a', 'b', 'c'\]"):
        prediction_design(model.design, model.spec, unseen)
    with pytest.raises(DataError, match=r"level\(s\) \['d'\].*for \['a', 'b', 'c'\]"):
        new_smooth_group(model.design.groups[1], unseen)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ s(g)", r"s\(g\) smooths a numeric column, but 'g' holds"),
        ("y ~ s(flag)", r"'flag' holds bool"),
        ("y ~ s(const)", r"'const' is constant \(1 in every row\)"),
        ("y ~ s(few)", r"k=10 basis functions but 'few' has only 5 distinct values.*k=5"),
        ("y ~ s(x, by=num)", r"by= takes a categorical column.*'num' holds float64"),
        ("y ~ s(x, by=one)", r"'one' has one level"),
    ],
)
def test_bad_smooth_data_raise_a_data_error_naming_the_column(formula, message):
    rng = np.random.default_rng(5)
    n = 30
    df = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.uniform(size=n),
            "g": rng.choice(["a", "b"], n),
            "flag": rng.uniform(size=n) > 0.5,
            "const": 1.0,
            "few": rng.integers(0, 5, n),
            "num": rng.normal(size=n),
            "one": "a",
        }
    )
    before = df.copy()
    with pytest.raises(DataError, match=message):
        hm.Model(formula, df)
    pd.testing.assert_frame_equal(df, before)


def test_smooth_group_of_a_frame_keeps_the_frame():
    df = pd.DataFrame({"x": np.linspace(0, 1, 12)})
    before = df.copy()
    (g,) = smooth_groups(df, Smooth("x", k=4))
    assert g.weights.shape == (12, 2)
    pd.testing.assert_frame_equal(df, before)
