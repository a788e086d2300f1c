"""Model matrices from formulaic: the fixed part, the varying columns and the offsets.

Fitting evaluates the formula's parts on the data (:func:`fixed_design`,
:func:`term_columns`); new data are evaluated with the specs stored in the fitted design
(:func:`rebuild_matrix`), so categorical codings and stateful transforms stay those of
the fit.
"""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pandas as pd

from hiermodels.design.checks import (
    check_magnitude,
    check_rank,
    check_unique_names,
    rows_text,
)
from hiermodels.design.columns import plain_message
from hiermodels.design.types import FixedDesign
from hiermodels.errors import DataError, FormulaError
from hiermodels.spec.offsets import OFFSET_FUNCTIONS, offset_columns
from hiermodels.spec.terms import GroupTerm

__all__ = [
    "fixed_design",
    "numbers",
    "offset_values",
    "rebuild_matrix",
    "rename_column",
    "term_columns",
    "without_intercept",
]


def numbers(mm: pd.DataFrame, what: str) -> np.ndarray:
    """A formulaic model matrix as floats. Formulaic passes dates, durations, periods and
    intervals through as they are; such a column is named in a DataError (NumPy would
    turn durations silently into nanoseconds)."""
    columns = []
    for name in mm.columns:
        column = mm[name]
        try:
            if column.dtype.kind in "mMc" or isinstance(
                column.dtype, pd.PeriodDtype | pd.IntervalDtype
            ):
                raise TypeError(column.dtype)
            columns.append(np.asarray(column, dtype=float))
        except (TypeError, ValueError):
            example = column.iloc[0]
            raise DataError(
                f"{what} has the column {str(name)!r} of {type(example).__name__} values "
                f"(e.g. {example!r}), which are neither numbers nor categories. Convert it "
                "to numbers (e.g. durations to days) or to a categorical column."
            ) from None
    return np.column_stack(columns) if columns else np.empty((len(mm), 0))


def rename_column(name: str) -> str:
    """``sex[T.M]`` -> ``sex[M]`` (the level shown against the reference, as in bambi)."""
    return re.sub(r"\[T\.(.*?)\]", r"[\1]", str(name))


def fixed_design(data: pd.DataFrame, rhs: str, formula: str) -> FixedDesign:
    """The fixed-effects matrix of ``rhs`` on ``data``, checked for names, size and rank."""
    from formulaic import model_matrix

    try:
        mm = model_matrix(rhs, data, na_action="raise", ensure_full_rank=True)
    except Exception as err:
        raise FormulaError(
            f"Cannot build the fixed part {rhs!r}: {plain_message(err)}", formula
        ) from None
    names = tuple(rename_column(c) for c in mm.columns)
    check_unique_names(names, f"The fixed part {rhs!r}", formula)
    matrix = numbers(mm, "The fixed part")
    for j, name in enumerate(names):
        check_magnitude(matrix[:, j], f"The fixed-effects column {name!r}", data.index)
    check_rank(matrix, names)
    return FixedDesign(matrix=matrix, names=names, formulaic_spec=mm.model_spec)


def without_intercept(fixed: FixedDesign, family: str, formula: str) -> FixedDesign:
    """``fixed`` without its intercept column, for a family whose linear predictor has
    none (its thresholds take the intercept's place).

    The column is dropped after formulaic has coded the predictors for a model with an
    intercept (``K - 1`` columns for a factor of ``K`` levels), as brms does. A formula
    written without an intercept (``0 + x``) is accepted only when its columns do not
    span the constant, which the thresholds hold already.
    """
    names = list(fixed.names)
    if "Intercept" in names:
        keep = tuple(i for i, n in enumerate(names) if n != "Intercept")
        return FixedDesign(
            matrix=fixed.matrix[:, list(keep)],
            names=tuple(names[i] for i in keep),
            formulaic_spec=fixed.formulaic_spec,
            columns=keep,
        )
    X = fixed.matrix
    if X.shape[1] and np.linalg.matrix_rank(np.column_stack([np.ones(len(X)), X])) == X.shape[1]:
        raise FormulaError(
            f"Family {family!r} has thresholds in place of an intercept, and the fixed "
            f"columns {names} of this formula add up to a constant, which the thresholds "
            "already hold. Write the formula with its intercept (drop the '0 +' or '- 1'): "
            "the factor is then coded against its first level.",
            formula,
        )
    return fixed


