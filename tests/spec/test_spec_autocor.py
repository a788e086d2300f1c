"""The ar() term of a formula: brms's spellings, and clear errors for the rest."""

import pytest

from hiermodels.errors import FormulaError
from hiermodels.spec.autocor import ArTerm
from hiermodels.spec.formula import parse_formula


@pytest.mark.parametrize(
    "term",
    [
        "ar(t, gr = id)",
        "ar(time = t, gr = id)",
        "ar(t, id)",
        "ar(gr=id, time=t, p=1)",
        "ar(t, gr=id, cov=TRUE)",
    ],
)
def test_brms_spellings_give_one_term(term):
    parsed = parse_formula(f"y ~ x + (1 | id) + {term}")
    assert parsed.autocor == ArTerm(time="t", group="id")
    assert parsed.fixed == "x"
    assert [g.text for g in parsed.group_terms] == ["(1 | id)"]


def test_without_gr_all_rows_are_one_series():
    assert parse_formula("y ~ ar(t)").autocor == ArTerm(time="t")


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("ar(gr = id)", "needs the time column"),
        ("ar(t, gr = id, p = 2)", "order p = 1 only"),
        ("ar(t, gr = id, cov = FALSE)", "residual covariance"),
        ("ar(t, gr = id, lag = 1)", "Unknown ar() argument 'lag'"),
        ("ar(t, id, z)", "at most two unnamed"),
        ("ar(t, gr = t)", "both as time and as gr"),
        ("ar(log(t), gr = id)", "Expected a column name"),
        ("ar(t, gr = id) + ar(s, gr = id)", "more than one ar()"),
    ],
)
def test_bad_ar_terms_are_refused(term, message):
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_formula(f"y ~ x + {term}")
