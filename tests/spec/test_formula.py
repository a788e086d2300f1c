"""``parse_formula``: each supported group-term form, the fixed part, and the round trip.

The parser is pure Python; these tests need no data and no backend.
"""

from __future__ import annotations

import pytest

from hiermodels.errors import FormulaError
from hiermodels.spec.formula import ParsedFormula, parse_formula
from hiermodels.spec.offsets import OFFSET_FUNCTIONS, offset_columns
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership, ModelSpec, Response


def only_term(formula: str) -> GroupTerm:
    (term,) = parse_formula(formula).group_terms
    return term


def test_varying_intercept():
    parsed = parse_formula("y ~ x + (1|g)")
    assert parsed == ParsedFormula(
        response=Response("y"),
        fixed="x",
        group_terms=(GroupTerm("1", GroupFactor(("g",)), correlated=True),),
    )
    assert parsed.group_terms[0].text == "(1 | g)"


def test_correlated_intercept_and_slope():
    term = only_term("y ~ x + (1 + x | g)")
    assert (term.expr, term.factor.columns, term.correlated) == ("1 + x", ("g",), True)
    assert term.text == "(1 + x | g)"


def test_implicit_intercept_keeps_the_expression_as_written():
    term = only_term("y ~ x + (x | g)")
    assert (term.expr, term.factor.name, term.correlated) == ("x", "g", True)


def test_double_bar_is_uncorrelated():
    term = only_term("y ~ x + (1 + x || g)")
    assert (term.expr, term.factor.name, term.correlated) == ("1 + x", "g", False)
    assert term.text == "(1 + x || g)"


def test_slope_only():
    term = only_term("y ~ x + (0 + x | g)")
    assert (term.expr, term.factor.name) == ("0 + x", "g")


def test_nested_expands_to_outer_and_interaction():
    terms = parse_formula("y ~ 1 + (1 | a/b)").group_terms
    assert [t.factor for t in terms] == [GroupFactor(("a",)), GroupFactor(("a", "b"))]
    assert [t.factor.name for t in terms] == ["a", "a:b"]
    assert [t.text for t in terms] == ["(1 | a)", "(1 | a:b)"]
    assert all(t.expr == "1" and t.correlated for t in terms)


def test_three_level_nesting():
    terms = parse_formula("y ~ 1 + (1 | a/b/c)").group_terms
    assert [t.factor.columns for t in terms] == [("a",), ("a", "b"), ("a", "b", "c")]
    assert [t.factor.name for t in terms] == ["a", "a:b", "a:b:c"]


def test_nested_slopes_are_repeated_on_every_level():
    terms = parse_formula("y ~ x + (1 + x || a/b)").group_terms
    assert [(t.expr, t.correlated) for t in terms] == [("1 + x", False), ("1 + x", False)]


def test_interaction_factor():
    term = only_term("y ~ 1 + (1 | a:b)")
    assert term.factor == GroupFactor(("a", "b"))
    assert term.factor.name == "a:b"


def test_crossed_factors_keep_their_order():
    parsed = parse_formula("y ~ x + (1|a) + (1|b) + (1|c)")
    assert [t.factor.name for t in parsed.group_terms] == ["a", "b", "c"]
    assert parsed.fixed == "x"


def test_group_names_are_unique_in_order_of_appearance():
    parsed = parse_formula("y ~ x + (1 | b) + (0 + x | a) + (0 + z | b)")
    spec = ModelSpec(parsed.response, parsed.fixed, parsed.group_terms)
    assert spec.group_names == ("b", "a")


def test_multiple_membership_without_weights():
    term = only_term("y ~ x + (1 | mm(s1, s2, s3))")
    assert term.factor == Membership(members=("s1", "s2", "s3"), weights=None, scale=False)
    assert term.factor.name == "mm(s1, s2, s3)"
    assert term.factor.used_columns == ("s1", "s2", "s3")


