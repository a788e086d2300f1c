"""Parsing of smooth terms s(x), s(x, by=g, k=5) (hiermodels.spec.smooths)."""

import pytest

from hiermodels.errors import FormulaError
from hiermodels.spec.smooths import DEFAULT_K, Smooth, parse_smooth, split_smooths


@pytest.mark.parametrize(
    ("text", "expected", "name"),
    [
        ("s(x)", Smooth("x"), "s(x)"),
        ("s( x ,k = 5 )", Smooth("x", k=5), "s(x, k=5)"),
        ("s(x, by=g)", Smooth("x", by="g"), "s(x, by=g)"),
        ("s(`my x`, bs='cr', k=12)", Smooth("my x", k=12), "s(`my x`, k=12)"),
    ],
)
def test_a_smooth_is_parsed_to_its_normal_form(text, expected, name):
    smooth = parse_smooth(text)
    assert smooth == expected
    assert smooth.name == name
    assert parse_smooth(smooth.name) == smooth


def test_split_keeps_the_other_terms_and_the_order_of_the_smooths():
    rest, smooths = split_smooths("z + s(x, by=g) + C(h) + s(w)")
    assert rest == "z + C(h)"
    assert [s.name for s in smooths] == ["s(x, by=g)", "s(w)"]
    assert smooths[0].used_columns == ("x", "g")
    assert split_smooths("s(x)") == ("1", (Smooth("x", k=DEFAULT_K),))
    assert split_smooths("x + sqrt(x)") == ("x + sqrt(x)", ())


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("s(x, k=3)", "at least 4"),
        ("s(x, k=5.5)", "whole number"),
        ("s(x, foo=1)", "Unknown s() argument 'foo'"),
        ("s(x, bs='tp')", "supported bases are ['cr']"),
        ("s(x, z)", "Write s(x) + s(z)"),
        ("s(k=5)", "needs the column"),
        ("s(x, by=x)", "another column"),
        ("s(x, )", "Empty argument"),
    ],
)
def test_a_bad_smooth_is_a_formula_error_that_says_why(term, message):
    formula = f"y ~ {term}"
    with pytest.raises(FormulaError, match=None) as err:
        split_smooths(term, formula)
    assert message in str(err.value)


def test_a_smooth_written_twice_is_refused():
    with pytest.raises(FormulaError, match="appears twice"):
        split_smooths("s(x) + s(x, k=10)")
