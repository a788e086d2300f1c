"""The data checks of :mod:`hiermodels.design.checks`, shared by fitting and new data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiermodels.design import prediction_design
from hiermodels.design.checks import (
    LARGEST_COUNT,
    check_count_size,
    check_formula_columns,
    check_frame,
    check_magnitude,
    check_required_columns,
    rows_text,
)
from hiermodels.errors import DataError, FormulaError


@pytest.mark.parametrize("purpose", ["fit", "predict"])
def test_check_frame_refuses_non_frames_and_duplicated_names(purpose):
    with pytest.raises(DataError, match="must be a pandas DataFrame, got dict"):
        check_frame({"y": [1.0]}, purpose)
    dup = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(DataError, match=r"duplicated column names \['a'\]"):
        check_frame(dup, purpose)


def test_check_frame_says_why_an_empty_frame_is_refused():
    empty = pd.DataFrame({"y": []})
    with pytest.raises(DataError, match="a model needs observations"):
        check_frame(empty, "fit")
    with pytest.raises(DataError, match="there is nothing to predict"):
        check_frame(empty, "predict")


def test_only_fitting_needs_string_column_names():
    df = pd.DataFrame({0: [1.0], "y": [2.0]})
    with pytest.raises(DataError, match=r"must be strings; these are not: \[0\]"):
        check_frame(df, "fit")
    assert check_frame(df, "predict") is df


def test_formula_columns_point_at_the_unknown_name():
    df = pd.DataFrame({"weight": [1.0], "y": [2.0]})
    pattern = r"Unknown column 'wieght'.*Did you mean \['weight'\]"
    with pytest.raises(FormulaError, match=pattern) as err:
        check_formula_columns(["y", "wieght"], df, "y ~ wieght")
    assert err.value.position == 4


def test_required_columns_of_new_data_are_all_named():
    df = pd.DataFrame({"weight": [1.0]})
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['wieght', 'g'\]"):
        check_required_columns(df, ["wieght", "g"])
    check_required_columns(df, ["weight"])


def test_magnitude_and_count_limits():
    index = pd.RangeIndex(3)
    check_magnitude(np.array([0.0, -1e100, 1e100]), "x", index)
    with pytest.raises(DataError, match=r"x is not finite or larger than 1e\+100 in size in 1 row"):
        check_magnitude(np.array([0.0, 1e101, 1.0]), "x", index)
    check_count_size(pd.Series([LARGEST_COUNT]), "n")
    with pytest.raises(DataError, match="counts above 2\\*\\*53"):
        check_count_size(pd.Series([LARGEST_COUNT + 1], dtype="int64"), "n")
    assert (rows_text(1), rows_text(2)) == ("1 row", "2 rows")


def test_fitting_and_new_data_share_the_frame_check():
    """The same fault in the data gives the same message when fitting and predicting."""
    import hiermodels as hm

    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": list("aabb")})
    model = hm.Model("y ~ 1 + (1 | g)", df)
    bad = pd.concat([df, df["g"]], axis=1)
    with pytest.raises(DataError) as fitting:
        hm.Model("y ~ 1 + (1 | g)", bad)
    with pytest.raises(DataError) as predicting:
        prediction_design(model.design, model.spec, bad)
    assert str(fitting.value) == str(predicting.value)
    assert "duplicated column names ['g']" in str(fitting.value)
