"""Level labels and codes of grouping factors: order, interactions, multiple membership."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from design_frames import design, group, membership_frame, simple_frame

from hiermodels.design import interaction_label

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
