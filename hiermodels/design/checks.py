"""The data checks, for fitting and for new data alike.

Every check raises a :class:`~hiermodels.errors.DataError` or
:class:`~hiermodels.errors.FormulaError` that names the column, the rows and the values
at fault. :func:`check_frame` and the column checks guard the entry of both
:func:`~hiermodels.design.build_design` and
:func:`~hiermodels.design.prediction_design`; the others check one part of the data.
"""

from __future__ import annotations

import difflib
import re
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from hiermodels.design.types import Missing
from hiermodels.errors import DataError, FormulaError, MissingDataWarning, SpecError

__all__ = [
    "LARGEST_COUNT",
    "LARGEST_MAGNITUDE",
    "check_categories",
    "check_count_size",
    "check_finite",
    "check_formula_columns",
    "check_frame",
    "check_kinds",
    "check_magnitude",
    "check_rank",
    "check_required_columns",
    "check_unique_names",
    "check_values",
    "handle_missing",
    "rows_text",
]

#: Largest magnitude accepted in a numeric array of the design. The computations square
#: and cross-multiply the data (standard deviations, ranks, REML), which overflows or
#: loses all precision long before the float64 limit; no measured quantity needs more.
LARGEST_MAGNITUDE = 1e100
#: Counts (responses of count families, binomial trials) are held as float64, which
#: represents every integer up to 2**53 exactly and no longer all of them above.
LARGEST_COUNT = 2**53


def rows_text(n: int) -> str:
    """``"1 row"``, ``"3 rows"``."""
    return f"{n} row" if n == 1 else f"{n} rows"


def check_frame(data: object, purpose: Literal["fit", "predict"]) -> pd.DataFrame:
    """``data`` must be a non-empty DataFrame with unique column names.

    To fit, the column names must also be strings (formulas name columns by text); new
    data may carry other columns besides those the model reads.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[0] == 0:
        need = "a model needs observations" if purpose == "fit" else "there is nothing to predict"
        raise DataError(f"data is empty (0 rows); {need}.")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"data has duplicated column names {dup}; rename them first.")
    if purpose == "fit":
        bad = [c for c in data.columns if not isinstance(c, str)]
        if bad:
            raise DataError(
                f"Column names must be strings; these are not: {bad[:5]!r}. Use "
                "data.rename(columns=str)."
            )
    return data


def check_formula_columns(columns: list[str], data: pd.DataFrame, formula: str) -> None:
    """Every column the formula names is in ``data``; else a FormulaError that points at
    the first unknown one in the formula and suggests close names."""
    available = list(data.columns)
    for col in columns:
        if col not in data.columns:
            close = difflib.get_close_matches(col, available, n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise FormulaError(
                f"Unknown column {col!r} in the formula.{hint} Available columns: {available}.",
                formula,
                column_position(col, formula),
            )


def check_required_columns(data: pd.DataFrame, columns: list[str]) -> None:
    """New data hold every column the fitted model reads; else a DataError naming all
    that are missing."""
    missing = [c for c in columns if c not in data.columns]
    if not missing:
        return
    hints = []
    for col in missing:
        close = difflib.get_close_matches(str(col), [str(c) for c in data.columns], n=3)
        if close:
            hints.append(f"for {col!r} did you mean {close}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    raise DataError(
        f"data lacks the column(s) {missing} that the model uses{hint}. It needs {columns}; "
        f"it has {list(data.columns)}."
    )


def column_position(col: str, formula: str) -> int | None:
    """Offset of ``col`` written as a whole name in ``formula`` (not inside a longer name)."""
    quoted = formula.find(f"`{col}`")
    if quoted >= 0:
        return quoted
    match = re.search(rf"(?<![\w.`]){re.escape(col)}(?![\w.`])", formula)
    return match.start() if match else None


def handle_missing(
    data: pd.DataFrame, columns: list[str], missing: Missing
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows to model and their positions in ``data``."""
    if missing not in ("error", "drop"):
        raise SpecError(f"missing={missing!r} is not valid; choose 'error' or 'drop'.")
    na = data[columns].isna()
    counts = na.sum()
    counts = counts[counts > 0]
    if counts.empty:
        return data, np.arange(len(data))
    if missing == "error":
        detail = ", ".join(f"{col!r}: {int(n)}" for col, n in counts.items())
        raise DataError(
            f"Missing values in columns used by the model ({detail}). Remove or impute them, "
            "or pass missing='drop' to drop those rows."
        )
    rows = na.any(axis=1)
    kept = data.loc[~rows]
    if kept.shape[0] == 0:
        raise DataError("Every row has a missing value in a used column; nothing is left.")
    warnings.warn(
        f"Dropped {int(rows.sum())} of {len(data)} rows with missing values "
        f"(per column: {dict((k, int(v)) for k, v in counts.items())}).",
        MissingDataWarning,
        stacklevel=4,
    )
    return kept, np.flatnonzero(~rows.to_numpy())


