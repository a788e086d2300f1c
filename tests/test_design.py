"""``build_design`` on small hand-made frames: codes, level order, Z columns, weights.

Group terms are stored as per-row ``codes`` and ``weights`` (rows x members) and row-level
columns ``Z`` (rows x terms), never as a dense rows x levels matrix.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from hiermodels.design import Design, GroupDesign, build_design, used_columns
from hiermodels.errors import MissingDataWarning, SpecError
from hiermodels.spec.formula import parse_formula


def design(formula: str, data: pd.DataFrame, **options) -> Design:
    return build_design(parse_formula(formula), data, family="gaussian", formula=formula, **options)


def group(formula: str, data: pd.DataFrame, name: str | None = None) -> GroupDesign:
    built = design(formula, data)
    return built.groups[0] if name is None else built.group(name)


def simple_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "x": [0.5, -1.0, 2.0, 0.0, 1.5, -0.5],
            "sex": ["F", "M", "F", "M", "M", "F"],
            "g": ["b", "a", "c", "b", "a", "c"],
        }
    )


def membership_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0],
            "s1": ["t1", "t2", "t3", "t1", "t4"],
            "s2": ["t2", "t3", "t1", "t1", "t2"],
            "w1": [0.5, 2.0, 1.0, 1.0, 3.0],
            "w2": [1.5, 2.0, 3.0, 0.0, 1.0],
        }
    )


# --- ordinary factors ----------------------------------------------------------------


def test_codes_index_the_sorted_levels():
    g = group("y ~ 1 + (1 | g)", simple_frame())
    assert g.name == "g"
    assert g.levels == ("a", "b", "c")
    assert g.codes.shape == (6, 1)
    assert g.codes.dtype == np.int64
    np.testing.assert_array_equal(g.codes[:, 0], [1, 0, 2, 1, 0, 2])
    np.testing.assert_array_equal(g.weights, np.ones((6, 1)))
    assert g.terms == ("Intercept",)
    np.testing.assert_array_equal(g.Z, np.ones((6, 1)))


def test_categorical_order_is_respected_and_unused_categories_dropped():
    df = simple_frame()
    df["g"] = pd.Categorical(df["g"], categories=["c", "z", "b", "a"])
    g = group("y ~ 1 + (1 | g)", df)
    assert g.levels == ("c", "b", "a")
    np.testing.assert_array_equal(g.codes[:, 0], [1, 2, 0, 1, 2, 0])


def test_integer_labels_are_strings_in_numeric_order():
    df = simple_frame()
    df["g"] = [10, 2, 3, 10, 2, 3]
    g = group("y ~ 1 + (1 | g)", df)
    assert g.levels == ("2", "3", "10")
    np.testing.assert_array_equal(g.codes[:, 0], [2, 0, 1, 2, 0, 1])


def test_integral_float_labels_have_no_decimal_point():
    df = simple_frame()
    df["g"] = [1.0, 2.0, 1.5, 1.0, 2.0, 1.5]
    assert group("y ~ 1 + (1 | g)", df).levels == ("1", "1.5", "2")


def test_integer_labels_are_sorted_numerically_whatever_the_row_order():
    df = simple_frame()
    df["g"] = ["10", "2", "3", "10", "2", "3"]
    g = group("y ~ 1 + (1 | g)", df)
    assert g.levels == ("2", "3", "10")
    assert all(isinstance(level, str) for level in g.levels)
    shuffled = group("y ~ 1 + (1 | g)", df.iloc[::-1])
    assert shuffled.levels == g.levels
    np.testing.assert_array_equal(shuffled.codes[::-1], g.codes)


def test_boolean_factor_labels():
    df = simple_frame()
    df["flag"] = [True, False, True, False, False, True]
    assert group("y ~ 1 + (1 | flag)", df).levels == ("False", "True")


def test_level_counts():
    g = group("y ~ 1 + (1 | g)", simple_frame())
    np.testing.assert_array_equal(g.level_counts(), [2, 2, 2])
    assert g.n_levels == 3


# --- nesting and interactions --------------------------------------------------------


def nested_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": np.arange(8.0),
            "A": ["B", "A", "A", "B", "A", "B", "A", "B"],
            "a": ["b", "a", "b", "a", "a", "b", "b", "a"],
        }
    )


def test_nested_factor_labels_join_the_columns():
    built = design("y ~ 1 + (1 | A/a)", nested_frame())
    assert [g.name for g in built.groups] == ["A", "A:a"]
    outer, inner = built.groups
    assert outer.levels == ("A", "B")
    assert inner.levels == ("A:a", "A:b", "B:a", "B:b")
    np.testing.assert_array_equal(inner.codes[:, 0], [3, 0, 1, 2, 0, 3, 1, 2])


def test_interaction_levels_follow_each_columns_order():
    df = nested_frame()
    df["a"] = pd.Categorical(df["a"], categories=["b", "a"])
    inner = group("y ~ 1 + (1 | A:a)", df)
    assert inner.levels == ("A:b", "A:a", "B:b", "B:a")


def test_interaction_keeps_only_observed_combinations():
    df = nested_frame().iloc[[0, 1, 3, 4]]  # B:b, A:a, B:a, A:a
    assert group("y ~ 1 + (1 | A:a)", df).levels == ("A:a", "B:a", "B:b")


def colon_frame() -> pd.DataFrame:
    """("x:y", "z") and ("x", "y:z") joined with ":" both read "x:y:z" (issue #22, item 3)."""
    return pd.DataFrame(
        {"y": np.arange(8.0), "a": ["x:y", "x", "p", "q"] * 2, "b": ["z", "y:z", "r", "s"] * 2}
    )


@pytest.mark.parametrize("formula", ["y ~ 1 + (1 | a:b)", "y ~ 1 + (1 | a/b)"])
def test_labels_holding_colons_keep_different_combinations_apart(formula):
    inner = design(formula, colon_frame()).group("a:b")
    assert inner.levels == ("p:r", "q:s", 'x:"y:z"', '"x:y":z')
    np.testing.assert_array_equal(inner.codes[:, 0], [3, 2, 0, 1] * 2)
    np.testing.assert_array_equal(inner.level_counts(), [2, 2, 2, 2])


def test_interaction_labels_read_back_into_their_parts():
    from hiermodels.design import interaction_label

    parts = [("x:y", "z"), ("x", "y:z"), ("x", "y", "z"), ('"x', "y"), ("", ":"), ("é:", "ü")]
    labels = [interaction_label(p) for p in parts]
    assert labels[2] == "x:y:z" and labels[5] == '"é:":ü'
    assert len(set(labels)) == len(parts)
    decoder = json.JSONDecoder()
    for p, label in zip(parts, labels):
        back, rest = [], label
        while True:
            if rest.startswith('"'):
                part, end = decoder.raw_decode(rest)
            else:
                end = rest.find(":") if ":" in rest else len(rest)
                part = rest[:end]
            back.append(part)
            if end == len(rest):
                break
            assert rest[end] == ":"
            rest = rest[end + 1 :]
        assert tuple(back) == p


# --- varying columns -----------------------------------------------------------------


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


def test_membership_levels_are_the_union_of_member_columns():
    g = group("y ~ 1 + (1 | mm(s1, s2))", membership_frame())
    assert g.name == "mm(s1, s2)"
    assert g.levels == ("t1", "t2", "t3", "t4")
    assert g.codes.shape == (5, 2)
    np.testing.assert_array_equal(g.codes, [[0, 1], [1, 2], [2, 0], [0, 0], [3, 1]])
    assert g.Z.shape == (5, 1)


def test_membership_without_weights_gives_equal_weights():
    g = group("y ~ 1 + (1 | mm(s1, s2))", membership_frame())
    np.testing.assert_array_equal(g.weights, np.full((5, 2), 0.5))
    df = membership_frame()
    df["s3"] = ["t4", "t4", "t4", "t2", "t3"]
    g3 = group("y ~ 1 + (1 | mm(s1, s2, s3))", df)
    np.testing.assert_allclose(g3.weights, np.full((5, 3), 1 / 3))


def test_membership_weights_are_used_as_given():
    df = membership_frame()
    g = group("y ~ 1 + (1 | mm(s1, s2, weights=[w1, w2]))", df)
    np.testing.assert_array_equal(g.weights, df[["w1", "w2"]].to_numpy())


def test_membership_scale_normalises_each_row():
    df = membership_frame()
    g = group("y ~ 1 + (1 | mm(s1, s2, weights=[w1, w2], scale=True))", df)
    raw = df[["w1", "w2"]].to_numpy()
    np.testing.assert_allclose(g.weights, raw / raw.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(g.weights.sum(axis=1), np.ones(5))


def test_zero_weight_for_a_repeated_member_is_allowed():
    # Row 3 lists t1 twice, once with weight 0: it counts once for t1.
    g = group("y ~ 1 + (1 | mm(s1, s2, weights=[w1, w2]))", membership_frame())
    np.testing.assert_array_equal(g.codes[3], [0, 0])
    np.testing.assert_array_equal(g.weights[3], [1.0, 0.0])
    np.testing.assert_array_equal(g.level_counts(), [3, 3, 2, 1])


def test_membership_integer_labels_sort_numerically():
    df = membership_frame()
    df["s1"] = [10, 2, 3, 10, 2]
    df["s2"] = [2, 3, 10, 3, 10]
    assert group("y ~ 1 + (1 | mm(s1, s2))", df).levels == ("2", "3", "10")


def test_membership_with_varying_slope():
    df = membership_frame()
    df["x"] = [0.1, 0.2, 0.3, 0.4, 0.5]
    g = group("y ~ x + (1 + x | mm(s1, s2))", df)
    assert g.terms == ("Intercept", "x")
    assert g.Z.shape == (5, 2)
    assert g.codes.shape == g.weights.shape == (5, 2)


# --- the caller's frame --------------------------------------------------------------


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
