"""``build_design`` on small hand-made frames: Z columns, fixed part, response, frame.

Group terms are stored as per-row ``codes`` and ``weights`` (rows x members) and row-level
columns ``Z`` (rows x terms), never as a dense rows x levels matrix.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from design_frames import design, group, simple_frame

from hiermodels.design import used_columns
from hiermodels.errors import MissingDataWarning, SpecError
from hiermodels.spec.formula import parse_formula


def test_z_columns_for_intercept_and_slope():
    df = simple_frame()
    g = group("y ~ x + (1 + x | g)", df)
    assert g.terms == ("Intercept", "x")
    assert g.Z.shape == (6, 2)
    np.testing.assert_array_equal(g.Z[:, 0], np.ones(6))
    np.testing.assert_array_equal(g.Z[:, 1], df["x"].to_numpy())
    assert g.blocks == ((0, 1),)
    assert g.correlated


def test_uncorrelated_terms_are_blocks_of_one():
    g = group("y ~ x + (1 + x || g)", simple_frame())
    assert g.blocks == ((0,), (1,))
    assert not g.correlated


def test_slope_only_term():
    df = simple_frame()
    g = group("y ~ x + (0 + x | g)", df)
    assert g.terms == ("x",)
    np.testing.assert_array_equal(g.Z[:, 0], df["x"].to_numpy())


def test_terms_of_one_factor_written_separately_are_merged_in_order():
    g = group("y ~ x + (1 | g) + (0 + x | g)", simple_frame())
    assert g.terms == ("Intercept", "x")
    assert g.blocks == ((0,), (1,))


def test_categorical_varying_term_is_renamed():
    g = group("y ~ sex + (1 + sex | g)", simple_frame())
    assert g.terms == ("Intercept", "sex[M]")
    np.testing.assert_array_equal(g.Z[:, 1], [0, 1, 0, 1, 1, 0])


def test_z_has_one_column_per_term_not_per_level():
    n, levels = 40, 20
    df = pd.DataFrame(
        {"y": np.arange(n, dtype=float), "x": np.linspace(-1, 1, n), "g": np.arange(n) % levels}
    )
    g = group("y ~ x + (1 + x | g)", df)
    assert g.n_levels == levels
    assert g.Z.shape == (n, 2)
    assert g.codes.shape == g.weights.shape == (n, 1)
    arrays = [value for value in vars(g).values() if isinstance(value, np.ndarray)]
    assert all(levels not in a.shape[1:] for a in arrays)


# --- fixed part ----------------------------------------------------------------------


def test_fixed_names_drop_the_treatment_prefix():
    df = simple_frame()
    built = design("y ~ x + sex + (1 | g)", df)
    assert built.fixed.names == ("Intercept", "x", "sex[M]")
    assert built.fixed.has_intercept
    np.testing.assert_array_equal(built.fixed.matrix[:, 2], [0, 1, 0, 1, 1, 0])
    np.testing.assert_array_equal(built.fixed.matrix[:, 1], df["x"].to_numpy())


def test_fixed_names_for_a_three_level_factor_and_an_interaction():
    names = design("y ~ g * x", simple_frame()).fixed.names
    assert names == ("Intercept", "g[b]", "g[c]", "x", "g[b]:x", "g[c]:x")


def test_fixed_part_without_intercept():
    built = design("y ~ 0 + x + (1 | g)", simple_frame())
    assert built.fixed.names == ("x",)
    assert not built.fixed.has_intercept


def test_response_and_bookkeeping():
    df = simple_frame()
    built = design("y ~ x + (1 | g)", df)
    np.testing.assert_array_equal(built.y, df["y"].to_numpy())
    assert built.n_obs == 6
    assert built.response_name == "y"
    assert built.trials is None
    assert built.row_index.equals(df.index)


def test_reserved_response_name_is_renamed():
    df = simple_frame().rename(columns={"y": "sigma"})
    assert design("sigma ~ x", df).response_name == "y_obs"


def test_used_columns_in_order_of_first_mention():
    parsed = parse_formula(
        "y | trials(n) ~ x + sex + (1 + z | g) + (1 | mm(s1, s2, weights=[a, b]))"
    )
    assert used_columns(parsed) == ["y", "n", "sex", "x", "z", "g", "s1", "s2", "a", "b"]


def test_unknown_group_name_lists_the_factors():
    built = design("y ~ x + (1 | g) + (1 | sex)", simple_frame())
    with pytest.raises(SpecError, match=r"Unknown grouping factor 'h'.*\['g', 'sex'\]"):
        built.group("h")


def text_dtype(name: str) -> str:
    if "pyarrow" in name:
        pytest.importorskip("pyarrow")
    return name


@pytest.mark.parametrize("dtype", ["string[python]", "string[pyarrow]", "convert_dtypes"])
def test_nullable_text_columns_are_categorical_everywhere(dtype):
    """Issue #22, item 4: in the fixed part, the varying part and the grouping factor."""
    df = simple_frame()
    formula = "y ~ x + sex + (1 + sex | g)"
    if dtype == "convert_dtypes":
        text = df.convert_dtypes()
        assert str(text["sex"].dtype) == "string" and text["sex"].dtype.na_value is pd.NA
    else:
        text = df.astype({"sex": text_dtype(dtype), "g": dtype})
    before = copy.deepcopy(text)
    built, reference = design(formula, text), design(formula, df)
    assert built.fixed.names == reference.fixed.names == ("Intercept", "x", "sex[M]")
    np.testing.assert_array_equal(built.fixed.matrix, reference.fixed.matrix)
    g, ref = built.groups[0], reference.groups[0]
    assert g.levels == ref.levels and g.terms == ref.terms == ("Intercept", "sex[M]")
    np.testing.assert_array_equal(g.Z, ref.Z)
    np.testing.assert_array_equal(g.codes, ref.codes)
    pd.testing.assert_frame_equal(text, before, check_exact=True)


