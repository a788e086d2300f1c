"""fit.hypothesis: the parser (no fit needed) and the numbers against the draws themselves."""

from __future__ import annotations

import re

import numpy as np
import pytest

from hiermodels.analysis.hypothesis import hypothesis, parse, tokenize
from hiermodels.errors import FormulaError, HypothesisError

NAMES = ["Intercept", "Days", "sex[M]", "a:b", "sd_Subject[Days]", "sigma", "np.log(x)"]


# ---------------------------------------------------------------------- parser
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Days>0", ["Days", ">", "0"]),
        ("Intercept + 10*Days = 0.5", ["Intercept", "+", "10", "*", "Days", "=", "0.5"]),
        ("sex[M] - a:b <= 1e-3", ["sex[M]", "-", "a:b", "<=", "1e-3"]),
        ("np.log(x) / sigma == -2", ["np.log(x)", "/", "sigma", "==", "-", "2"]),
        ("`sd_Subject[Days]` > .5", ["sd_Subject[Days]", ">", ".5"]),
    ],
)
def test_tokens_read_the_names_the_summary_prints(text, tokens):
    assert [t.text for t in tokenize(text, NAMES)][:-1] == tokens


def test_precedence_and_relations():
    h = parse("-(Intercept - 2) * Days >= sigma / 2 + 1", NAMES)
    assert h.relation == ">"
    assert h.left == ("*", ("neg", ("-", "Intercept", 2.0)), "Days")
    assert h.right == ("+", ("/", "sigma", 2.0), 1.0)
    assert parse("Days = 1", NAMES).relation == parse("Days == 1", NAMES).relation == "="
    assert parse("Days <= 1", NAMES).relation == "<"


@pytest.mark.parametrize(
    ("text", "caret", "words"),
    [
        ("Days >", 6, "Expected a parameter"),
        ("Days + * 2 = 0", 7, "Expected a parameter"),
        ("Days > 0 > 1", 9, "one relation"),
        ("Days $ 0", 5, "Unexpected character '$'"),
        ("Days + 1", 8, "Expected one of =, <, >"),
        ("(Days + 1 > 0", 10, "Expected ')'"),
        ("Day > 0", 0, "Unknown parameter 'Day'"),
        ("Days > Intercept_2", 7, "Unknown parameter 'Intercept_2'"),
        ("sex[F] > 0", 0, "Unknown parameter 'sex[F]'"),
        ("`Days > 0", 0, "Unclosed backtick"),
        ("2 > 1", 0, "names no parameter"),
        ("10Days > 0", 2, "Expected one of"),
    ],
)
def test_a_bad_hypothesis_gets_a_caret_under_the_token(text, caret, words):
    with pytest.raises(HypothesisError, match=re.escape(words)) as info:
        parse(text, NAMES)
    assert isinstance(info.value, FormulaError)
    assert info.value.position == caret
    assert str(info.value).splitlines()[-1] == "    " + " " * caret + "^"


def test_an_unknown_parameter_lists_the_valid_names():
    with pytest.raises(HypothesisError, match=r"Did you mean \['Days'\]") as info:
        parse("Dayz > 0", NAMES)
    assert str(NAMES) in str(info.value)


def test_only_strings_parse():
    with pytest.raises(HypothesisError, match="must be a string"):
        parse(3, NAMES)


# ---------------------------------------------------------------------- on a fit
def test_acceptance_3_probability_and_interval_equal_the_draws(sleepstudy_fit):
    """P(Days > 0) and the interval of Intercept + 10*Days, straight from the draws."""
    fit = sleepstudy_fit
    table = fit.hypothesis(["Days > 0", "Intercept + 10*Days = 0", "Intercept + Days < 260"])
    days = fit.posterior["b"].sel(fixed_term="Days").values.ravel()
    intercept = fit.posterior["Intercept"].values.ravel()
    line = intercept + 10 * days
    assert abs(table.loc[0, "post_prob"] - np.mean(days > 0)) < 1e-12
    assert abs(table.loc[0, "estimate"] - days.mean()) < 1e-12
    assert abs(table.loc[1, "estimate"] - line.mean()) < 1e-12
    assert abs(table.loc[1, "sd"] - line.std(ddof=1)) < 1e-12
    lower, upper = np.quantile(line, [0.055, 0.945])
    assert abs(table.loc[1, "eti89_lb"] - lower) < 1e-12
    assert abs(table.loc[1, "eti89_ub"] - upper) < 1e-12
    assert np.isnan(table.loc[1, "post_prob"]) and np.isnan(table.loc[1, "evid_ratio"])
    p = np.mean(intercept + days - 260 < 0)
    assert 0 < p < 1  # the prior-free case that gives a finite ratio
    assert abs(table.loc[2, "post_prob"] - p) < 1e-12
    assert abs(table.loc[2, "evid_ratio"] - p / (1 - p)) < 1e-9
    # every draw has a positive slope: P = 1, an infinite evidence ratio, no warning
    assert table.loc[0, "evid_ratio"] == np.inf
    # the draws are kept, labelled by the hypotheses as written
    np.testing.assert_array_equal(
        table.draws.sel(hypothesis="Intercept + 10*Days = 0").values.ravel(), line
    )
    assert table.columns.tolist() == [
        "hypothesis",
        *["estimate", "sd", "eti89_lb", "eti89_ub", "post_prob", "evid_ratio"],
    ]


def test_variance_and_family_parameters_and_prob(sleepstudy_fit):
    fit = sleepstudy_fit
    table = hypothesis(
        fit, "sd_Subject[Days] / sigma + 0 * cor_Subject[Intercept,Days] < 1", prob=0.5
    )
    ratio = (
        fit.posterior["sd_Subject"].sel(Subject__term="Days") / fit.posterior["sigma"]
    ).values.ravel()
    assert abs(table.loc[0, "estimate"] - (ratio.mean() - 1)) < 1e-12
    assert abs(table.loc[0, "eti50_ub"] - (np.quantile(ratio, 0.75) - 1)) < 1e-12


def test_an_unknown_parameter_on_a_fit_lists_the_fits_names(sleepstudy_fit):
    with pytest.raises(HypothesisError) as info:
        sleepstudy_fit.hypothesis("coa > 0")
    assert (
        "['Intercept', 'Days', 'sd_Subject[Intercept]', 'sd_Subject[Days]', "
        "'cor_Subject[Intercept,Days]', 'sigma']"
    ) in str(info.value)
    with pytest.raises(HypothesisError, match="No hypothesis"):
        sleepstudy_fit.hypothesis([])
