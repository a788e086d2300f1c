"""Prior parameters are checked against their valid range when the prior is made."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pymc as pm
import pytest

import hiermodels as hm
from hiermodels.backend.priors import parameter_names, valid_distributions
from hiermodels.errors import PriorError
from hiermodels.spec.support import SUPPORT, check_support

# One value outside each kind of range, and one inside it.
BAD = {
    "real": [float("nan"), float("inf")],
    "pos": [0, -1.0, float("inf")],
    "nonneg": [-0.5, float("nan")],
    "prob": [-0.1, 1.5],
    "open_unit": [0, 1],
    "half_open_unit": [0, 1.2],
    "int": [0.5],
    "count": [-1, 2.5],
    "pos_int": [0, 1.5],
}
GOOD = {
    "real": -2.5,
    "pos": 0.3,
    "nonneg": 0,
    "prob": 1,
    "open_unit": 0.2,
    "half_open_unit": 1,
    "int": -3,
    "count": 0,
    "pos_int": 2,
}
CASES = [(d, p, k) for d, table in SUPPORT.items() for p, k in table.items()]


def test_every_pymc_distribution_has_a_support_entry():
    """Every distribution the backend accepts is in the table, with real parameter names."""
    assert set(valid_distributions()) <= set(SUPPORT)
    for dist, table in SUPPORT.items():
        if dist == "LKJ":  # hiermodels' name for the LKJ prior of a correlation block
            assert set(table) == {"eta"}
            continue
        cls = getattr(pm, dist)
        assert inspect.isclass(cls), dist
        assert set(table) <= set(parameter_names(cls)), dist


@pytest.mark.parametrize(("dist", "param", "kind"), CASES)
def test_each_parameter_out_of_range_names_itself_its_value_and_the_range(dist, param, kind):
    for bad in BAD[kind]:
        with pytest.raises(PriorError, match=rf"{param} must be .*, got {param}={bad!r}\.$"):
            hm.Prior(dist, **{param: bad})
    hm.Prior(dist, **{param: GOOD[kind]})


@pytest.mark.parametrize(
    ("dist", "params", "rule"),
    [
        ("Uniform", {"lower": 1, "upper": 1}, "lower < upper"),
        ("TruncatedNormal", {"mu": 0, "sigma": 1, "lower": 3, "upper": -3}, "lower < upper"),
        ("Triangular", {"lower": 0, "upper": 1, "c": 2}, "lower <= c <= upper"),
        ("DiscreteUniform", {"lower": 4, "upper": 2}, "lower <= upper"),
        ("Beta", {"mu": 0.5, "sigma": 0.5}, "sigma**2 < mu * (1 - mu)"),
        ("HyperGeometric", {"N": 5, "k": 6, "n": 2}, "k <= N"),
    ],
)
def test_parameters_that_must_be_ordered(dist, params, rule):
    with pytest.raises(PriorError, match=re.escape(f"{dist} needs {rule}, got")):
        hm.Prior(dist, **params)


def test_valid_pairs_pass():
    hm.Prior("Uniform", lower=0, upper=1)
    hm.Prior("Triangular", lower=0, upper=2, c=2)
    hm.Prior("Beta", mu=0.5, sigma=0.4)
    hm.Prior("TruncatedNormal", mu=0, sigma=1, lower=0)


def test_text_and_booleans_are_not_numbers():
    with pytest.raises(PriorError, match=r"sigma must be a finite number > 0, got sigma='1'"):
        hm.Prior("HalfNormal", sigma="1")
    with pytest.raises(PriorError, match=r"p must be a number in \[0, 1\], got p=True"):
        hm.Prior("Bernoulli", p=True)


def test_arrays_are_checked_element_by_element():
    check_support("HalfNormal", {"sigma": np.array([1.0, 2.0])})
    with pytest.raises(PriorError, match=r"sigma must be a finite number > 0"):
        check_support("HalfNormal", {"sigma": np.array([1.0, -2.0])})


def test_unknown_names_are_left_to_the_backend():
    check_support("Nope", {"sigma": -1})
    check_support("Normal", {"scale": -1})
    with pytest.raises(PriorError, match="unknown parameter"):
        hm.Model("y ~ 1", _frame(), priors={"Intercept": hm.Prior("Normal", scale=-1)})


def test_cor_number_is_still_checked_as_eta():
    with pytest.raises(PriorError, match=r"eta must be a finite number > 0, got eta=0"):
        hm.Prior("LKJ", eta=0)


def _frame():
    import pandas as pd

    return pd.DataFrame({"y": [1.0, 2.0, 3.5, 4.0]})
