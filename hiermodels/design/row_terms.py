"""The columns of ``se()``, ``cens()`` and ``weights()``, read and checked.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.spec.terms import Response
>>> df = pd.DataFrame({"y": [1.0, 2.0], "c": ["right", "none"]})
>>> row_terms(df, Response("y", cens="c"), df["y"].to_numpy(), "gaussian").cens
array([1, 0])
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from hiermodels.design.checks import rows_text
from hiermodels.errors import DataError
from hiermodels.families import get_family
from hiermodels.families.row_terms import CENS_CODES, RowTerms, check_family
from hiermodels.spec.terms import Response

__all__ = ["known_sd_terms", "new_row_terms", "row_terms"]

_WORDS = {word: code for code, word in CENS_CODES.items()}


def _first(index: pd.Index, bad: np.ndarray) -> str:
    return f"{rows_text(int(bad.sum()))} (first rows: {index[bad][:5].tolist()})"


def _numeric(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    series = frame[name]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(
            f"The {what} column {name!r} must be numeric; it has dtype {series.dtype} "
            f"(e.g. {series.iloc[0]!r})."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    missing = ~np.isfinite(values)
    if missing.any():
        raise DataError(
            f"The {what} column {name!r} is missing or infinite in {_first(frame.index, missing)}."
        )
    return values


def _codes(frame: pd.DataFrame, name: str) -> np.ndarray:
    series = frame[name]
    valid = "-1/0/1/2 or 'left'/'none'/'right'/'interval' (True/False mean right/none)"
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=int)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isin(values, list(CENS_CODES))
        codes = np.where(bad, 0, values).astype(int)
    else:
        text = series.astype(object)
        codes = np.array([_WORDS.get(v, 9) if isinstance(v, str) else 9 for v in text])
        bad = codes == 9
    if bad.any():
        shown = series[bad].iloc[:5].tolist()
        raise DataError(
            f"The censoring column {name!r} must hold {valid}; {_first(frame.index, bad)} "
            f"hold {shown}."
        )
    return codes


def row_terms(frame: pd.DataFrame, response: Response, y: np.ndarray, family: str):
    """The :class:`~hiermodels.families.row_terms.RowTerms` of ``frame``, or ``None``.

    Raises :class:`DataError` naming the rows for a non-positive or missing ``se``, a
    censoring code outside brms's, an interval whose upper bound ``y2`` is not above
    ``y``, and a negative or missing weight; :class:`SpecError` for ``se()`` with a
    family other than gaussian and ``cens()`` with a family that cannot censor.
    """
    if not response.has_row_terms:
        return None
    index = frame.index
    se = cens = y2 = weights = None
    if response.se is not None:
        se = _numeric(frame, response.se, "se()")
        bad = se <= 0
        if bad.any():
            raise DataError(
                f"The standard errors in {response.se!r} must be positive; "
                f"{_first(index, bad)} are not (values {se[bad][:5].tolist()})."
            )
    if response.cens is not None:
        cens = _codes(frame, response.cens)
        interval = cens == 2
        if interval.any():
            if response.cens_y2 is None:
                raise DataError(
                    f"The censoring column {response.cens!r} marks "
                    f"{_first(index, interval)} as interval-censored, which needs the upper "
                    "bounds: write cens(c, y2) with a column y2."
                )
            upper = _numeric(frame, response.cens_y2, "upper-bound (y2)")
            bad = interval & ~(upper > y)
            if bad.any():
                raise DataError(
                    f"On interval-censored rows the upper bound {response.cens_y2!r} must be "
                    f"above the response (the interval is y < Y <= y2); {_first(index, bad)} "
                    f"have y2 <= y."
                )
            y2 = np.where(interval, upper, np.nan)
    if response.weights is not None:
        weights = _numeric(frame, response.weights, "weights()")
        bad = weights < 0
        if bad.any():
            raise DataError(
                f"The weights in {response.weights!r} must be non-negative; "
                f"{_first(index, bad)} are negative (values {weights[bad][:5].tolist()})."
            )
    rows = RowTerms(se=se, se_sigma=response.se_sigma, cens=cens, y2=y2, weights=weights)
    check_family(get_family(family), rows)
    return rows


def _need(data: pd.DataFrame, response: Response, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{what} of a model with '{response.text}' needs the column(s) {missing} in "
            "data, as brms does."
        )


def known_sd_terms(data: pd.DataFrame, response: Response) -> RowTerms | None:
    """The known SDs of new rows, for response draws of ``y | se(s)`` (brms reads ``s``
    from the new data too); censoring and weights do not change draws."""
    if response.se is None:
        return None
    _need(data, response, (response.se,), "predict(kind='response')")
    se = _numeric(data, response.se, "se()")
    bad = se <= 0
    if bad.any():
        raise DataError(
            f"The standard errors in {response.se!r} must be positive; "
            f"{_first(data.index, bad)} are not."
        )
    return RowTerms(se=se, se_sigma=response.se_sigma)


def new_row_terms(
    data: pd.DataFrame, response: Response, y: np.ndarray, family: str
) -> RowTerms | None:
    """Every row term of held-out rows (their log density: k-fold, held-out LOO)."""
    if not response.has_row_terms:
        return None
    columns = tuple(c for c in (response.se, response.cens, response.weights) if c is not None)
    _need(data, response, columns, "The log density of new rows")
    if response.cens_y2 is not None and response.cens_y2 not in data.columns:
        if (_codes(data, response.cens) == 2).any():
            _need(data, response, (response.cens_y2,), "The log density of new rows")
        response = replace(response, cens_y2=None)
    return row_terms(data, response, np.asarray(y, dtype=float), family)
