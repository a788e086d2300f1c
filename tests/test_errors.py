"""Every bad input fails early with a typed error whose message explains itself.

Each test checks the exception type (from :mod:`hiermodels.errors`), that the message names
the offending value and, where there is a choice, the valid choices, and that the caller's
DataFrame is left exactly as it was (values, dtypes, index and column order). Nothing here
samples: sampler options are validated before any compilation.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import (
    DataError,
    FormulaError,
    HiermodelsError,
    MissingDataWarning,
    PriorError,
    SamplerError,
    SpecError,
)
from hiermodels.spec.formula import parse_formula

N = 12


def make_frame() -> pd.DataFrame:
    """Twelve rows, a custom index (so row labels differ from positions), mixed dtypes."""
    rng = np.random.default_rng(20240601)
    return pd.DataFrame(
        {
            "y": rng.normal(size=N),
            "x": rng.normal(size=N),
            "g": pd.Categorical(list("aaabbbcccddd")),
            "h": list("uvuvuvuvuvuv"),
            "m1": list("pqrpqrpqrpqr"),
            "m2": list("qrpqrpqrpqrp"),
            "w1": np.full(N, 0.5),
            "w2": np.full(N, 0.5),
            "count": rng.poisson(3.0, size=N),
        },
        index=pd.RangeIndex(100, 100 + N),
    )


@contextmanager
def unchanged(df: pd.DataFrame) -> Iterator[None]:
    """Assert that ``df`` is identical (values and dtypes) after the block."""
    before = copy.deepcopy(df)
    yield
    pd.testing.assert_frame_equal(df, before, check_exact=True)


def caret_position(err: FormulaError) -> int:
    """The character offset the caret line of a FormulaError points at."""
    *_, formula_line, caret_line = str(err).splitlines()
    assert formula_line == "    " + err.formula
    assert caret_line.strip() == "^"
    position = caret_line.index("^") - 4
    assert position == err.position
    return position


@pytest.fixture(scope="module")
def model() -> hm.Model:
    return hm.Model("y ~ x + (1 | g)", make_frame())


def test_every_error_class_is_a_hiermodels_error_and_a_value_error():
    for cls in (DataError, FormulaError, PriorError, SamplerError, SpecError):
        assert issubclass(cls, HiermodelsError)
        assert issubclass(cls, ValueError)
    assert issubclass(PriorError, SpecError)
    assert issubclass(SamplerError, SpecError)


# --- unknown columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "column"),
    [
        ("y ~ xx + (1 | g)", "xx"),
        ("yy ~ x + (1 | g)", "yy"),
        ("y ~ x + (1 | gg)", "gg"),
        ("y ~ x + (1 + z | g)", "z"),
        ("y ~ x + (1 | mm(m1, m3))", "m3"),
    ],
)
def test_unknown_column_names_it_and_lists_available_columns(formula, column):
    df = make_frame()
    with unchanged(df), pytest.raises(FormulaError, match=f"Unknown column '{column}'") as info:
        hm.Model(formula, df)
    assert f"Available columns: {list(df.columns)}" in str(info.value)
    assert formula[caret_position(info.value) :].startswith(column)


def test_unknown_column_suggests_close_names():
    with pytest.raises(FormulaError, match=r"Did you mean \['x'\]\?"):
        hm.Model("y ~ xx + (1 | g)", make_frame())


def test_unknown_column_caret_marks_the_whole_name_not_a_substring():
    df = pd.DataFrame({"score": [1.0, 2.0, 3.0, 4.0], "age": [1.0, 2.0, 3.0, 5.0]})
    formula = "score ~ age + (1 | a)"
    with pytest.raises(FormulaError, match="Unknown column 'a'") as info:
        hm.Model(formula, df)
    assert caret_position(info.value) == formula.rindex("a")


def test_unknown_backticked_column_is_named():
    formula = "y ~ x + (1 | `school id`)"
    with pytest.raises(FormulaError, match="Unknown column 'school id'") as info:
        hm.Model(formula, make_frame())
    assert caret_position(info.value) == formula.index("`")


# --- formula syntax ------------------------------------------------------------------

SYNTAX_ERRORS = [
    # (formula, message pattern, character the caret must point at: index or "end")
    ("y ~ x + (1 | g", r"Unclosed parenthesis.*missing '\)'", "end"),
    ("y x + (1 | g)", r"no '~'.*'y ~ x \+ \(1 \| g\)'", 0),
    ("y ~ x | g", r"'\|' must sit inside a parenthesised group term", 6),
    ("y ~ x + ", r"Empty term: a '\+' has nothing on one side", "end"),
    ("y ~ + x", r"Empty term", 4),
    ("y ~ x) + (1 | g)", r"Unmatched closing parenthesis", 5),
    ("y ~ x + (1 | g))", r"Unmatched closing parenthesis", 15),
    ("y ~ x ~ z", r"more than one '~'", 6),
    ("~ x", r"no response before '~'", 0),
    ("y ~ x + ( | g)", r"Missing varying effects before '\|'", 10),
    ("y ~ x + (1 | )", r"Missing grouping factor after '\|'", 13),
    ("y ~ x + (1 | g | h)", r"more than one bar", 15),
    ("y ~ x + (1 | a/)", r"Expected a column name as a grouping factor, got ''", 15),
    ("y ~ x + (1 | g + h)", r"grouping factor, got 'g \+ h'", 13),
    ("y | rate(w) ~ x", r"Unknown response addition 'rate\(w\)'.*trials\(n\)", 4),
    ("y | trials(n) | z ~ x", r"response has more than one '\|'", 14),
    ("y ~ x + (1 | g) (1 | h)", r"Missing '\+' after a group term", 16),
    ("y ~ x + ((1 | g))", r"one pair of parentheses", 8),
    ("y ~ (1 + x) | g", r"'\|' must sit inside a parenthesised group term", 12),
    ('y ~ x + "abc', r"Unclosed quote \"", "end"),
    ("y ~ x + (1 | mm())", r"Empty argument in mm\(\)", 16),
    ("y ~ x + (1 | mm(a, a))", r"mm\(\) lists a member column twice: \['a', 'a'\]", 16),
    ("y ~ x + (1 | mm(a, foo=1))", r"Unknown mm\(\) argument 'foo'.*'weights' and 'scale'", 19),
    ("y ~ x + (1 | mm(a, b, scale=yes))", r"scale must be True or False, got 'yes'", 22),
    ("y ~ x + (1 | mm(a, weights=w))", r"weights must be a list of columns", 27),
]


@pytest.mark.parametrize(("formula", "pattern", "where"), SYNTAX_ERRORS)
def test_syntax_error_message_and_caret(formula, pattern, where):
    with pytest.raises(FormulaError, match=pattern) as info:
        parse_formula(formula)
    assert info.value.formula == formula
    expected = len(formula) if where == "end" else where
    assert caret_position(info.value) == expected


def test_syntax_error_from_model_leaves_frame_unchanged():
    df = make_frame()
    with unchanged(df), pytest.raises(FormulaError, match="Unclosed parenthesis"):
        hm.Model("y ~ x + (1 | g", df)


def test_bar_inside_a_quoted_string_is_not_a_group_bar():
    parsed = parse_formula('y ~ f(x, "|") + (1 | g)')
    assert parsed.fixed == 'f(x, "|")'
    assert [t.factor.name for t in parsed.group_terms] == ["g"]


def test_repeated_group_term_is_named():
    with pytest.raises(FormulaError, match=r"group term \(1 \| g\) appears twice"):
        parse_formula("y ~ x + (1 | g) + (1|g)")


@pytest.mark.parametrize("formula", [None, 3, ["y ~ x"]])
def test_formula_that_is_not_a_string(formula):
    with pytest.raises(FormulaError, match=f"must be a string, got {type(formula).__name__}"):
        hm.Model(formula, make_frame())


def test_same_varying_term_twice_for_a_factor():
    with pytest.raises(FormulaError, match=r"\['Intercept'\] appear more than once for factor 'g'"):
        hm.Model("y ~ x + (1 | g) + (1 + x | g)", make_frame())


# --- missing values ------------------------------------------------------------------


def frame_with_missing() -> pd.DataFrame:
    df = make_frame()
    df.loc[[101, 102], "x"] = np.nan
    df.loc[103, "g"] = np.nan
    df.loc[[104, 105, 106], "h"] = None  # not used by the formula below
    return df


def test_missing_values_raise_with_count_per_used_column():
    df = frame_with_missing()
    with unchanged(df), pytest.raises(DataError, match=r"\('x': 2, 'g': 1\)") as info:
        hm.Model("y ~ x + (1 | g)", df)
    message = str(info.value)
    assert "missing='drop'" in message
    assert "'h'" not in message


def test_missing_drop_drops_rows_and_warns_with_count():
    df = frame_with_missing()
    with unchanged(df), pytest.warns(MissingDataWarning, match=r"Dropped 3 of 12 rows") as rec:
        model = hm.Model("y ~ x + (1 | g)", df, missing="drop")
    assert len(rec) == 1
    assert "{'x': 2, 'g': 1}" in str(rec[0].message)
    assert model.design.n_obs == N - 3
    assert model.design.row_index.tolist() == [100, *range(104, 112)]
    np.testing.assert_array_equal(model.design.y, df["y"].drop([101, 102, 103]).to_numpy())
    assert model.pymc_model.coords["obs"] == tuple(range(N - 3))


def test_missing_values_in_an_unused_column_do_not_matter():
    df = frame_with_missing()
    with unchanged(df), warnings.catch_warnings():
        warnings.simplefilter("error")
        model = hm.Model("y ~ 1 + (1 | m1)", df)
    assert model.design.n_obs == N


def test_missing_drop_of_every_row_is_an_error():
    df = make_frame()
    df["x"] = np.nan
    with unchanged(df), pytest.raises(DataError, match="Every row has a missing value"):
        hm.Model("y ~ x + (1 | g)", df, missing="drop")


def test_unknown_missing_option_lists_choices():
    with pytest.raises(SpecError, match=r"missing='skip' is not valid; choose 'error' or 'drop'"):
        hm.Model("y ~ x + (1 | g)", make_frame(), missing="skip")


# --- response and values -------------------------------------------------------------


def test_non_numeric_gaussian_response_names_column_and_dtype():
    df = make_frame()
    df["y"] = df["h"]
    dtype = str(df["y"].dtype)
    pattern = rf"response 'y' is not numeric \(dtype {re.escape(dtype)}, e\.g\. 'u'\)"
    with unchanged(df), pytest.raises(DataError, match=pattern) as info:
        hm.Model("y ~ x + (1 | g)", df)
    assert "family 'gaussian' needs real numbers" in str(info.value)


def test_boolean_gaussian_response_points_to_bernoulli():
    df = make_frame()
    df["yes"] = df["y"] > 0
    with unchanged(df), pytest.raises(DataError, match=r"'yes' is boolean.*family='bernoulli'"):
        hm.Model("yes ~ x + (1 | g)", df)


def test_count_family_rejects_negative_and_fractional_responses():
    df = make_frame()
    df["c"] = [0, 1, -2, 3, 1.5, 2, 0, 1, 2, 3, 1, 2]
    pattern = r"non-negative integer counts; 2 rows .*first rows: \[102, 104\]"
    with unchanged(df), pytest.raises(DataError, match=pattern):
        hm.Model("c ~ x + (1 | g)", df, family="poisson")


def test_binomial_needs_trials_and_successes_within_trials():
    df = make_frame()
    df["n"] = df["count"] + 1
    with pytest.raises(FormulaError, match=r"needs the number of trials.*'count \| trials\(n\)"):
        hm.Model("count ~ x", df, family="binomial")
    with pytest.raises(FormulaError, match=r"trials\(\) is only valid for family 'binomial'"):
        hm.Model("count | trials(n) ~ x", df)
    df.loc[107, ["count", "n"]] = [2, 1]
    with unchanged(df), pytest.raises(DataError, match=r"in \[0, trials\].*first rows: \[107\]"):
        hm.Model("count | trials(n) ~ x", df, family="binomial")


@pytest.mark.parametrize("column", ["x", "y"])
def test_infinite_values_name_column_and_rows(column):
    df = make_frame()
    df.loc[104, column] = np.inf if column == "x" else -np.inf
    with unchanged(df), pytest.raises(DataError, match=rf"'{column}' has 1 infinite value"):
        hm.Model("y ~ x + (1 | g)", df)
    with pytest.raises(DataError, match=r"first rows: \[104\]"):
        hm.Model("y ~ x + (1 | g)", df)


def test_empty_frame():
    df = make_frame().iloc[:0]
    with unchanged(df), pytest.raises(DataError, match=r"data is empty \(0 rows\)"):
        hm.Model("y ~ x + (1 | g)", df)


def test_grouping_factor_with_one_level_names_factor_and_level():
    df = make_frame()
    df["one"] = "only"
    pattern = r"grouping factor 'one' has only one level \('only'\)"
    with unchanged(df), pytest.raises(DataError, match=pattern):
        hm.Model("y ~ x + (1 | one)", df)


def test_nested_factor_with_one_outer_level_names_the_outer_factor():
    df = make_frame()
    df["site"] = "S1"
    with pytest.raises(DataError, match=r"'site' has only one level \('S1'\)"):
        hm.Model("y ~ x + (1 | site/g)", df)


def test_rank_deficient_fixed_design_names_constant_column():
    df = make_frame()
    df["k"] = 2.0
    with (
        unchanged(df),
        pytest.raises(DataError, match=r"rank deficient.*Constant columns: \['k'\]"),
    ):
        hm.Model("y ~ x + k + (1 | g)", df)


# --- multiple membership -------------------------------------------------------------

MM = "y ~ x + (1 | mm(m1, m2, weights=[w1, w2]))"


def test_negative_membership_weights_name_rows():
    df = make_frame()
    df.loc[[102, 109], "w1"] = -0.5
    pattern = r"\['w1', 'w2'\] are negative in 2 rows \(first rows: \[102, 109\]\)"
    with unchanged(df), pytest.raises(DataError, match=pattern):
        hm.Model(MM, df)


def test_all_zero_membership_weights_in_a_row_name_rows():
    df = make_frame()
    df.loc[[103, 106], ["w1", "w2"]] = 0.0
    pattern = r"are all zero in 2 rows \(first rows: \[103, 106\]\)"
    with unchanged(df), pytest.raises(DataError, match=pattern):
        hm.Model(MM, df)


def test_non_numeric_membership_weight_column():
    df = make_frame()
    with unchanged(df), pytest.raises(DataError, match="weight column 'h' is not numeric"):
        hm.Model("y ~ x + (1 | mm(m1, m2, weights=[w1, h]))", df)


def test_formula_members_and_weights_of_different_length():
    formula = "y ~ x + (1 | mm(m1, m2, weights=[w1]))"
    pattern = r"2 member columns \['m1', 'm2'\] but 1 weight columns \['w1'\]"
    with pytest.raises(FormulaError, match=pattern) as info:
        hm.Model(formula, make_frame())
    assert caret_position(info.value) == formula.index("m1")


def test_builder_members_and_weights_of_different_length():
    df = make_frame()
    pattern = r"members \['m1', 'm2'\] and weights \['w1'\] differ in length \(2 vs 1\)"
    with unchanged(df), pytest.raises(SpecError, match=pattern):
        hm.multiple_membership(df, response="y", members=["m1", "m2"], weights=["w1"])


# --- sampler options (checked before compilation) ------------------------------------


def test_unknown_sampler_lists_valid_samplers(model):
    with pytest.raises(SamplerError, match="Unknown sampler 'stan'") as info:
        model.fit(sampler="stan")
    assert "['nutpie', 'pymc', 'numpyro']" in str(info.value)


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"draws": 0}, r"draws must be an integer >= 1, got 0"),
        ({"draws": -5}, r"draws must be an integer >= 1, got -5"),
        ({"draws": 10.0}, r"draws must be an integer >= 1, got 10\.0"),
        ({"draws": True}, r"draws must be an integer >= 1, got True"),
        ({"chains": 0}, r"chains must be an integer >= 1, got 0"),
        ({"chains": 1.5}, r"chains must be an integer >= 1, got 1\.5"),
        ({"tune": -1}, r"tune must be an integer >= 0, got -1"),
        ({"cores": 0}, r"cores must be an integer >= 1, got 0"),
        ({"target_accept": 1.5}, r"target_accept must be between 0 and 1, got 1\.5"),
        ({"random_seed": -1}, r"random_seed must be >= 0, got -1"),
        ({"random_seed": "a"}, r"random_seed must be an integer or None, got 'a'"),
    ],
)
def test_bad_sampler_settings(model, options, pattern):
    with pytest.raises(SamplerError, match=pattern):
        model.fit(**options)


# --- family and link -----------------------------------------------------------------


def test_unknown_family_lists_valid_families():
    df = make_frame()
    valid = str(sorted(hm.families.FAMILIES))
    with unchanged(df), pytest.raises(SpecError, match="Unknown family 'gauss'") as info:
        hm.Model("y ~ x + (1 | g)", df, family="gauss")
    assert f"valid families are {valid}" in str(info.value)


@pytest.mark.parametrize(
    ("family", "link", "valid"),
    [
        ("gaussian", "log", "['identity']"),
        ("bernoulli", "identity", "['logit', 'probit', 'cloglog']"),
        ("poisson", "logit", "['log']"),
    ],
)
def test_unsupported_link_lists_valid_links(family, link, valid):
    pattern = rf"Link '{link}' is not available for family '{family}'; valid links are "
    with pytest.raises(SpecError, match=pattern) as info:
        hm.Model("count ~ x + (1 | g)", make_frame(), family=family, link=link)
    assert str(info.value).endswith(f"{valid}.")


def test_cbind_in_a_model_is_a_formula_error_not_an_unknown_column():
    cbpp = hm.datasets.load("cbpp")
    with pytest.raises(FormulaError, match=r"'incidence \| trials\(size\) ~ \.\.\.'"):
        formula = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
        hm.Model(formula, cbpp, family="binomial")


# --- priors --------------------------------------------------------------------------


def test_unknown_prior_key_lists_the_keys_of_this_model():
    df = make_frame()
    with unchanged(df), pytest.raises(PriorError, match=r"Unknown prior key 'sd\|gg'") as info:
        hm.Model("y ~ x + (1 | g)", df, priors={"sd|gg": hm.Prior("HalfNormal", sigma=1)})
    valid = ["Intercept", "b", "sd", "sd|g", "sd|g|Intercept", "sigma", "x"]
    assert f"valid keys for this model are {valid}" in str(info.value)


def test_group_prior_key_is_unknown_in_a_model_without_groups():
    with pytest.raises(PriorError, match=r"'sd'.*\['Intercept', 'b', 'sigma', 'x'\]"):
        hm.Model("y ~ x", make_frame(), priors={"sd": hm.Prior("HalfNormal", sigma=1)})


def test_correlation_key_is_unknown_for_an_uncorrelated_model():
    with pytest.raises(PriorError, match="Unknown prior key 'cor'"):
        hm.Model("y ~ x + (1 + x || g)", make_frame(), priors={"cor": 2})


@pytest.mark.parametrize("value", [3, "Normal", {"dist": "Normal"}])
def test_prior_value_that_is_not_a_prior(value):
    with pytest.raises(
        PriorError, match=r"prior for 'sigma' must be an hm\.Prior.*" + re.escape(repr(value))
    ):
        hm.Model("y ~ x + (1 | g)", make_frame(), priors={"sigma": value})


def test_unknown_distribution_name_fails_at_model_construction():
    df = make_frame()
    prior = hm.Prior("Nope")  # constructing the Prior itself is fine
    with unchanged(df), pytest.raises(PriorError, match="Unknown distribution 'Nope'") as info:
        hm.Model("y ~ x + (1 | g)", df, priors={"sigma": prior})
    assert "'HalfNormal'" in str(info.value)


def test_prior_that_is_not_a_distribution_class():
    with pytest.raises(PriorError, match="Unknown distribution 'Deterministic'"):
        hm.Model("y ~ x", make_frame(), priors={"x": hm.Prior("Deterministic")})


def test_prior_with_a_wrong_parameter_name():
    prior = hm.Prior("HalfNormal", scale=1)
    with pytest.raises(
        PriorError,
        match=r"HalfNormal\(scale=1\) for 'sigma' has unknown parameter\(s\) \['scale'\]; "
        r"HalfNormal takes \['sigma', 'tau'\]",
    ):
        hm.Model("y ~ x", make_frame(), priors={"sigma": prior})


def test_empty_distribution_name():
    with pytest.raises(PriorError, match="needs a distribution name, got ''"):
        hm.Prior("")


def test_correlation_prior_must_be_lkj_with_positive_eta():
    df = make_frame()
    formula = "y ~ x + (1 + x | g)"
    with pytest.raises(PriorError, match=r"LKJ prior.*got Normal\(\) for 'cor'"):
        hm.Model(formula, df, priors={"cor": hm.Prior("Normal")})
    with pytest.raises(PriorError, match=r"LKJ eta for 'cor\|g' must be positive, got -1"):
        hm.Model(formula, df, priors={"cor|g": -1})
    with pytest.raises(PriorError, match=r"prior for 'cor' must be an hm\.Prior.*got True"):
        hm.Model(formula, df, priors={"cor": True})


def test_correlated_sd_priors_must_share_a_distribution():
    pattern = r"SD priors of the correlated terms \['Intercept', 'x'\] of 'g' must share"
    with pytest.raises(PriorError, match=pattern):
        hm.Model(
            "y ~ x + (1 + x | g)", make_frame(), priors={"sd|g|x": hm.Prior("HalfCauchy", beta=1)}
        )


def test_priors_that_are_not_a_mapping():
    with pytest.raises(SpecError, match=r"priors must be a dict of key -> hm\.Prior, got list"):
        hm.Model("y ~ x", make_frame(), priors=[("sigma", hm.Prior("HalfNormal"))])


# --- the data frame itself -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"y": [1.0, 2.0], "x": [0.0, 1.0]}, "dict"),
        (np.zeros((4, 2)), "ndarray"),
        (None, "NoneType"),
    ],
)
def test_data_that_is_not_a_dataframe(data, kind):
    with pytest.raises(DataError, match=f"data must be a pandas DataFrame, got {kind}\\."):
        hm.Model("y ~ x", data)


def test_duplicated_column_names():
    df = make_frame()
    df.columns = ["y", "x", "g", "g", "m1", "m2", "w1", "w2", "count"]
    with unchanged(df), pytest.raises(DataError, match=r"duplicated column names \['g'\]"):
        hm.Model("y ~ x + (1 | g)", df)


def test_non_string_column_names():
    df = make_frame()
    df[0] = 1.0
    with unchanged(df), pytest.raises(DataError, match=r"must be strings; these are not: \[0\]"):
        hm.Model("y ~ x + (1 | g)", df)


def test_misspelled_prior_parameter_is_rejected():
    with pytest.raises(PriorError, match="'sd'"):
        hm.Model("y ~ x", make_frame(), priors={"sigma": hm.Prior("HalfNormal", sd=5)})
