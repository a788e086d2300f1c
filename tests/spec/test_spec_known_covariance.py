"""``gr(g, cov=K)`` in a formula: the factor it gives and the errors for bad arguments."""

from __future__ import annotations

import pytest

from hiermodels.errors import FormulaError
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.known_covariance import KnownCovarianceFactor
from hiermodels.spec.terms import GroupFactor


def test_gr_with_cov_is_a_known_covariance_factor_named_as_the_column():
    term = parse_formula("y ~ x + (1 + x | gr(animal, cov=A))").group_terms[0]
    assert term.factor == KnownCovarianceFactor(("animal",), cov="A")
    assert term.factor.name == "animal"  # dims and prior keys as the plain factor's
    assert term.text == "(1 + x | gr(animal, cov=A))"
    assert parse_formula(f"y ~ x + {term.text}").group_terms == (term,)


def test_gr_without_cov_is_the_plain_factor():
    assert parse_formula("y ~ (1 | gr(g))").group_terms[0].factor == GroupFactor(("g",))


def test_the_known_covariance_factor_differs_from_the_plain_one():
    assert KnownCovarianceFactor(("g",), cov="K") != GroupFactor(("g",))


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ (1 | gr(g, by=h))", "Unknown gr() argument 'by=h'"),
        ("y ~ (1 | gr(g, K))", "Unknown gr() argument 'K'"),
        ("y ~ (1 | gr(g, cov=))", "the name of a matrix in data2"),
        ("y ~ (1 | gr(g, cov=K, cov=L))", "names cov twice"),
        ("y ~ (1 | gr(a/b, cov=K))", "one grouping factor"),
        ("y ~ (1 | gr(, cov=K))", "needs a grouping factor"),
    ],
)
def test_bad_gr_arguments_are_named(formula, message):
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_formula(formula)
