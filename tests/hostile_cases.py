"""Shared pieces of the hostile-input tests (issue #8): the hypothesis profile, the oracle
(a model builds or a HiermodelsError names the problem, and the caller's frame is
unchanged), and the strategies that draw random frames, formulas and plausible models
with one hostile twist.

The tests live under the layer whose checks they exercise:
``tests/design/test_hostile_data.py`` (data checks of the design) and
``tests/spec/test_hostile_formulas.py`` (formula syntax and names). Nothing samples:
building a model compiles nothing.
"""

from __future__ import annotations

import copy
import keyword
import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import pymc as pm
from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

import hiermodels as hm
from hiermodels.design import build_design
from hiermodels.errors import (
    DataError,
    FormulaError,
    HiermodelsError,
    HiermodelsWarning,
    MissingDataWarning,
)
from hiermodels.families import FAMILIES
from hiermodels.spec.formula import parse_formula

settings.register_profile(
    "hostile-inputs",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
HOSTILE = settings.get_profile("hostile-inputs")
#: Examples per property test; together well over the 200 the issue asks for.
RANDOM_EXAMPLES = 150
TWIST_EXAMPLES_EACH = 8  # for each of the 20 twists
PAREN_EXAMPLES = 60

FAMILY_NAMES = sorted(FAMILIES)


# --- the oracle ------------------------------------------------------------------------


def assert_frame_unchanged(frame: pd.DataFrame, before: pd.DataFrame) -> None:
    """Values, dtypes, column names (order, types) and index are exactly as before."""
    assert list(frame.columns) == list(before.columns)
    assert [type(c) for c in frame.columns] == [type(c) for c in before.columns]
    assert list(map(str, frame.dtypes)) == list(map(str, before.dtypes))
    assert frame.index.equals(before.index)
    pd.testing.assert_frame_equal(frame, before, check_exact=True)


def build_or_explain(formula, frame, **options) -> hm.Model | HiermodelsError:
    """Build the model; return it or the hiermodels error. Anything else fails the test.

    Foreign warnings (NumPy, pandas, PyMC) are errors, as in the test configuration;
    hiermodels warnings are recorded and must be a MissingDataWarning with
    ``missing="drop"``. The frame must be unchanged afterwards.
    """
    before = copy.deepcopy(frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", HiermodelsWarning)
        try:
            outcome: hm.Model | HiermodelsError = hm.Model(formula, frame, **options)
        except HiermodelsError as err:
            outcome = err
    for record in caught:
        assert record.category is MissingDataWarning, record
        assert options.get("missing") == "drop"
        assert "Dropped" in str(record.message)
    assert_frame_unchanged(frame, before)
    if isinstance(outcome, HiermodelsError):
        check_error(outcome, formula)
    else:
        check_model(outcome, frame, options)
    return outcome


def check_error(err: HiermodelsError, formula) -> None:
    message = str(err)
    assert message.strip(), f"{type(err).__name__} without a message"
    assert "Traceback" not in message
    if isinstance(err, FormulaError) and err.formula is not None:
        assert err.formula == formula
        if err.position is not None:
            assert 0 <= err.position <= len(formula)


def check_model(model: hm.Model, frame: pd.DataFrame, options: dict) -> None:
    """A built model is complete, finite, and its data are rows of the caller's frame."""
    assert isinstance(model.pymc_model, pm.Model)
    assert model.pymc_model.free_RVs
    design = model.design
    assert 1 <= design.n_obs <= len(frame)
    if options.get("missing", "error") == "error":
        assert design.n_obs == len(frame)
    arrays = [design.y, design.fixed.matrix]
    arrays += [a for a in (design.trials, design.offset) if a is not None]
    for g in design.groups:
        arrays += [g.Z, g.weights]
        assert g.n_levels >= 2
        assert 0 <= g.codes.min() and g.codes.max() < g.n_levels
    for values in arrays:
        assert np.isfinite(values).all()
    data = model.data
    assert len(data) == design.n_obs
    assert data.index.equals(design.row_index)
    if model.family == "gaussian" and design.groups:
        try:
            estimate = model.optimize()
        except HiermodelsError as err:
            check_error(err, model.formula)
        else:
            assert np.isfinite(estimate.fixed_effects["estimate"]).all()
            assert np.isfinite(estimate.loglik)


# --- names and formulas ----------------------------------------------------------------


def quote(name: str) -> str:
    """``name`` as written in a formula: bare if it is an identifier, else in backticks."""
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"`{name}`"


ODD_NAMES = ["ÿ", "日本", "Δ x", "x.y", "my col", "ñ_1", "if", "Ünïcödé", "a-b", "1st", "σ²"]
POOL = ["y", "x", "z", "g", "h", "n", "w1", "w2", "s1", "s2", *ODD_NAMES]
TRICKY = ["Intercept", "obs", "sigma", "b", "r_g", "sd_g", "", " ", "a`b", "x[T.b]"]

string_names = st.one_of(
    st.sampled_from(POOL),
    st.sampled_from(POOL),
    st.sampled_from(POOL),
    st.sampled_from(TRICKY),
    st.text(max_size=4),
)
NON_STRING_NAMES = [0, 1, None, 1.5, ("a", "b")]


@st.composite
def column_values(draw, n: int):
    """One column of ``n`` rows, of a random kind, some of them hostile."""
    kind = draw(
        st.sampled_from(
            [
                "float",
                "float",
                "float",
                "float",
                "hostile_float",
                "int",
                "count",
                "huge_int",
                "uint64",
                "bool",
                "label",
                "label",
                "label",
                "unicode_label",
                "object",
                "unhashable",
                "complex",
                "nullable",
                "temporal",
                "constant",
            ]
        )
    )
    if kind == "float":
        return draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n))
    if kind == "hostile_float":
        return draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n)
        )
    if kind == "int":
        return draw(st.lists(st.integers(-5, 20), min_size=n, max_size=n))
    if kind == "count":
        return draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    if kind == "huge_int":
        big = st.integers(2**62, 2**63 - 1) | st.integers(-(2**63), -(2**62))
        return np.array(draw(st.lists(big, min_size=n, max_size=n)), dtype=np.int64)
    if kind == "uint64":
        values = draw(st.lists(st.integers(2**63, 2**64 - 1), min_size=n, max_size=n))
        return np.array(values, dtype=np.uint64)
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "label":
        levels = ["a", "b", "c", None] if draw(st.booleans()) else ["a", "b", "c"]
        labels = draw(st.lists(st.sampled_from(levels), min_size=n, max_size=n))
        return pd.Categorical(labels) if draw(st.booleans()) else labels
    if kind == "unicode_label":
        return draw(st.lists(st.text(max_size=3), min_size=n, max_size=n))
    if kind == "object":
        cell = st.one_of(
            st.integers(-3, 3), st.text(max_size=2), st.none(), st.floats(), st.booleans()
        )
        return pd.Series(draw(st.lists(cell, min_size=n, max_size=n)), dtype=object)
    if kind == "unhashable":
        cell = st.lists(st.integers(0, 2), max_size=2) | st.dictionaries(
            st.text(max_size=1), st.integers()
        )
        return pd.Series(draw(st.lists(cell, min_size=n, max_size=n)), dtype=object)
    if kind == "complex":
        return draw(st.lists(st.complex_numbers(max_magnitude=10), min_size=n, max_size=n))
    if kind == "nullable":
        dtype = draw(st.sampled_from(["Int64", "Float64", "boolean", "string"]))
        cell = {
            "Int64": st.integers(-3, 9),
            "Float64": st.floats(-10, 10),
            "boolean": st.booleans(),
            "string": st.sampled_from(["p", "q", "r"]),
        }[dtype]
        return pd.array(draw(st.lists(st.none() | cell, min_size=n, max_size=n)), dtype=dtype)
    if kind == "temporal":
        make = draw(
            st.sampled_from([pd.date_range, pd.timedelta_range, pd.period_range, pd.interval_range])
        )
        if make is pd.interval_range:
            return make(0, n)
        return make("2024-01-01" if make is not pd.timedelta_range else "1D", periods=n)
    value = draw(st.sampled_from([0.0, 1, "a", True]))
    return [value] * n


