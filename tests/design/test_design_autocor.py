"""The series of ar(time, gr=id): links between rows, and clear errors for bad data."""

import numpy as np
import pandas as pd
import pytest

from hiermodels.design import build_design
from hiermodels.errors import DataError, FormulaError
from hiermodels.spec.formula import parse_formula


def frame(**changes):
    df = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "t": [2, 0, 1, 0, 3, 4, 9],
            "id": ["a", "a", "a", "b", "b", "b", "b"],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    return df.assign(**changes)


def design(df, formula="y ~ 1 + (1 | id) + ar(t, gr = id)", family="gaussian"):
    return build_design(parse_formula(formula), df, family=family, formula=formula)


def test_rows_point_to_their_predecessor_with_the_gap():
    df = frame()
    before = df.copy()
    s = design(df).autocor
    assert s.previous.tolist() == [2, -1, 1, -1, 3, 4, 5]
    assert s.gap.tolist() == [1, 0, 1, 0, 3, 1, 5]
    assert s.following.tolist() == [-1, 2, 0, 4, 5, 6, -1]
    assert (s.n_series, s.max_length) == (2, 4)
    pd.testing.assert_frame_equal(df, before)


def test_without_gr_the_rows_are_one_series():
    df = frame(t=[0, 1, 2, 3, 4, 5, 6])
    s = design(df, "y ~ 1 + ar(t)").autocor
    assert s.series.tolist() == [0] * 7
    assert s.previous.tolist() == [-1, 0, 1, 2, 3, 4, 5]


def test_time_must_be_numeric():
    df = frame(t=["w0", "w1", "w2", "w0", "w1", "w2", "w3"])
    with pytest.raises(DataError, match=r"time column 't' of ar\(\) must be numeric.*got dtype"):
        design(df)
    with pytest.raises(DataError, match="must be numeric"):
        design(frame(t=[True, False, True, False, True, False, True]))


def test_time_may_not_repeat_within_a_series():
    df = frame(t=[2, 0, 1, 0, 3, 3, 9])
    with pytest.raises(DataError, match=r"'t' = 3 repeats within a level of 'id' \(rows 14, 15\)"):
        design(df)
    # the same time in two different series is fine
    assert design(frame(t=[0, 1, 2, 0, 1, 2, 3])).autocor.gap.tolist() == [0, 1, 1, 0, 1, 1, 1]


def test_fractional_gaps_are_refused_whole_gaps_handled():
    with pytest.raises(DataError, match=r"jumps by 0.5 between rows 13, 14.*whole steps"):
        design(frame(t=[2, 0, 1, 0, 0.5, 4, 9]))
    assert design(frame(t=[2.0, 0.0, 1.0, 0.0, 3.0, 4.0, 9.0])).autocor.gap.max() == 5


def test_only_gaussian_models_without_row_terms():
    df = frame(y=[0, 1, 2, 0, 1, 3, 2])
    with pytest.raises(FormulaError, match=r"needs family='gaussian', not 'poisson'"):
        design(df, family="poisson")
    df = frame(w=np.ones(7))
    with pytest.raises(FormulaError, match=r"cannot be combined with se\(\), cens\(\)"):
        design(df, "y | weights(w) ~ 1 + ar(t, gr = id)")


def test_missing_time_or_series_column_is_named():
    with pytest.raises(FormulaError, match="day"):
        design(frame(), "y ~ 1 + ar(day, gr = id)")