def term_columns(data: pd.DataFrame, term: GroupTerm, formula: str):
    """The varying columns of one group term: matrix, column names, formulaic spec."""
    from formulaic import model_matrix

    try:
        mm = model_matrix(term.expr, data, na_action="raise", ensure_full_rank=True)
    except Exception as err:
        raise FormulaError(
            f"Cannot build the varying part {term.expr!r} of {term.text}: {plain_message(err)}",
            formula,
        ) from None
    names = tuple(rename_column(c) for c in mm.columns)
    if not names:
        raise FormulaError(f"The group term {term.text} has no varying columns.", formula)
    check_unique_names(names, f"The group term {term.text}", formula)
    matrix = numbers(mm, f"The group term {term.text}")
    for j, name in enumerate(names):
        check_magnitude(matrix[:, j], f"The varying column {name!r} of {term.text}", data.index)
    return matrix, names, mm.model_spec


#: NumPy's functions of :data:`~hiermodels.spec.offsets.OFFSET_FUNCTIONS` (``I`` and
#: ``np`` come with formulaic).
_OFFSET_CONTEXT = {name: getattr(np, name) for name in OFFSET_FUNCTIONS if name != "I"}


def offset_values(data: pd.DataFrame, offsets: tuple[str, ...], formula: str) -> np.ndarray | None:
    """Sum of the ``offset(...)`` terms, evaluated on the data row by row (the functions
    of :data:`hiermodels.spec.offsets.OFFSET_FUNCTIONS` are allowed)."""
    if not offsets:
        return None
    from formulaic import model_matrix

    total = np.zeros(len(data))
    for expr in offsets:
        offset_columns(expr, formula)  # only functions of one row's values
        try:
            # log(0) gives -inf quietly here; the finiteness check below names the rows
            with np.errstate(divide="ignore", invalid="ignore"):
                mm = model_matrix(f"0 + {expr}", data, na_action="raise", context=_OFFSET_CONTEXT)
        except Exception as err:
            raise FormulaError(
                f"Cannot evaluate offset({expr}): {plain_message(err)}", formula
            ) from None
        values = numbers(mm, f"offset({expr})")
        if values.shape[1] != 1:
            raise FormulaError(f"offset({expr}) must give one numeric column.", formula)
        bad = ~np.isfinite(values[:, 0])
        if bad.any():
            rows = data.index[bad][:5].tolist()
            raise DataError(
                f"offset({expr}) is not finite in {rows_text(int(bad.sum()))} "
                f"(first rows: {rows}); for log(exposure) the exposure must be positive."
            )
        check_magnitude(values[:, 0], f"offset({expr})", data.index)
        total += values[:, 0]
    return total


def rebuild_matrix(model_spec, data: pd.DataFrame, where: str) -> np.ndarray:
    """Evaluate a stored formulaic spec on new data; mismatches become DataError.

    Formulaic writes the encoder and transform state of what it evaluates back into the
    spec it is given, also when the call then fails; it gets a copy, so that the fit's
    spec never changes and one bad call cannot spoil the next.
    """
    from formulaic.errors import DataMismatchWarning

    model_spec = copy.deepcopy(model_spec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mm = model_spec.get_model_matrix(data, na_action="raise")
        except Exception as err:
            raise DataError(
                f"Cannot build the {where} for the new data: {plain_message(err)}"
            ) from None
    mismatch = [w for w in caught if issubclass(w.category, DataMismatchWarning)]
    if mismatch:
        known = {
            str(expr): list(state["categories"])
            for expr, (kind, state) in model_spec.encoder_state.items()
            if getattr(kind, "value", kind) == "categorical" and "categories" in state
        }
        raise DataError(
            f"The new data do not match the {where} of the fit: "
            f"{plain_message(mismatch[0].message)} "
            f"Known levels of its categorical terms: {known}."
        )
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return np.asarray(mm, dtype=float)