@st.composite
def random_frames(draw) -> pd.DataFrame:
    n_rows = draw(st.integers(1, 10))
    names = draw(st.lists(string_names, min_size=1, max_size=6, unique=True))
    frame = pd.DataFrame({i: draw(column_values(n_rows)) for i in range(len(names))})
    names_twist = draw(st.sampled_from(["none"] * 6 + ["repeated", "non-string"]))
    if names_twist == "repeated":
        names.append(draw(st.sampled_from(names)))
        frame[len(names) - 1] = draw(column_values(n_rows))
    elif names_twist == "non-string":
        names[draw(st.integers(0, len(names) - 1))] = draw(st.sampled_from(NON_STRING_NAMES))
    frame.columns = names
    index = draw(st.sampled_from(["range", "shifted", "repeated", "labels"]))
    if index == "shifted":
        frame.index = pd.RangeIndex(100, 100 + n_rows)
    elif index == "repeated":
        frame.index = [0] * n_rows
    elif index == "labels":
        frame.index = [f"r{i}" for i in range(n_rows)]
    return frame


BREAKERS = [*"()[]{}|~+:/,`'\" -*", "\t", "\n", "\u00a0", "\u200b", "é", "||", "()"]


@st.composite
def random_formulas(draw, names: list[str]) -> str:
    """A formula over ``names`` (and some unknown ones), possibly broken afterwards."""
    refs = st.sampled_from([*names, *names, *names, "nope", "日本", "x y"]).map(quote)
    a, b, c, d = (draw(refs) for _ in range(4))
    response = draw(
        st.sampled_from([a, a, a, "", f"{a} | trials({b})", f"np.log({a})", f"{a} + {b}"])
    )
    fixed = draw(
        st.lists(
            st.sampled_from(
                [
                    b,
                    c,
                    "1",
                    "0",
                    "-1",
                    f"{b}:{c}",
                    f"{b}*{c}",
                    f"np.log({b})",
                    f"C({c})",
                    f"center({b})",
                    f"I({b}**2)",
                    f"offset({d})",
                    f"offset(log({d}))",
                ]
            ),
            max_size=3,
        )
    )
    bars = st.sampled_from(["|", "||"])
    factor = st.sampled_from(
        [
            c,
            f"{c}/{d}",
            f"{c}:{d}",
            f"mm({c}, {d})",
            f"mm({c}, {d}, weights=[{a}, {b}])",
            f"mm({c}, {d}, weights=[{a}])",
            f"mm({c}, {d}, scale=True)",
            f"mm({c})",
        ]
    )
    varying = st.sampled_from(["1", "1", "0", b, f"1 + {b}", f"0 + {b}", ""])
    groups = draw(
        st.lists(
            st.tuples(varying, bars, factor).map(lambda t: f"({t[0]} {t[1]} {t[2]})"), max_size=2
        )
    )
    formula = f"{response} ~ " + (" + ".join(dict.fromkeys([*fixed, *groups])) or "1")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        action = draw(st.sampled_from(["insert", "delete", "none"]))
        at = draw(st.integers(0, len(formula)))
        if action == "insert":
            formula = formula[:at] + draw(st.sampled_from(BREAKERS)) + formula[at:]
        elif action == "delete" and formula:
            formula = formula[:at] + formula[at + 1 :]
    return formula