def test_multiple_membership_with_weights_and_scale():
    term = only_term("y ~ x + (1 | mm(s1, s2, weights = [w1, w2], scale=True))")
    assert term.factor == Membership(members=("s1", "s2"), weights=("w1", "w2"), scale=True)
    assert term.factor.used_columns == ("s1", "s2", "w1", "w2")
    assert term.text == "(1 | mm(s1, s2, weights=[w1, w2], scale=True))"


def test_multiple_membership_scale_false_is_the_default():
    term = only_term("y ~ 1 + (1 | mm(s1, s2, scale=False))")
    assert term.factor.scale is False
    assert term.text == "(1 | mm(s1, s2))"


def test_binomial_trials():
    parsed = parse_formula("y | trials(n) ~ x")
    assert parsed.response == Response(expr="y", trials="n")
    assert parsed.response.text == "y | trials(n)"
    assert parsed.fixed == "x"
    assert parsed.group_terms == ()


def test_explicit_zero_is_kept_in_the_fixed_part():
    parsed = parse_formula("y ~ 0 + x + (1|g)")
    assert parsed.fixed == "0 + x"


def test_only_group_terms_gives_an_intercept_only_fixed_part():
    parsed = parse_formula("y ~ (1|g)")
    assert parsed.fixed == "1"
    assert [t.factor.name for t in parsed.group_terms] == ["g"]


def test_fixed_part_keeps_formulaic_syntax_untouched():
    parsed = parse_formula("log(y) ~ x * C(sex) + I(x**2) + (1 | g)")
    assert parsed.response.expr == "log(y)"
    assert parsed.fixed == "x * C(sex) + I(x**2)"


def test_backtick_column_names():
    parsed = parse_formula("y ~ x + (1 | `school id`) + (1 | mm(`s 1`, s2, weights=[`w 1`, w2]))")
    school, member = parsed.group_terms
    assert school.factor.columns == ("school id",)
    assert school.text == "(1 | `school id`)"
    assert member.factor.members == ("s 1", "s2")
    assert member.factor.weights == ("w 1", "w2")
    assert member.text == "(1 | mm(`s 1`, s2, weights=[`w 1`, w2]))"


def test_backtick_trials_column():
    assert parse_formula("y | trials(`n trials`) ~ 1").response.trials == "n trials"


def test_whitespace_around_tokens_does_not_matter():
    # The varying expression itself is kept verbatim (handed to formulaic), so its inner
    # spacing is the same in both.
    tight = parse_formula("y~x+(1 + x||g)+(1|a/b)")
    loose = parse_formula("  y  ~  x  +  ( 1 + x  ||  g )  +  ( 1 | a / b )  ")
    assert tight.group_terms == loose.group_terms
    assert (tight.fixed, tight.response) == (loose.fixed, loose.response)


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ x + (1 | g)",
        "y ~ x + (1 + x | g)",
        "y ~ x + (x | g)",
        "y ~ x + (1 + x || g)",
        "y ~ x + (0 + x | g)",
        "y ~ 1 + (1 | a/b)",
        "y ~ 1 + (1 | a/b/c)",
        "y ~ 1 + (1 | a:b)",
        "y ~ x + (1 | a) + (1 | b) + (1 | c)",
        "y ~ x + (1 | mm(s1, s2))",
        "y ~ x + (1 | mm(s1, s2, weights=[w1, w2], scale=True))",
        "y | trials(n) ~ x + (1 | g)",
        "y ~ 0 + x + (1 | g)",
        "y ~ (1 | g)",
        "y ~ x + (1 | `school id`)",
    ],
)
def test_spec_formula_round_trip(formula):
    parsed = parse_formula(formula)
    spec = ModelSpec(response=parsed.response, fixed=parsed.fixed, group_terms=parsed.group_terms)
    again = parse_formula(spec.formula)
    assert again == parsed
    # The normal form is a fixed point.
    assert ModelSpec(again.response, again.fixed, again.group_terms).formula == spec.formula


def test_normal_form_of_nested_term_spells_out_the_levels():
    parsed = parse_formula("y ~ 1 + (1|a/b)")
    spec = ModelSpec(parsed.response, parsed.fixed, parsed.group_terms)
    assert spec.formula == "y ~ 1 + (1 | a) + (1 | a:b)"


