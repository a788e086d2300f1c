"""The response and the binomial trials, checked against the family's support."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hiermodels.design.checks import check_count_size, check_magnitude, rows_text
from hiermodels.design.columns import plain_message
from hiermodels.design.types import Design
from hiermodels.errors import DataError, FormulaError
from hiermodels.families import get_family
from hiermodels.spec.terms import ModelSpec

__all__ = ["response_values", "trials_column", "trials_values"]


def response_values(
    data: pd.DataFrame, expr: str, family: str
) -> tuple[np.ndarray, tuple[object, ...] | None]:
    """The response as floats (a column or an expression, in the family's support), and
    its category labels for a family with a categorical response (else ``None``).

    A family coding categories (:meth:`hiermodels.families.Family.encode_response`)
    gets a pandas ``Categorical`` response as it is, and any other response after the
    checks of numbers and of the family's support. ``data`` is read before unused
    categories are dropped, so that such a family sees them all.
    """
    fam = get_family(family)
    if expr in data.columns and isinstance(data[expr].dtype, pd.CategoricalDtype):
        encoded = fam.encode_response(data[expr], expr)
        if encoded is not None:
            return encoded
    if expr in data.columns:
        series = data[expr]
    else:
        from formulaic import model_matrix

        try:
            mm = model_matrix(f"0 + {expr}", data, na_action="raise")
        except Exception as err:
            raise FormulaError(
                f"Cannot evaluate the response {expr!r}: {plain_message(err)}"
            ) from None
        if mm.shape[1] != 1:
            raise DataError(f"The response {expr!r} must be one numeric column.")
        series = pd.Series(np.asarray(mm)[:, 0], index=data.index)
    if pd.api.types.is_bool_dtype(series):
        if fam.support != "binary":
            raise DataError(
                f"The response {expr!r} is boolean; family {family!r} needs "
                f"{fam.support_words}. Use family='bernoulli' for yes/no data."
            )
        return series.to_numpy(dtype=float), None
    if not pd.api.types.is_numeric_dtype(series):
        example = series.iloc[0]
        raise DataError(
            f"The response {expr!r} is not numeric (dtype {series.dtype}, e.g. {example!r}); "
            f"family {family!r} needs {fam.support_words}."
        )
    if pd.api.types.is_complex_dtype(series):
        raise DataError(
            f"The response {expr!r} holds complex numbers; family {family!r} needs "
            f"{fam.support_words}."
        )
    values = series.to_numpy(dtype=float)
    check_magnitude(values, f"The response {expr!r}", data.index)
    fam.check_response(values, expr, data.index)
    if fam.counts:
        check_count_size(series, f"The response {expr!r}")
    encoded = fam.encode_response(pd.Series(values, index=data.index), expr)
    if encoded is not None:
        return encoded
    return values, None


def trials_values(frame: pd.DataFrame, name: str, y: np.ndarray) -> np.ndarray:
    """The binomial number of trials: positive integer counts, at least the successes."""
    series = frame[name]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(
            f"The trials column {name!r} must hold positive integer counts; it has dtype "
            f"{series.dtype} (e.g. {series.iloc[0]!r})."
        )
    trials = series.to_numpy(dtype=float)
    check_count_size(series, f"The trials column {name!r}")
    empty = trials == 0
    if empty.any():
        rows = frame.index[empty][:5].tolist()
        raise DataError(
            f"The trials column {name!r} is 0 in {rows_text(int(empty.sum()))} (first rows: "
            f"{rows}); a row without trials carries no information. Drop those rows."
        )
    bad = (trials < 0) | (trials != np.round(trials)) | (y > trials)
    if bad.any():
        rows = frame.index[bad][:5].tolist()
        raise DataError(
            f"Binomial successes must be integers in [0, trials]; {int(bad.sum())} rows "
            f"are not (first rows: {rows})."
        )
    return trials


def trials_column(design: Design, spec: ModelSpec, data: pd.DataFrame) -> np.ndarray:
    """The number of trials of each new row, from the trials column of ``data``."""
    name = spec.response.trials
    if name is None or name not in data.columns:
        raise DataError(
            f"kind='response' for a binomial model needs the number of trials: add the "
            f"column {name!r} to data (kind='mean' gives the probability without it)."
        )
    series = data[name]
    if not pd.api.types.is_numeric_dtype(series):
        raise DataError(f"The trials column {name!r} is not numeric ({series.dtype}).")
    trials = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(trials) | (trials < 0) | (trials != np.round(trials))
    if bad.any():
        rows = data.index[bad][:5].tolist()
        raise DataError(
            f"The trials column {name!r} must hold non-negative integers; {int(bad.sum())} "
            f"row(s) do not (first rows: {rows})."
        )
    return trials
