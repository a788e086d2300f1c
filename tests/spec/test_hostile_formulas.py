"""Hostile formulas (issue #8): a stray or missing parenthesis is a FormulaError with a
caret at the fault, and the builders refuse names that a formula cannot write. The
strategies and the oracle are in ``tests/hostile_cases.py``.
"""

from __future__ import annotations

import pytest
from hostile_cases import (
    HOSTILE,
    PAREN_EXAMPLES,
    build_or_explain,
    small_frame,
    unbalanced_formulas,
)
from hypothesis import given, settings

import hiermodels as hm
from hiermodels.errors import (
    FormulaError,
    SpecError,
)


@settings(HOSTILE, max_examples=PAREN_EXAMPLES)
@given(scenario=unbalanced_formulas())
def test_a_stray_or_missing_parenthesis_is_a_formula_error_with_a_caret(scenario):
    formula, frame = scenario
    outcome = build_or_explain(formula, frame)
    assert isinstance(outcome, FormulaError)
    assert "parenthesis" in str(outcome)
    assert outcome.formula == formula
    assert outcome.position is not None


@pytest.mark.parametrize(
    ("formula", "pattern", "where"),
    [
        ("y ~ x) + (1 | g)", "Unmatched closing parenthesis", 5),
        ("y ~ (x + (1 | g)", "Unclosed parenthesis", "end"),
        ("y ~ x + (1 | g))", "Unmatched closing parenthesis", 15),
        ("y ~ x + ((1 | g)", "Unclosed parenthesis", "end"),
        ("(y ~ x + (1 | g)", "Unclosed parenthesis", "end"),
        ("y ~ x + (1 | mm(s1, s2)", "Unclosed parenthesis", "end"),
        ("y ~ x + (1 | g)(", "Unclosed parenthesis", "end"),
        ("y ~ x + ((1 | g))", "one pair of parentheses", 8),
        (")y ~ x", "Unmatched closing parenthesis", 0),
    ],
)
def test_stray_parentheses(formula, pattern, where):
    outcome = build_or_explain(formula, small_frame())
    assert isinstance(outcome, FormulaError)
    assert pattern in str(outcome)
    assert outcome.position == (len(formula) if where == "end" else where)


def test_builders_refuse_names_a_formula_cannot_write():
    df = small_frame(**{"a`b": ["p", "q"] * 4})
    with pytest.raises(SpecError, match=r"group names the column 'a`b'.*free of backticks"):
        hm.varying_intercept(df, response="y", group="a`b")
    with pytest.raises(SpecError, match=r"predictors names the column ''"):
        hm.varying_intercept(df, response="y", predictors=[""], group="g")


# Bugs whose fixes are in model.py, optimize.py and naming.py.
