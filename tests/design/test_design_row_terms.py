"""Reading se(), cens() and weights() columns: errors name the rows and the valid values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiermodels.design import build_design
from hiermodels.errors import DataError, SpecError
from hiermodels.spec.formula import parse_formula


def _frame(**columns):
    base = {"y": [1.0, 2.0, 3.0, 4.0], "x": [0.1, 0.4, 0.2, 0.9]}
    return pd.DataFrame({**base, **columns}, index=["r1", "r2", "r3", "r4"])


def _design(formula, df, family="gaussian"):
    return build_design(parse_formula(formula), df, family=family, formula=formula)


def test_codes_words_and_booleans_are_brms_codes():
    words = _frame(c=["left", "none", "right", "interval"], u=[2.0, 3.0, 4.0, 5.0])
    rows = _design("y | cens(c, u) ~ x", words).row_terms
    assert rows.cens.tolist() == [-1, 0, 1, 2]
    assert np.isnan(rows.y2[:3]).all() and rows.y2[3] == 5.0
    numbers = _frame(c=[-1, 0, 1, 0])
    assert _design("y | cens(c) ~ x", numbers).row_terms.cens.tolist() == [-1, 0, 1, 0]
    flags = _frame(c=[True, False, False, True])
    assert _design("y | cens(c) ~ x", flags).row_terms.cens.tolist() == [1, 0, 0, 1]


@pytest.mark.parametrize(
    ("formula", "columns", "family", "error", "message"),
    [
        (
            "y | se(s) ~ x",
            {"s": [1.0, 0.0, -2.0, 1.0]},
            "gaussian",
            DataError,
            r"must be positive; 2 rows .*\['r2', 'r3'\]",
        ),
        ("y | se(s) ~ x", {"s": [1.0, np.inf, 1.0, 1.0]}, "gaussian", DataError, r"infinite"),
        (
            "y | cens(c) ~ x",
            {"c": [0, 3, 1, 0]},
            "gaussian",
            DataError,
            r"-1/0/1/2 or 'left'/'none'/'right'/'interval'.*\['r2'\].*\[3\]",
        ),
        (
            "y | cens(c) ~ x",
            {"c": ["none", "rigth", "left", "none"]},
            "gaussian",
            DataError,
            r"\['r2'\]\) hold \['rigth'\]",
        ),
        (
            "y | cens(c, u) ~ x",
            {"c": [2, 0, 2, 0], "u": [0.5, 9.0, 3.0, 9.0]},
            "gaussian",
            DataError,
            r"y < Y <= y2\); 2 rows \(first rows: \['r1', 'r3'\]\) have y2 <= y",
        ),
        (
            "y | cens(c) ~ x",
            {"c": [2, 0, 0, 0]},
            "gaussian",
            DataError,
            r"\['r1'\]\) as interval-censored, which needs the upper bounds: write cens\(c, y2\)",
        ),
        (
            "y | weights(w) ~ x",
            {"w": [1.0, -1.0, 1.0, 2.0]},
            "gaussian",
            DataError,
            r"non-negative; 1 row \(first rows: \['r2'\]\) are negative",
        ),
        (
            "y | se(s) ~ x",
            {"s": [1.0, 1.0, 1.0, 1.0]},
            "poisson",
            SpecError,
            r"se\(\) .* needs family='gaussian', not 'poisson'",
        ),
        (
            "y | cens(c) ~ x",
            {"c": [0, 0, 1, 0]},
            "student_t",
            SpecError,
            r"family 'student_t' does not support cens\(\)",
        ),
    ],
)
def test_bad_row_terms_name_rows(formula, columns, family, error, message):
    with pytest.raises(error, match=message):
        _design(formula, _frame(**columns), family)


def test_missing_se_is_refused_with_the_column():
    with pytest.raises(DataError, match="'s'"):
        _design("y | se(s) ~ x", _frame(s=[1.0, np.nan, 1.0, 1.0]))


def test_trials_and_weights_combine():
    df = _frame(n=[5, 5, 5, 5], w=[1.0, 2.0, 1.0, 0.5])
    design = _design("y | trials(n) + weights(w) ~ x", df, "binomial")
    assert design.trials.tolist() == [5, 5, 5, 5] and design.row_terms.weights[1] == 2.0
    with pytest.raises(SpecError, match="family 'binomial' does not support cens"):
        _design("y | trials(n) + cens(c) ~ x", _frame(n=[5] * 4, c=[0] * 4), "binomial")


def test_no_row_terms_without_additions():
    assert _design("y ~ x", _frame()).row_terms is None