def test_unused_categories_of_a_fixed_predictor_are_dropped():
    """Issue #22, item 5: subsetting leaves categories without rows; as in R's model
    frame they are dropped (in their order), not turned into a column of zeros."""
    df = simple_frame()
    df["level"] = pd.Categorical(["lo", "hi", "lo", "hi", "hi", "mid"], ["lo", "mid", "hi"])
    subset = df[df["level"] != "mid"]
    before = copy.deepcopy(subset)
    built = design("y ~ x + level + (1 | g)", subset)
    assert built.fixed.names == ("Intercept", "x", "level[hi]")
    np.testing.assert_array_equal(built.fixed.matrix[:, 2], [0, 1, 0, 1, 1])
    varying = design("y ~ 1 + (1 + level | g)", subset).groups[0]
    assert varying.terms == ("Intercept", "level[hi]")
    pd.testing.assert_frame_equal(subset, before, check_exact=True)
    assert list(subset["level"].cat.categories) == ["lo", "mid", "hi"]


def test_unused_categories_are_dropped_after_missing_rows_are():
    df = simple_frame()
    df["level"] = pd.Categorical(["lo", "hi", "lo", "hi", "hi", "mid"], ["lo", "mid", "hi"])
    df.loc[5, "x"] = np.nan
    with pytest.warns(MissingDataWarning, match="Dropped 1 of 6 rows"):
        built = design("y ~ x + level", df, missing="drop")
    assert built.fixed.names == ("Intercept", "x", "level[hi]")


# --- multiple membership -------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "options"),
    [
        ("y ~ x + sex + (1 + x | g)", {}),
        ("y ~ 1 + (1 | A/a)", {}),
        ("y ~ 1 + (1 | mm(s1, s2, weights=[w1, w2], scale=True))", {}),
        ("y ~ x + (1 | g)", {"missing": "drop"}),
    ],
)
def test_build_design_leaves_the_frame_unchanged(formula, options):
    df = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "x": [0.5, 1.0, 2.0, 0.0, 1.5, -0.5],
            "sex": pd.Categorical(["F", "M", "F", "M", "M", "F"]),
            "g": ["b", "a", "c", "b", "a", "c"],
            "A": ["A", "B", "A", "B", "A", "B"],
            "a": [1, 1, 2, 2, 1, 2],
            "s1": ["t1", "t2", "t3", "t1", "t4", "t2"],
            "s2": ["t2", "t3", "t1", "t1", "t2", "t4"],
            "w1": [0.5, 2.0, 1.0, 1.0, 3.0, 1.0],
            "w2": [1.5, 2.0, 3.0, 0.0, 1.0, 1.0],
        },
        index=pd.Index(list("pqrstu"), name="row"),
    )
    dropping = options.get("missing") == "drop"
    if dropping:
        df.loc[["q", "s"], "x"] = np.nan
    before = copy.deepcopy(df)
    if dropping:
        with pytest.warns(MissingDataWarning, match="Dropped 2 of 6 rows"):
            built = design(formula, df, **options)
        assert list(built.row_index) == ["p", "r", "t", "u"]
    else:
        built = design(formula, df, **options)
        assert built.n_obs == 6
    pd.testing.assert_frame_equal(df, before, check_exact=True)
