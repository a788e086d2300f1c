"""Benchmark cases: the data, the hiermodels formula, bambi's formula and the model structure.

Each case names one model fitted by every tool. Real data come from
``hiermodels.datasets``; the simulated cases draw a varying intercept and slope with a
fixed seed, so every tool and every run sees the same rows.

This module imports only numpy and pandas (and ``hiermodels.datasets``, which does not
import PyMC), so the parent process and every worker interpreter can read it.

Examples
--------
>>> case = CASES["sleepstudy"]
>>> case.formula
'Reaction ~ Days + (Days | Subject)'
>>> load(case).shape
(180, 3)
>>> sim = CASES["sim_N1e3_J100"]
>>> data = load(sim)
>>> data.shape, data["g"].nunique()
((1000, 3), 100)
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["CASES", "Case", "fixed_matrix", "group_codes", "load", "select_cases", "simulate"]

Structure = Literal["intercepts", "correlated_slopes", "uncorrelated_slopes"]

#: Seed of the simulated data (not of the samplers): the same rows in every run.
SIMULATION_SEED = 20_240_601
#: Truth of the simulated cases: y = 1 + 0.5 x + a_g + b_g x + e, with
#: sd(a) = 1, sd(b) = 0.5, cor(a, b) = 0.3 and sd(e) = 1.
SIMULATION_TRUTH = {"Intercept": 1.0, "x": 0.5, "sd_a": 1.0, "sd_b": 0.5, "cor": 0.3, "sigma": 1.0}


@dataclass(frozen=True)
class Case:
    """One benchmark model.

    Parameters
    ----------
    name
        Key on the command line and in the tables.
    formula
        The hiermodels (lme4-style) formula.
    bambi_formula
        The same model in bambi's syntax; bambi's group terms are never correlated.
    bambi_note
        How bambi's model differs from the others ("" when it is the same model).
    structure
        The group-level structure, which picks the hand-written PyMC model.
    response, fixed, groups, slope
        The columns the hand-written model uses: the response, the fixed predictors
        (``"a:b"`` is a product of two columns), the grouping factors (``"a:b"`` is the
        interaction factor) and the varying slope's column (``None`` for intercepts only).
    dataset
        A ``hiermodels.datasets`` name, or ``None`` for simulated data.
    n_rows, n_groups
        Size of the simulated data (``None`` for real data).
    simulation
        Which simulation: ``"slopes"`` (:func:`simulate`, the scaling cases) or
        ``"crossed"`` (:func:`simulate_crossed`, a tiny crossed variance component).
    quick_rows
        Rows kept under ``--quick`` (the first rows of the data); ``None`` keeps all.
    """

    name: str
    formula: str
    bambi_formula: str
    structure: Structure
    response: str
    fixed: tuple[str, ...]
    groups: tuple[str, ...]
    slope: str | None = None
    bambi_note: str = ""
    dataset: str | None = None
    n_rows: int | None = None
    n_groups: int | None = None
    quick_rows: int | None = None
    simulation: Literal["slopes", "crossed"] = "slopes"

    @property
    def simulated(self) -> bool:
        return self.dataset is None


_UNCORRELATED = "uncorrelated intercept and slope (bambi cannot correlate group terms)"

_REAL_CASES = [
    Case(
        "radon",
        "log_radon ~ floor + (1 | county)",
        "log_radon ~ floor + (1 | county)",
        "intercepts",
        "log_radon",
        ("floor",),
        ("county",),
        dataset="radon",
    ),
    Case(
        "sleepstudy",
        "Reaction ~ Days + (Days | Subject)",
        "Reaction ~ Days + (Days | Subject)",
        "correlated_slopes",
        "Reaction",
        ("Days",),
        ("Subject",),
        slope="Days",
        bambi_note=_UNCORRELATED,
        dataset="sleepstudy",
    ),
    Case(
        "hsb82",
        "mAch ~ meanses + cses + (1 + cses || school)",
        "mAch ~ meanses + cses + (1 + cses | school)",
        "uncorrelated_slopes",
        "mAch",
        ("meanses", "cses"),
        ("school",),
        slope="cses",
        dataset="Hsb82",
        quick_rows=1500,
    ),
    Case(
        "penicillin",
        "diameter ~ 1 + (1 | plate) + (1 | sample)",
        "diameter ~ 1 + (1 | plate) + (1 | sample)",
        "intercepts",
        "diameter",
        (),
        ("plate", "sample"),
        dataset="Penicillin",
    ),
    Case(
        "oxboys",
        "height ~ age + (age | Subject)",
        "height ~ age + (age | Subject)",
        "correlated_slopes",
        "height",
        ("age",),
        ("Subject",),
        slope="age",
        bambi_note=_UNCORRELATED,
        dataset="Oxboys",
    ),
    Case(
        "alcohol",
        "alcuse ~ age_14 * coa + age_14 * peer + (age_14 | id)",
        "alcuse ~ age_14 * coa + age_14 * peer + (age_14 | id)",
        "correlated_slopes",
        "alcuse",
        ("age_14", "coa", "peer", "age_14:coa", "age_14:peer"),
        ("id",),
        slope="age_14",
        bambi_note=_UNCORRELATED,
        dataset="alcohol1_pp",
    ),
    Case(
        "insteval",
        "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
        "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
        "intercepts",
        "y",
        ("service",),
        ("s", "d", "dept:service"),
        dataset="InstEval",
        quick_rows=2000,
    ),
]


def _simulated_case(n_rows: int, n_groups: int) -> Case:
    exponent = round(np.log10(n_rows))
    return Case(
        f"sim_N1e{exponent}_J{n_groups}",
        "y ~ x + (x | g)",
        "y ~ x + (x | g)",
        "correlated_slopes",
        "y",
        ("x",),
        ("g",),
        slope="x",
        bambi_note=_UNCORRELATED,
        n_rows=n_rows,
        n_groups=n_groups,
        quick_rows=max(2 * n_groups, 1000),
    )


_SIMULATED_CASES = [_simulated_case(10**k, j) for j in (100, 1000) for k in (3, 4, 5, 6)]

#: ScotsSec-like crossed data (3,435 pupils, 148 primary x 19 secondary schools) whose
#: secondary-school SD is a tenth of the residual SD: the funnel that left bambi with
#: divergences on ScotsSec.
CROSSED_LEVELS = {"primary": 148, "secondary": 19}
CROSSED_TRUTH = {"Intercept": 1.0, "x": 0.5, "sd_primary": 0.5, "sd_secondary": 0.1, "sigma": 1.0}
_CROSSED_CASE = Case(
    "sim_crossed_small_sd",
    "y ~ x + (1 | primary) + (1 | secondary)",
    "y ~ x + (1 | primary) + (1 | secondary)",
    "intercepts",
    "y",
    ("x",),
    ("primary", "secondary"),
    n_rows=3435,
    n_groups=CROSSED_LEVELS["primary"],
    quick_rows=1000,
    simulation="crossed",
)

#: Every case by name, real data first.
CASES: dict[str, Case] = {c.name: c for c in _REAL_CASES + _SIMULATED_CASES + [_CROSSED_CASE]}


def select_cases(patterns: list[str]) -> list[str]:
    """Case names matching any of ``patterns`` (names or shell globs like ``sim_*``)."""
    chosen = [name for name in CASES if any(fnmatch.fnmatch(name, p) for p in patterns)]
    unknown = [p for p in patterns if not fnmatch.filter(CASES, p)]
    if unknown:
        raise SystemExit(f"Unknown case(s) {unknown}; valid cases are {list(CASES)}.")
    return chosen


def simulate(n_rows: int, n_groups: int, *, seed: int = SIMULATION_SEED) -> pd.DataFrame:
    """Rows of ``y ~ x + (x | g)`` with :data:`SIMULATION_TRUTH`; every group gets a row."""
    t = SIMULATION_TRUTH
    rng = np.random.default_rng([seed, n_rows, n_groups])
    codes = rng.permutation(np.arange(n_rows) % n_groups)
    cov = np.array(
        [
            [t["sd_a"] ** 2, t["cor"] * t["sd_a"] * t["sd_b"]],
            [t["cor"] * t["sd_a"] * t["sd_b"], t["sd_b"] ** 2],
        ]
    )
    effects = rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
    x = rng.normal(size=n_rows)
    mean = t["Intercept"] + effects[codes, 0] + (t["x"] + effects[codes, 1]) * x
    y = mean + t["sigma"] * rng.normal(size=n_rows)
    width = len(str(n_groups - 1))
    labels = pd.Categorical([f"g{c:0{width}d}" for c in range(n_groups)])
    return pd.DataFrame({"y": y, "x": x, "g": labels[codes]})


def simulate_crossed(n_rows: int, *, seed: int = SIMULATION_SEED) -> pd.DataFrame:
    """Rows of ``y ~ x + (1 | primary) + (1 | secondary)`` with :data:`CROSSED_TRUTH`.

    148 primary and 19 secondary schools, crossed at random (each pupil's secondary
    school depends on nothing), as in ScotsSec's design.
    """
    t = CROSSED_TRUTH
    n_primary, n_secondary = CROSSED_LEVELS["primary"], CROSSED_LEVELS["secondary"]
    rng = np.random.default_rng([seed, n_rows, n_primary, n_secondary])
    primary = rng.permutation(np.arange(n_rows) % n_primary)
    secondary = rng.permutation(np.arange(n_rows) % n_secondary)
    a = rng.normal(0.0, t["sd_primary"], size=n_primary)
    b = rng.normal(0.0, t["sd_secondary"], size=n_secondary)
    x = rng.normal(size=n_rows)
    noise = t["sigma"] * rng.normal(size=n_rows)
    y = t["Intercept"] + t["x"] * x + a[primary] + b[secondary] + noise
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "primary": pd.Categorical([f"p{c:03d}" for c in primary]),
            "secondary": pd.Categorical([f"s{c:02d}" for c in secondary]),
        }
    )


def load(case: Case, *, quick: bool = False) -> pd.DataFrame:
    """The case's data; under ``quick`` only its first ``quick_rows`` rows."""
    if case.simulated:
        n_rows = case.n_rows
        if quick and case.quick_rows is not None:
            n_rows = min(n_rows, case.quick_rows)
        if case.simulation == "crossed":
            return simulate_crossed(n_rows)
        return simulate(n_rows, case.n_groups)
    from hiermodels import datasets

    data = datasets.load(case.dataset)
    if quick and case.quick_rows is not None:
        data = data.iloc[: case.quick_rows].reset_index(drop=True)
        for column in data.select_dtypes("category"):
            data[column] = data[column].cat.remove_unused_categories()
    return data


def _column(data: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column; a two-level categorical becomes the indicator of its second level."""
    column = data[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = column.cat.categories
        if len(levels) != 2:
            raise ValueError(f"{name!r} has {len(levels)} levels; only 2-level factors are used.")
        return (column == levels[1]).to_numpy(float)
    return column.to_numpy(float)


def fixed_matrix(data: pd.DataFrame, terms: tuple[str, ...]) -> np.ndarray:
    """Columns of the fixed predictors (no intercept); ``"a:b"`` is the product a * b."""
    columns = []
    for term in terms:
        product = np.ones(len(data))
        for part in term.split(":"):
            product = product * _column(data, part)
        columns.append(product)
    return np.column_stack(columns) if columns else np.zeros((len(data), 0))


def group_codes(data: pd.DataFrame, factor: str) -> tuple[np.ndarray, list[str]]:
    """Integer level codes of a factor and the level labels; ``"a:b"`` crosses a and b."""
    labels = data[factor.split(":")[0]].astype(str)
    for part in factor.split(":")[1:]:
        labels = labels + ":" + data[part].astype(str)
    codes, levels = pd.factorize(labels, sort=True)
    return codes.astype(np.int64), [str(v) for v in levels]