@st.composite
def random_inputs(draw):
    frame = draw(random_frames())
    names = [c for c in frame.columns if isinstance(c, str)] or ["y"]
    formula = draw(random_formulas(names))
    options = {
        "family": draw(st.sampled_from([*FAMILY_NAMES, *FAMILY_NAMES, "gauss"])),
        "missing": draw(st.sampled_from(["error", "drop"])),
        "parameterization": draw(st.sampled_from(["auto", "non_centered", "centered"])),
    }
    return formula, frame, options


# --- explicit cases from the issue, run through the same property ------------------------


def small_frame(rows: int = 8, **columns) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    base = {
        "y": rng.normal(size=rows).round(3),
        "x": rng.normal(size=rows).round(3),
        "g": ["a", "b", "c", "d"] * (rows // 4),
        "k": rng.integers(0, 5, size=rows),
        "n": np.full(rows, 6),
        "s1": ["p", "q", "r", "s"] * (rows // 4),
        "s2": ["q", "r", "s", "p"] * (rows // 4),
        "w1": np.full(rows, 0.5),
        "w2": np.full(rows, 0.5),
    }
    base.update(columns)
    return pd.DataFrame(base)


def renamed_frame(frame: pd.DataFrame, names: list) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = names
    return frame


GAUSSIAN = {"family": "gaussian", "missing": "error", "parameterization": "auto"}
ISSUE_EXAMPLES = {
    "duplicated column names": (
        "y ~ x + (1 | g)",
        renamed_frame(small_frame(), ["y", "x", "g", "x", "n", "s1", "s2", "w1", "w2"]),
        GAUSSIAN,
    ),
    "non-string column names": (
        "y ~ x + (1 | g)",
        renamed_frame(small_frame(), ["y", "x", "g", 3, None, "s1", "s2", ("w", 1), 2.5]),
        GAUSSIAN,
    ),
    "unicode names": (
        "ÿ ~ `Δ x` + (1 | 日本) + (1 | mm(ñ_1, `x.y`, weights=[σ², `my col`]))",
        renamed_frame(small_frame(), ["ÿ", "Δ x", "日本", "k", "n", "ñ_1", "x.y", "σ²", "my col"]),
        GAUSSIAN,
    ),
    "group column with NaN": (
        "y ~ x + (1 | g)",
        small_frame(g=["a", np.nan, "b", "b", "c", None, "d", "d"]),
        GAUSSIAN,
    ),
    "group column with NaN, dropped": (
        "y ~ x + (1 | g)",
        small_frame(g=["a", np.nan, "b", "b", "c", None, "d", "d"]),
        {**GAUSSIAN, "missing": "drop"},
    ),
    "boolean response, gaussian": ("y ~ x + (1 | g)", small_frame(y=[True, False] * 4), GAUSSIAN),
    "boolean response, bernoulli": (
        "y ~ x + (1 | g)",
        small_frame(y=[True, False, False, True] * 2),
        {**GAUSSIAN, "family": "bernoulli"},
    ),
    "object response": (
        "y ~ x + (1 | g)",
        small_frame(y=pd.Series([1.0, "2", 3, None, 5, 6, 7, 8], dtype=object)),
        GAUSSIAN,
    ),
    "count near the int64 maximum": (
        "k ~ x + (1 | g)",
        small_frame(k=np.full(8, 2**63 - 1, dtype=np.int64)),
        {**GAUSSIAN, "family": "poisson"},
    ),
    "successes above trials": (
        "k | trials(n) ~ x + (1 | g)",
        small_frame(k=[7, 1, 2, 3, 0, 1, 2, 3]),
        {**GAUSSIAN, "family": "binomial"},
    ),
    "single row": ("y ~ x + (1 | g)", small_frame().iloc[:1], GAUSSIAN),
    "single row, intercept only": ("y ~ 1", small_frame().iloc[:1], GAUSSIAN),
    "mm weights shorter than members": (
        "y ~ x + (1 | mm(s1, s2, weights=[w1]))",
        small_frame(),
        GAUSSIAN,
    ),
    "mm weights longer than members": (
        "y ~ x + (1 | mm(s1, s2, weights=[w1, w2, w1]))",
        small_frame(),
        GAUSSIAN,
    ),
    "stray closing parenthesis": ("y ~ x) + (1 | g)", small_frame(), GAUSSIAN),
    "stray opening parenthesis": ("y ~ (x + (1 | g)", small_frame(), GAUSSIAN),
    "doubled parentheses": ("y ~ x + ((1 | g))", small_frame(), GAUSSIAN),
    "empty parentheses": ("y ~ x + () + (1 | g)", small_frame(), GAUSSIAN),
}


def with_issue_examples(test):
    for formula, frame, options in ISSUE_EXAMPLES.values():
        test = example(case=(formula, frame, options))(test)
    return test


# --- plausible models with one hostile twist ---------------------------------------------

ROLES = ("y", "x1", "x2", "c", "g", "h", "s1", "s2", "w1", "w2", "n", "e")
NUMERIC_ROLES = ("x1", "x2", "w1", "w2", "n", "e")
FACTOR_ROLES = ("g", "h", "s1", "s2")
FIXED_TERMS = ["{x1}", "{x2}", "{c}", "{x1}:{x2}", "{x1}*{c}", "offset(log({e}))"]
GROUP_TERMS = [
    "(1 | {g})",
    "({x1} | {g})",
    "(1 + {x1} || {g})",
    "(0 + {x1} | {g})",
    "(1 | {g}/{h})",
    "(1 | {g}:{h})",
    "(1 | {h})",
    "(1 | mm({s1}, {s2}))",
    "(1 | mm({s1}, {s2}, weights=[{w1}, {w2}]))",
    "(1 | mm({s1}, {s2}, weights=[{w1}, {w2}], scale=True))",
]


@dataclass(frozen=True)
class Case:
    """A model written as a template over roles, the frame, and the build options."""

    template: str
    frame: pd.DataFrame
    names: dict[str, str]
    options: dict

    @property
    def formula(self) -> str:
        return self.template.format(**{role: quote(col) for role, col in self.names.items()})

    def used(self, roles=ROLES) -> list[str]:
        return [r for r in roles if "{" + r + "}" in self.template]

    def column(self, role: str) -> str:
        return self.names[role]

    def with_column(self, role: str, values) -> Case:
        frame = self.frame.copy()
        frame[self.names[role]] = values
        return replace(self, frame=frame)


@st.composite
def plausible_cases(draw, families=FAMILY_NAMES, required_groups=()) -> Case:
    """A small, mostly valid model of ``family``; with ``required_groups``, one of those
    group terms is in it."""
    family = draw(st.sampled_from(families))
    n = draw(st.integers(4, 12))

    def column(cell):
        return draw(st.lists(cell, min_size=n, max_size=n))

    def trend(low, high):  # never constant: a ramp plus noise
        return [i + v for i, v in enumerate(column(st.floats(low, high)))]

    def factor(levels):  # every level appears (when there are enough rows)
        return draw(st.permutations([levels[i % len(levels)] for i in range(n)]))

    trials = column(st.integers(1, 9))
    response = {
        "gaussian": st.floats(-100, 100),
        "student_t": st.floats(-100, 100),
        "bernoulli": st.integers(0, 1),
        "poisson": st.integers(0, 30),
        "negative_binomial": st.integers(0, 30),
        "cumulative": st.integers(0, 2),
        "zero_inflated_poisson": st.integers(0, 30),
        "zero_inflated_negative_binomial": st.integers(0, 30),
        "hurdle_poisson": st.integers(0, 30),
        "hurdle_negative_binomial": st.integers(0, 30),
        "beta": st.floats(0.01, 0.99),
        "gamma": st.floats(0.1, 100),
        "lognormal": st.floats(0.1, 100),
    }
    if family == "binomial":
        y = [draw(st.integers(0, t)) for t in trials]
    else:
        y = column(response[family])
    frame = pd.DataFrame(
        {
            "y": y,
            "x1": trend(-1, 1),
            "x2": column(st.floats(-10, 10)),
            "c": factor(["p", "q", "r"]),
            "g": factor(["a", "b", "c", "d"]),
            "h": factor(["u", "v"]),
            "s1": factor(["k", "l", "m"]),
            "s2": factor(["k", "l", "m"]),
            "w1": column(st.floats(0, 1)),
            "w2": column(st.floats(0.1, 1)),
            "n": trials,
            "e": column(st.floats(0.5, 20)),
        }
    )
    fixed = draw(st.lists(st.sampled_from(FIXED_TERMS), max_size=2, unique=True))
    start = draw(st.sampled_from(["", "0", "1"]))
    groups = draw(st.lists(st.sampled_from(GROUP_TERMS), max_size=2, unique=True))
    if required_groups and not set(groups) & set(required_groups):
        groups = [draw(st.sampled_from(required_groups)), *groups[:1]]
    rhs = " + ".join(dict.fromkeys(p for p in [start, *fixed, *groups] if p)) or "1"
    lhs = "{y} | trials({n})" if family == "binomial" else "{y}"
    options = {
        "family": family,
        "missing": "error",
        "parameterization": draw(st.sampled_from(["auto", "non_centered", "centered"])),
    }
    return Case(f"{lhs} ~ {rhs}", frame, {r: r for r in ROLES}, options)


@dataclass(frozen=True)
class Expect:
    """What a twist must do to a case whose clean version builds.

    ``raise``: an ``error`` whose message holds each of ``mentions``; ``same``: the same
    response, fixed design and levels as the clean case (no data or formula error);
    ``any``: the oracle only.
    """

    kind: Literal["raise", "same", "any"]
    error: type[HiermodelsError] = HiermodelsError
    mentions: tuple[str, ...] = ()


TWISTS = [
    "none",
    "rename_odd",
    "categorical_factors",
    "repeated_index",
    "nan",
    "nan_dropped",
    "inf",
    "unknown_column",
    "duplicated_column",
    "non_string_column",
    "unhashable_factor",
    "complex",
    "huge",
    "string_response",
    "bool_response",
    "object_response",
    "mm_weight_count",
    "single_row",
    "huge_counts",
    "trials_below_successes",
]


#: Twists that need a family or a group term to apply to.
TWIST_FAMILIES = {
    "huge_counts": ["binomial", "negative_binomial", "poisson"],
    "trials_below_successes": ["binomial"],
}
TWIST_GROUPS = {
    "unhashable_factor": GROUP_TERMS,
    "mm_weight_count": [t for t in GROUP_TERMS if "weights" in t],
}


@st.composite
def twisted_cases(draw, twist: str) -> tuple[Case, Case, Expect]:
    case = draw(
        plausible_cases(
            families=TWIST_FAMILIES.get(twist, FAMILY_NAMES),
            required_groups=TWIST_GROUPS.get(twist, ()),
        )
    )
    family = case.options["family"]
    n = len(case.frame)
    row = draw(st.integers(0, n - 1))

    def role_among(roles):
        used = case.used(roles)
        return draw(st.sampled_from(used)) if used else None

    twisted, expect = case, Expect("any")
    if twist == "none":
        expect = Expect("same")
    elif twist == "rename_odd":
        odd = draw(st.permutations(ODD_NAMES))
        names = dict(zip(ROLES, [*odd, "extra_1", "extra_2"]))
        frame = case.frame.rename(columns=names)
        twisted, expect = replace(case, frame=frame, names=names), Expect("same")
    elif twist == "categorical_factors":
        frame = case.frame.copy()
        for role in (*FACTOR_ROLES, "c"):
            frame[role] = pd.Categorical(frame[role])
        twisted, expect = replace(case, frame=frame), Expect("same")
    elif twist == "repeated_index":
        frame = case.frame.copy()
        frame.index = [7] * n
        twisted, expect = replace(case, frame=frame), Expect("same")
    elif twist in ("nan", "nan_dropped"):
        role = role_among(ROLES)
        values = case.frame[role].astype(object).copy()
        values.iloc[row] = None
        twisted = case.with_column(role, values)
        if twist == "nan":
            expect = Expect("raise", DataError, (repr(role), "Missing values"))
        else:
            twisted = replace(twisted, options={**case.options, "missing": "drop"})
    elif twist == "inf":
        role = role_among(("y", *NUMERIC_ROLES))
        values = case.frame[role].astype(float).copy()
        values.iloc[row] = draw(st.sampled_from([np.inf, -np.inf]))
        twisted = case.with_column(role, values)
        expect = Expect("raise", DataError, (repr(role), "infinite"))
    elif twist == "unknown_column":
        role = role_among(ROLES)
        names = {**case.names, role: "nope_col"}
        twisted = replace(case, names=names)
        expect = Expect("raise", FormulaError, ("Unknown column 'nope_col'",))
    elif twist == "duplicated_column":
        role = role_among(ROLES)
        frame = pd.concat([case.frame, case.frame[[role]]], axis=1)
        twisted = replace(case, frame=frame)
        expect = Expect("raise", DataError, (f"duplicated column names [{role!r}]",))
    elif twist == "non_string_column":
        frame = case.frame.copy()
        frame[0] = 1.0
        twisted = replace(case, frame=frame)
        expect = Expect("raise", DataError, ("must be strings", "[0]"))
    elif twist == "unhashable_factor":
        role = role_among(FACTOR_ROLES)
        if role is not None:
            values = pd.Series([[v] for v in case.frame[role]], dtype=object)
            twisted = case.with_column(role, values)
            expect = Expect("raise", DataError, (repr(role), "cannot label a group"))
    elif twist == "complex":
        role = role_among(("y", *NUMERIC_ROLES))
        twisted = case.with_column(role, case.frame[role].astype(float) + 1j)
        expect = Expect("raise", DataError, (role, "complex"))
    elif twist == "huge":
        role = role_among(("y", "x1", "x2", "w1", "w2"))
        if role is not None:
            twisted = case.with_column(role, case.frame[role].astype(float) * 1e200 + 1e200)
            expect = Expect("raise", DataError, (role, "larger than 1e+100"))
    elif twist == "string_response":
        twisted = case.with_column("y", [f"v{v}" for v in case.frame["y"]])
        expect = Expect("raise", DataError, ("'y'", "not numeric"))
    elif twist == "bool_response":
        twisted = case.with_column("y", case.frame["y"].astype(bool))
        if family == "bernoulli":
            expect = Expect("same")
        else:
            expect = Expect("raise", DataError, ("'y'", "boolean"))
    elif twist == "object_response":
        twisted = case.with_column("y", case.frame["y"].astype(object))
        expect = Expect("raise", DataError, ("'y'", "not numeric (dtype object"))
    elif twist == "mm_weight_count":
        template = case.template.replace("weights=[{w1}, {w2}]", "weights=[{w1}]")
        if template != case.template:
            twisted = replace(case, template=template)
            expect = Expect("raise", FormulaError, ("1 weight columns", "one weight column per"))
    elif twist == "single_row":
        twisted = replace(case, frame=case.frame.iloc[row : row + 1])
    elif twist == "huge_counts":
        if family in ("poisson", "negative_binomial", "binomial"):
            big = np.full(n, draw(st.integers(2**53 + 1, 2**63 - 1)), dtype=np.int64)
            twisted = case.with_column("y", big)
            if family == "binomial":
                twisted = twisted.with_column("n", big)
            expect = Expect("raise", DataError, ("'y'", "2**53"))
    elif twist == "trials_below_successes" and family == "binomial":
        y = case.frame["y"].to_numpy().copy()
        trials = case.frame["n"].to_numpy().copy()
        y[row] = trials[row] + 1
        twisted = case.with_column("y", y)
        expect = Expect("raise", DataError, ("[0, trials]", f"first rows: [{row}"))
    return case, twisted, expect


def clean_design(case: Case):
    """The clean case's design, or ``None`` when the clean case itself is invalid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return build_design(
                parse_formula(case.formula),
                case.frame,
                family=case.options["family"],
                formula=case.formula,
            )
    except HiermodelsError:
        return None


# --- stray parentheses -------------------------------------------------------------------


@st.composite
def unbalanced_formulas(draw) -> tuple[str, pd.DataFrame]:
    case = draw(plausible_cases())
    formula = case.formula
    parens = [i for i, ch in enumerate(formula) if ch in "()"]
    action = draw(st.sampled_from(["insert (", "insert )", "delete"] if parens else ["insert ("]))
    if action == "delete":
        at = draw(st.sampled_from(parens))
        formula = formula[:at] + formula[at + 1 :]
    else:
        at = draw(st.integers(0, len(formula)))
        formula = formula[:at] + action[-1] + formula[at:]
    return formula, case.frame