# --- offsets (issue #22, item 6) ----------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "columns"),
    [
        ("log1p(exposure)", {"exposure"}),
        ("sqrt(exposure)", {"exposure"}),
        ("np.log(exposure)", {"exposure"}),
        ("I(log(a) + 2 * b)", {"a", "b"}),
        ("log(`days at risk`)", {"days at risk"}),
        ("exposure", {"exposure"}),
    ],
)
def test_offset_columns_are_the_data_not_the_functions(expr, columns):
    assert offset_columns(expr) == columns


def test_an_unknown_function_is_named_with_a_caret_and_the_supported_list():
    formula = "y ~ x + offset(log(n) ) + offset( cbrt(n)) + (1 | g)"
    with pytest.raises(FormulaError) as err:
        parse_formula(formula)
    message = str(err.value)
    assert "function 'cbrt'" in message and str(list(OFFSET_FUNCTIONS)) in message
    caret = message.splitlines()[-1].index("^") - 4
    assert formula[caret:].startswith("cbrt(n)")


@pytest.mark.parametrize("part", ["x[0]", "x[1:]", "`a b`[2]"])
def test_an_offset_that_indexes_a_column_is_refused_with_a_caret(part):
    # log(x[0]) was accepted and broadcast the first row's exposure over every row.
    formula = f"y ~ 1 + offset(log({part})) + (1 | g)"
    with pytest.raises(FormulaError, match=r"reads '.*', which is not one row's value") as err:
        parse_formula(formula)
    caret = str(err.value).splitlines()[-1].index("^") - 4
    assert formula[caret:].startswith(part)


def test_an_offset_that_is_not_an_expression_is_a_formula_error():
    with pytest.raises(FormulaError, match=r"Cannot read offset\(log\(\)\)\) as an expression"):
        offset_columns("log())")


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        ("cbind(k, n - k) ~ x", "here 'k | trials(n) ~ ...'"),
        ("cbind(incidence, size-incidence) ~ period", "here 'incidence | trials(size) ~ ...'"),
        ("cbind(yes, no) ~ x", "add a column total = yes + no and write 'yes | trials(total)"),
    ],
)
def test_cbind_response_points_to_trials(formula, hint):
    with pytest.raises(FormulaError, match=r"cbind\(successes, failures\) is R's binomial") as info:
        parse_formula(formula)
    assert hint in str(info.value)
    assert info.value.position == 0


# ---------------------------------------------------------------------- additions
@pytest.mark.parametrize(
    ("formula", "fields", "text"),
    [
        ("y | se(s) ~ 1", {"se": "s"}, "y | se(s)"),
        ("y | se(s, sigma=True) ~ 1", {"se": "s", "se_sigma": True}, "y | se(s, sigma=True)"),
        ("y | cens(c) ~ x", {"cens": "c"}, "y | cens(c)"),
        ("y | cens(c, hi) ~ x", {"cens": "c", "cens_y2": "hi"}, "y | cens(c, hi)"),
        ("y | weights(w) ~ x", {"weights": "w"}, "y | weights(w)"),
        (
            "k | trials(n) + weights(w) ~ x",
            {"trials": "n", "weights": "w"},
            "k | trials(n) + weights(w)",
        ),
        ("y | cens(c) + weights(w) ~ x", {"cens": "c", "weights": "w"}, "y | cens(c) + weights(w)"),
    ],
)
def test_response_additions(formula, fields, text):
    response = parse_formula(formula).response
    for key, value in fields.items():
        assert getattr(response, key) == value
    assert response.text == text
    assert parse_formula(f"{response.text} ~ 1").response == response


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y | se(s, sigma=yes) ~ 1", r"sigma=True"),
        ("y | cens(c, a, b) ~ 1", r"cens\(c\) or cens\(c, y2\)"),
        ("y | weights(w) + weights(v) ~ 1", r"weights\(\) appears twice"),
        ("y | weights(w, v) ~ 1", r"weights\(\) takes one column"),
        ("y | mi() ~ 1", r"the valid ones are trials\(n\), se\(s\)"),
    ],
)
def test_bad_response_additions(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)