def check_finite(data: pd.DataFrame, columns: list[str]) -> None:
    """No complex numbers and no infinite values in the columns used to fit."""
    for col in columns:
        series = data[col]
        if pd.api.types.is_complex_dtype(series):
            raise DataError(
                f"Column {col!r} holds complex numbers (dtype {series.dtype}); hiermodels "
                "needs real numbers. Use its real part, absolute value or angle."
            )
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=float)
            bad = np.isinf(values)
            if bad.any():
                rows = data.index[bad][:5].tolist()
                raise DataError(
                    f"Column {col!r} has {int(bad.sum())} infinite value(s) (first rows: "
                    f"{rows}); hiermodels needs finite numbers."
                )


def check_values(data: pd.DataFrame, columns: list[str]) -> None:
    """Missing or infinite values in the predictor columns of new data are an error, with
    counts (only grouping columns may be missing there)."""
    counts = {}
    for col in columns:
        series = data[col]
        bad = series.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            bad = bad | np.isinf(series.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            counts[col] = (int(bad.sum()), data.index[bad][:5].tolist())
    if counts:
        detail = "; ".join(f"{c!r}: {n} (first rows: {rows})" for c, (n, rows) in counts.items())
        raise DataError(
            f"Missing or infinite values in predictor columns ({detail}). Predictions need "
            "every predictor; only grouping columns may be missing (such rows get a new level)."
        )


def check_magnitude(values: np.ndarray, what: str, index: pd.Index) -> None:
    """``values`` must be finite and at most :data:`LARGEST_MAGNITUDE` in size."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(values) <= LARGEST_MAGNITUDE)
    if bad.any():
        rows = index[bad][:5].tolist()
        shown = values[bad][:5].tolist()
        raise DataError(
            f"{what} is not finite or larger than {LARGEST_MAGNITUDE:g} in size in "
            f"{rows_text(int(bad.sum()))} (first rows: {rows}, values {shown}). Rescale it, "
            "e.g. divide by a power of ten, or fix the values."
        )


def check_count_size(series: pd.Series, what: str) -> None:
    """Counts above 2**53 are not exact in float64: comparisons with them are unreliable.

    Integer columns are compared as integers, before any rounding to float.
    """
    if pd.api.types.is_unsigned_integer_dtype(series):
        bad = series.to_numpy(dtype="uint64") > LARGEST_COUNT
    elif pd.api.types.is_integer_dtype(series):
        values = series.to_numpy(dtype="int64")
        bad = (values > LARGEST_COUNT) | (values < -LARGEST_COUNT)
    else:
        bad = np.abs(series.to_numpy(dtype=float)) > LARGEST_COUNT
    if bad.any():
        rows = series.index[bad][:5].tolist()
        raise DataError(
            f"{what} holds counts above 2**53 = {LARGEST_COUNT} in {rows_text(int(bad.sum()))} "
            f"(first rows: {rows}); counts that large are not exact as floating-point "
            "numbers. Model a rescaled continuous response instead."
        )


def check_unique_names(names: tuple[str, ...], what: str, formula: str) -> None:
    """The columns of a model matrix have distinct names."""
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FormulaError(
            f"{what} gives several columns named {dup}: a data column has the name of "
            "another term (e.g. a column 'a[b]' next to level 'b' of 'a'). Rename it.",
            formula,
        )


def check_rank(matrix: np.ndarray, names: tuple[str, ...]) -> None:
    """The fixed-effects matrix has full column rank; else name the constant columns."""
    if matrix.shape[1] == 0:
        return
    rank = np.linalg.matrix_rank(matrix)
    if rank < matrix.shape[1]:
        constant = [n for n, col in zip(names, matrix.T) if n != "Intercept" and np.ptp(col) == 0]
        hint = f" Constant columns: {constant}." if constant else ""
        raise DataError(
            f"The fixed-effects design {list(names)} is rank deficient (rank {rank} < "
            f"{matrix.shape[1]} columns): some columns are linear combinations of others.{hint}"
        )


_CALL = re.compile(r"^C\(\s*`?([^`,()]+?)`?\s*(,.*)?\)$")


def _factor_column(expr: str, data: pd.DataFrame) -> str | None:
    """The data column a categorical factor reads directly (``x`` or ``C(x, ...)``)."""
    if expr in data.columns:
        return expr
    match = _CALL.match(expr.strip())
    if match and match.group(1).strip() in data.columns:
        return match.group(1).strip()
    return None


def _value_type(values) -> str:
    """``"str"``, ``"number"``, ``"bool"`` or ``"mixed"``: the kind of the values given."""
    kinds = set()
    for v in values:
        if isinstance(v, bool | np.bool_):
            kinds.add("bool")
        elif isinstance(v, str):
            kinds.add("str")
        elif isinstance(v, int | float | np.number):
            kinds.add("number")
        else:
            kinds.add("mixed")
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _series_kind(present: pd.Series) -> str:
    """:func:`_value_type` of a column's values, from its dtype where that decides it
    (a numeric or string dtype holds one kind: no loop over a million values)."""
    dtype = present.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype):
        return "str"
    return _value_type(pd.unique(present))


def check_kinds(model_spec, data: pd.DataFrame, where: str) -> None:
    """A column given as text where numbers were fitted (or the reverse) is named with its
    dtype, before formulaic sees it: numbers cannot be read as levels, nor levels as numbers.
    """
    for expr, (kind, state) in model_spec.encoder_state.items():
        col = _factor_column(str(expr), data)
        kind = getattr(kind, "value", kind)
        if col is None or (col != str(expr) and kind != "categorical"):
            continue
        series = data[col]
        present = series.dropna()
        first = present.iloc[0] if len(present) else None
        first = first.item() if isinstance(first, np.generic) else first
        values = _series_kind(present)
        given = f"dtype {series.dtype} ({values} values, e.g. {first!r})"
        if kind == "numerical" and not pd.api.types.is_numeric_dtype(series):
            raise DataError(
                f"Column {col!r} ({where}) was numeric in fitting, but the new data give it "
                f"{given}. Convert it to numbers, e.g. "
                f"data[{col!r}] = pd.to_numeric(data[{col!r}])."
            )
        if kind != "categorical" or "categories" not in state or first is None:
            continue
        fitted = _value_type(state["categories"])
        if "mixed" not in (fitted, values) and fitted != values:
            hint = f" Convert it, e.g. data[{col!r}].astype(str)." if fitted == "str" else ""
            raise DataError(
                f"Column {col!r} ({where}) was fitted with {fitted} levels "
                f"{list(state['categories'])}, but the new data give it {given}: a {values} "
                f"value is never the same level as a {fitted} one.{hint}"
            )


def check_categories(model_spec, data: pd.DataFrame, where: str) -> None:
    """Unseen levels of categorical predictors: DataError naming column, values and levels."""
    check_kinds(model_spec, data, where)
    for expr, (kind, state) in model_spec.encoder_state.items():
        if getattr(kind, "value", kind) != "categorical" or "categories" not in state:
            continue
        col = _factor_column(str(expr), data)
        if col is None:
            continue  # an expression: formulaic's own check (turned into an error) applies
        known = list(state["categories"])
        values = data[col]
        unseen = pd.unique(values[~values.isin(known) & values.notna()].astype(object))
        if len(unseen):
            raise DataError(
                f"Column {col!r} ({where}) has value(s) {list(unseen)} that were not seen in "
                f"fitting; its known levels are {known}. A fixed predictor cannot take new "
                "levels."
            )
