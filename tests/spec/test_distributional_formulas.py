"""Distributional formulas in the spec layer: parsing, refusals and prior keys."""

from __future__ import annotations

import pytest

from hiermodels.errors import FormulaError, SpecError
from hiermodels.spec.distributional import (
    check_single_formula,
    cor_keys,
    intercept_key,
    parse_distributional,
    sd_keys,
    slope_keys,
)


def parse(formulas, family="gaussian", parameters=("sigma",)):
    return parse_distributional(formulas, family=family, parameters=parameters)


@pytest.mark.parametrize("text", ["~ x + (1 | g)", "sigma ~ x + (1 | g)", "x + (1 | g)"])
def test_the_three_spellings_read_the_same(text):
    (f,) = parse({"sigma": text})
    assert (f.parameter, f.rhs, f.link, f.text) == (
        "sigma",
        "x + (1 | g)",
        "log",
        "sigma ~ x + (1 | g)",
    )


def test_links_follow_brms_and_order_follows_the_family():
    got = parse({"alpha": "~ x", "zi": "~ x"}, "zero_inflated_negative_binomial", ("zi", "alpha"))
    assert [(f.parameter, f.link) for f in got] == [("zi", "logit"), ("alpha", "log")]


def test_a_parameter_the_family_lacks_is_refused_with_its_parameters():
    with pytest.raises(SpecError, match=r"family 'poisson' has no parameter 'zi' \(it has none\)"):
        parse({"zi": "~ x"}, "poisson", ())
    with pytest.raises(SpecError, match=r"no parameter 'phi' \(its parameters are \['sigma'\]\)"):
        parse({"phi": "~ x"})


def test_an_unknown_keyword_is_refused_as_such():
    with pytest.raises(SpecError, match=r"'familly' is neither an option of hm\.Model"):
        parse({"familly": "poisson"})


def test_a_parameter_without_a_link_rule_is_refused():
    with pytest.raises(SpecError, match="no link rule"):
        parse({"kappa": "~ x"}, "custom", ("kappa",))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3, "must be a string"),
        ("y ~ x", "left-hand side 'y'"),
        ("~ ", "is empty"),
    ],
)
def test_bad_formulas_are_refused(value, message):
    with pytest.raises(SpecError, match=message):
        parse({"sigma": value})


def test_a_bad_term_is_a_formula_error():
    with pytest.raises(FormulaError):
        parse({"sigma": "~ x + (1 | )"})


@pytest.mark.parametrize(
    "formula", [["y ~ x", "sigma ~ x"], "y ~ x, sigma ~ x", "y ~ x\nzi ~ mined"]
)
def test_several_formulas_in_one_point_to_the_keyword(formula):
    with pytest.raises(FormulaError, match=r"sigma='~ x \+ \(1 \| g\)'"):
        check_single_formula(formula)


def test_prior_keys():
    assert intercept_key("sigma") == "sigma|Intercept"
    assert slope_keys("zi", "mined") == ("zi|b|mined", "zi|b")
    assert sd_keys("sigma", "g", "x") == ("sd|g|sigma|x", "sd|g|sigma", "sigma|sd")
    assert cor_keys("sigma", "g") == ("cor|g|sigma", "sigma|cor")
