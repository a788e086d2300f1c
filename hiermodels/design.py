"""DataFrame to design: response, fixed-effects matrix, group codes, Z columns and weights.

Group terms are never expanded to a dense Z over all levels. Each grouping factor keeps
``codes`` (rows x members) of integer level indices, ``weights`` (rows x members) and the
row-level columns ``Z`` (rows x terms); the group contribution of row ``i`` is
``sum_k weights[i, k] * Z[i] @ effects[codes[i, k]]``. An ordinary factor has one member
with weight 1; a multiple-membership factor has several.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.design import build_design
>>> from hiermodels.spec.formula import parse_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
>>> design = build_design(parse_formula("y ~ 1 + (1 | g)"), df, family="gaussian")
>>> design.groups[0].levels, design.groups[0].codes[:, 0].tolist()
(('a', 'b'), [0, 0, 1, 1])
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hiermodels.errors import DataError, FormulaError, MissingDataWarning, SpecError
from hiermodels.families import FAMILIES, get_family
from hiermodels.frame import model_frame
from hiermodels.spec.formula import ParsedFormula
from hiermodels.spec.offsets import OFFSET_FUNCTIONS, offset_columns
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership

__all__ = ["Design", "FixedDesign", "GroupDesign", "build_design", "used_columns"]

Missing = Literal["error", "drop"]

#: Largest magnitude accepted in a numeric array of the design. The computations square
#: and cross-multiply the data (standard deviations, ranks, REML), which overflows or
#: loses all precision long before the float64 limit; no measured quantity needs more.
LARGEST_MAGNITUDE = 1e100
#: Counts (responses of count families, binomial trials) are held as float64, which
#: represents every integer up to 2**53 exactly and no longer all of them above.
LARGEST_COUNT = 2**53


@dataclass(frozen=True, eq=False)
class FixedDesign:
    """The fixed-effects design matrix and how to rebuild it for new data."""

    matrix: np.ndarray
    names: tuple[str, ...]
    formulaic_spec: Any

    @property
    def has_intercept(self) -> bool:
        return "Intercept" in self.names


@dataclass(frozen=True, eq=False)
class GroupDesign:
    """One grouping factor: its levels, varying terms and per-row codes and weights.

    Attributes
    ----------
    name
        The factor as written ("Subject", "batch:cask", "mm(s1, s2)"); the dimension name.
    levels
        Level labels, in the order of the effect vector.
    terms
        Names of the varying columns ("Intercept", "Days", ...).
    blocks
        Partition of ``terms`` (as index tuples) into correlated blocks; a block of one
        term is uncorrelated with the rest.
    Z
        Row-level varying columns, shape (rows, terms).
    codes, weights
        Level index and weight of each member, shape (rows, members).
    """

    name: str
    levels: tuple[str, ...]
    terms: tuple[str, ...]
    blocks: tuple[tuple[int, ...], ...]
    Z: np.ndarray
    codes: np.ndarray
    weights: np.ndarray
    factor: GroupFactor | Membership
    term_specs: tuple[Any, ...]

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def correlated(self) -> bool:
        return any(len(b) > 1 for b in self.blocks)

    def level_counts(self) -> np.ndarray:
        """Number of rows in each level (members counted once per row they appear in)."""
        counts = np.zeros(self.n_levels, dtype=int)
        for k in range(self.codes.shape[1]):
            np.add.at(counts, self.codes[:, k], (self.weights[:, k] != 0).astype(int))
        return counts


@dataclass(frozen=True, eq=False)
class Design:
    """Everything the backend needs, as arrays, plus the encoders to rebuild it."""

    response_name: str
    y: np.ndarray
    trials: np.ndarray | None
    fixed: FixedDesign
    groups: tuple[GroupDesign, ...]
    row_index: pd.Index
    offset: np.ndarray | None = None
    #: Positions of the model's rows in the caller's DataFrame (labels may repeat).
    row_positions: np.ndarray | None = None

    @property
    def n_obs(self) -> int:
        return len(self.y)

    def group(self, name: str) -> GroupDesign:
        for g in self.groups:
            if name in (g.name, g.name.replace(" ", "")):
                return g
        raise SpecError(
            f"Unknown grouping factor {name!r}; this model's factors are "
            f"{[g.name for g in self.groups]}."
        )


def formula_variables(expr: str) -> set[str]:
    """The data columns a formulaic expression reads.

    A name looked up as it is (``x`` or a backticked ```x.y```) counts whole; formulaic's
    own ``required_variables`` keeps only the part before a dot, which loses dotted names
    such as R's ``Sepal.Length``.
    """
    from formulaic import Formula
    from formulaic.formula import SimpleFormula
    from formulaic.parser.types import Factor

    try:
        formula = Formula(expr)
        if not isinstance(formula, SimpleFormula):
            return {str(v) for v in formula.required_variables}
        names: set[str] = set()
        for term in formula:
            for factor in term.factors:
                if factor.eval_method is Factor.EvalMethod.LOOKUP:
                    names.add(str(factor.expr))
                else:
                    names |= {str(v) for v in factor.required_variables}
        return names
    except Exception as err:  # formulaic's syntax errors
        raise FormulaError(f"Cannot parse {expr!r}: {plain_message(err)}") from None


def plain_message(err: Exception) -> str:
    """Formulaic messages carry ANSI colour codes; strip them."""
    text = re.sub(r"\x1b\[[0-9;]*m|⧛|⧚", "", str(err))
    return text.strip()


def used_columns(parsed: ParsedFormula) -> list[str]:
    """Every data column the formula refers to, in order of first mention."""
    cols: list[str] = []
    cols += sorted(formula_variables(parsed.response.expr))
    if parsed.response.trials is not None:
        cols.append(parsed.response.trials)
    cols += sorted(formula_variables(parsed.fixed))
    for offset in parsed.offsets:
        cols += sorted(offset_columns(offset))
    for term in parsed.group_terms:
        cols += sorted(formula_variables(term.expr))
        cols += list(term.factor.used_columns)
    return list(dict.fromkeys(cols))


def _check_roles(parsed: ParsedFormula, formula: str) -> None:
    """A response column may not also predict, offset, group or weight; no predictor column
    may be called ``Intercept`` (formulaic would silently take it for the intercept)."""
    predictors = formula_variables(parsed.fixed)
    for term in parsed.group_terms:
        predictors |= formula_variables(term.expr)
    others = {c for t in parsed.group_terms for c in t.factor.used_columns}
    for offset in parsed.offsets:
        others |= offset_columns(offset)
    both = sorted(formula_variables(parsed.response.expr) & (predictors | others))
    if both:
        raise FormulaError(
            f"The response column {both[0]!r} also appears on the right-hand side of the "
            "formula; a column cannot predict, offset, group or weight itself. Remove it "
            "from the right-hand side.",
            formula,
        )
    if "Intercept" in predictors:
        raise FormulaError(
            "The column 'Intercept' is used as a predictor, but 'Intercept' is the name of "
            "the intercept, so the two would be confused. Rename the column, e.g. "
            "data.rename(columns={'Intercept': 'intercept_value'}).",
            formula,
        )


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[0] == 0:
        raise DataError("data is empty (0 rows); a model needs observations.")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"data has duplicated column names {dup}; rename them first.")
    bad = [c for c in data.columns if not isinstance(c, str)]
    if bad:
        raise DataError(
            f"Column names must be strings; these are not: {bad[:5]!r}. Use "
            "data.rename(columns=str)."
        )
    return data


def _check_columns(columns: list[str], data: pd.DataFrame, formula: str) -> None:
    available = list(data.columns)
    for col in columns:
        if col not in data.columns:
            close = difflib.get_close_matches(col, available, n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise FormulaError(
                f"Unknown column {col!r} in the formula.{hint} Available columns: {available}.",
                formula,
                _column_position(col, formula),
            )


def _column_position(col: str, formula: str) -> int | None:
    """Offset of ``col`` written as a whole name in ``formula`` (not inside a longer name)."""
    quoted = formula.find(f"`{col}`")
    if quoted >= 0:
        return quoted
    match = re.search(rf"(?<![\w.`]){re.escape(col)}(?![\w.`])", formula)
    return match.start() if match else None


def _handle_missing(
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


def _check_finite(data: pd.DataFrame, columns: list[str]) -> None:
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


def _check_magnitude(values: np.ndarray, what: str, index: pd.Index) -> None:
    """``values`` must be finite and at most :data:`LARGEST_MAGNITUDE` in size."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(values) <= LARGEST_MAGNITUDE)
    if bad.any():
        rows = index[bad][:5].tolist()
        shown = values[bad][:5].tolist()
        raise DataError(
            f"{what} is not finite or larger than {LARGEST_MAGNITUDE:g} in size in "
            f"{_rows(int(bad.sum()))} (first rows: {rows}, values {shown}). Rescale it, "
            "e.g. divide by a power of ten, or fix the values."
        )


def _check_count_size(series: pd.Series, what: str) -> None:
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
            f"{what} holds counts above 2**53 = {LARGEST_COUNT} in {_rows(int(bad.sum()))} "
            f"(first rows: {rows}); counts that large are not exact as floating-point "
            "numbers. Model a rescaled continuous response instead."
        )


def _response(data: pd.DataFrame, expr: str, family: str) -> np.ndarray:
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
    fam = get_family(family)
    if pd.api.types.is_bool_dtype(series):
        if fam.support != "binary":
            raise DataError(
                f"The response {expr!r} is boolean; family {family!r} needs "
                f"{fam.support_words}. Use family='bernoulli' for yes/no data."
            )
        return series.to_numpy(dtype=float)
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
    _check_magnitude(values, f"The response {expr!r}", data.index)
    fam.check_response(values, expr, data.index)
    if fam.counts:
        _check_count_size(series, f"The response {expr!r}")
    return values


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
        values = _numbers(mm, f"offset({expr})")
        if values.shape[1] != 1:
            raise FormulaError(f"offset({expr}) must give one numeric column.", formula)
        bad = ~np.isfinite(values[:, 0])
        if bad.any():
            rows = data.index[bad][:5].tolist()
            raise DataError(
                f"offset({expr}) is not finite in {_rows(int(bad.sum()))} (first rows: {rows}); "
                "for log(exposure) the exposure must be positive."
            )
        _check_magnitude(values[:, 0], f"offset({expr})", data.index)
        total += values[:, 0]
    return total


def _fixed(data: pd.DataFrame, rhs: str, formula: str) -> FixedDesign:
    from formulaic import model_matrix

    try:
        mm = model_matrix(rhs, data, na_action="raise", ensure_full_rank=True)
    except Exception as err:
        raise FormulaError(
            f"Cannot build the fixed part {rhs!r}: {plain_message(err)}", formula
        ) from None
    names = tuple(_rename_column(c) for c in mm.columns)
    _check_unique_names(names, f"The fixed part {rhs!r}", formula)
    matrix = _numbers(mm, "The fixed part")
    for j, name in enumerate(names):
        _check_magnitude(matrix[:, j], f"The fixed-effects column {name!r}", data.index)
    _check_rank(matrix, names)
    return FixedDesign(matrix=matrix, names=names, formulaic_spec=mm.model_spec)


def _numbers(mm: pd.DataFrame, what: str) -> np.ndarray:
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


def _check_unique_names(names: tuple[str, ...], what: str, formula: str) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FormulaError(
            f"{what} gives several columns named {dup}: a data column has the name of "
            "another term (e.g. a column 'a[b]' next to level 'b' of 'a'). Rename it.",
            formula,
        )


def _rename_column(name: str) -> str:
    """``sex[T.M]`` -> ``sex[M]`` (the level shown against the reference, as in bambi)."""
    return re.sub(r"\[T\.(.*?)\]", r"[\1]", str(name))


def _check_rank(matrix: np.ndarray, names: tuple[str, ...]) -> None:
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


def _level_labels(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per-row string labels and the ordered list of observed levels.

    Categorical columns keep their category order; other columns are ordered
    numerically when every label is an integer, else alphabetically.
    """
    values = series.astype(object).to_numpy()
    unhashable = next((v for v in values if not _hashable(v)), None)
    if unhashable is not None:
        raise DataError(
            f"Column {series.name!r} holds values such as {unhashable!r} "
            f"({type(unhashable).__name__}) that cannot label a group; a grouping column "
            "needs strings, numbers or categories."
        )
    labels = np.array([level_label(v) for v in values], dtype=object)
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(labels)
        levels = [level_label(c) for c in series.cat.categories if level_label(c) in present]
    else:
        levels = _order_levels(set(labels))
    raw = {}
    for v, lab in zip(pd.unique(values), (level_label(v) for v in pd.unique(values))):
        if lab in raw and raw[lab] is not v and type(raw[lab]) is not type(v):
            raise DataError(
                f"Column {series.name!r} holds different values that read the same as a "
                f"label: {raw[lab]!r} and {v!r}. Convert the column to one type first."
            )
        raw.setdefault(lab, v)
    return labels, levels


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _order_levels(labels) -> list[str]:
    labels = list(labels)
    if labels and all(re.fullmatch(r"-?\d+", lab) for lab in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def level_label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def interaction_label(parts: tuple[str, ...]) -> str:
    """The label of one level of an interaction factor ``a:b``: the labels of its parts
    joined by ``":"``, ``"x:z"``.

    A part that holds ``":"`` or starts with ``"`` is written as a quoted string (JSON),
    so ``("x:y", "z")`` is ``'"x:y":z'`` and ``("x", "y:z")`` is ``'x:"y:z"'``. The label
    can be read back into its parts, so distinct combinations always get distinct labels,
    in fitting and in prediction alike.
    """
    return ":".join(
        json.dumps(p, ensure_ascii=False) if ":" in p or p.startswith('"') else p for p in parts
    )


def _factor_codes(data: pd.DataFrame, factor: GroupFactor) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of the rows and the level labels; an interaction's levels are the observed
    combinations of its columns' levels (as tuples), ordered column by column."""
    per_column = [_level_labels(data[c]) for c in factor.columns]
    if len(per_column) == 1:
        labels, levels = per_column[0]
        lookup = {lv: i for i, lv in enumerate(levels)}
        return np.array([lookup[v] for v in labels], dtype=np.int64)[:, None], tuple(levels)
    rank = [{lv: i for i, lv in enumerate(levels)} for _, levels in per_column]
    keys = list(zip(*[lab for lab, _ in per_column]))
    distinct = sorted(set(keys), key=lambda k: tuple(r[v] for r, v in zip(rank, k)))
    lookup = {k: i for i, k in enumerate(distinct)}
    codes = np.array([lookup[k] for k in keys], dtype=np.int64)
    return codes[:, None], tuple(interaction_label(k) for k in distinct)


def membership_weights(data: pd.DataFrame, factor: Membership) -> np.ndarray:
    """Validated (rows x members) weights: given, or 1/k each; normalised if ``scale``."""
    k = len(factor.members)
    if factor.weights is None:
        weights = np.full((len(data), k), 1.0 / k)
    else:
        cols = []
        for w in factor.weights:
            if not pd.api.types.is_numeric_dtype(data[w]):
                raise DataError(f"Membership weight column {w!r} is not numeric ({data[w].dtype}).")
            cols.append(data[w].to_numpy(dtype=float))
            _check_magnitude(cols[-1], f"Membership weight column {w!r}", data.index)
        weights = np.column_stack(cols)
        negative = (weights < 0).any(axis=1)
        if negative.any():
            rows = data.index[negative][:5].tolist()
            raise DataError(
                f"Membership weights {list(factor.weights)} are negative in "
                f"{_rows(int(negative.sum()))} (first rows: {rows}); weights must be >= 0."
            )
    zero = weights.sum(axis=1) == 0
    if zero.any():
        rows = data.index[zero][:5].tolist()
        raise DataError(
            f"Membership weights {list(factor.weights or ())} are all zero in "
            f"{_rows(int(zero.sum()))} (first rows: {rows}); each row needs a positive weight."
        )
    if factor.scale:
        weights = weights / weights.sum(axis=1, keepdims=True)
    return weights


def _membership_codes(
    data: pd.DataFrame, factor: Membership
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    members = [_level_labels(data[c]) for c in factor.members]
    union = _order_levels({lv for _, levels in members for lv in levels})
    lookup = {lv: i for i, lv in enumerate(union)}
    codes = np.column_stack([[lookup[v] for v in labels] for labels, _ in members])
    weights = membership_weights(data, factor)
    return codes.astype(np.int64), weights, tuple(union)


def _term_columns(data: pd.DataFrame, term: GroupTerm, formula: str):
    from formulaic import model_matrix

    try:
        mm = model_matrix(term.expr, data, na_action="raise", ensure_full_rank=True)
    except Exception as err:
        raise FormulaError(
            f"Cannot build the varying part {term.expr!r} of {term.text}: {plain_message(err)}",
            formula,
        ) from None
    names = tuple(_rename_column(c) for c in mm.columns)
    if not names:
        raise FormulaError(f"The group term {term.text} has no varying columns.", formula)
    _check_unique_names(names, f"The group term {term.text}", formula)
    matrix = _numbers(mm, f"The group term {term.text}")
    for j, name in enumerate(names):
        _check_magnitude(matrix[:, j], f"The varying column {name!r} of {term.text}", data.index)
    return matrix, names, mm.model_spec


def _group_designs(
    data: pd.DataFrame, terms: tuple[GroupTerm, ...], formula: str
) -> tuple[GroupDesign, ...]:
    by_factor: dict[str, list[GroupTerm]] = {}
    for term in terms:
        by_factor.setdefault(term.factor.name, []).append(term)
    designs = []
    for name, factor_terms in by_factor.items():
        factor = factor_terms[0].factor
        if any(t.factor != factor for t in factor_terms):
            raise FormulaError(
                f"The factor {name!r} is written with different options in "
                f"{[t.text for t in factor_terms]}; write it the same way each time.",
                formula,
            )
        z_parts, names, specs, blocks = [], [], [], []
        for term in factor_terms:
            z, cols, spec = _term_columns(data, term, formula)
            start = len(names)
            idx = tuple(range(start, start + len(cols)))
            blocks.extend([idx] if term.correlated else [(i,) for i in idx])
            z_parts.append(z)
            names.extend(cols)
            specs.append(spec)
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise FormulaError(
                f"The varying term(s) {dup} appear more than once for factor {name!r}.", formula
            )
        if isinstance(factor, Membership):
            codes, weights, levels = _membership_codes(data, factor)
        else:
            codes, levels = _factor_codes(data, factor)
            weights = np.ones(codes.shape, dtype=float)
        if len(levels) < 2:
            raise DataError(
                f"The grouping factor {name!r} has only one level ({levels[0]!r}); a varying "
                "effect needs at least two levels. Drop the group term or fix the column."
            )
        designs.append(
            GroupDesign(
                name=name,
                levels=levels,
                terms=tuple(names),
                blocks=tuple(blocks),
                Z=np.column_stack(z_parts),
                codes=codes,
                weights=weights,
                factor=factor,
                term_specs=tuple(specs),
            )
        )
    return tuple(designs)


def _trials(frame: pd.DataFrame, name: str, y: np.ndarray) -> np.ndarray:
    """The binomial number of trials: positive integer counts, at least the successes."""
    series = frame[name]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(
            f"The trials column {name!r} must hold positive integer counts; it has dtype "
            f"{series.dtype} (e.g. {series.iloc[0]!r})."
        )
    trials = series.to_numpy(dtype=float)
    _check_count_size(series, f"The trials column {name!r}")
    empty = trials == 0
    if empty.any():
        rows = frame.index[empty][:5].tolist()
        raise DataError(
            f"The trials column {name!r} is 0 in {_rows(int(empty.sum()))} (first rows: "
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


def build_design(
    parsed: ParsedFormula,
    data: pd.DataFrame,
    *,
    family: str,
    missing: Missing = "error",
    formula: str | None = None,
) -> Design:
    """Validate ``data`` against the formula and build the design arrays.

    The caller's DataFrame is never modified.

    Parameters
    ----------
    parsed
        The parsed formula.
    data
        The data.
    family
        The family name (decides which responses are valid).
    missing
        ``"error"`` (default) raises on missing values in used columns, with counts per
        column; ``"drop"`` drops those rows and warns with the count.
    formula
        The formula text, for error messages.

    Returns
    -------
    Design
    """
    formula = formula or ""
    data = _check_frame(data)
    columns = used_columns(parsed)
    _check_columns(columns, data, formula)
    _check_roles(parsed, formula)
    frame, positions = _handle_missing(data, columns, missing)
    frame = model_frame(frame, columns, drop_unused_categories=True)
    _check_finite(frame, columns)
    y = _response(frame, parsed.response.expr, family)
    fam = get_family(family)
    trials = None
    if fam.needs_trials and parsed.response.trials is None:
        raise FormulaError(
            f"Family {family!r} needs the number of trials: write "
            f"'{parsed.response.expr} | trials(n) ~ ...'.",
            formula,
        )
    if parsed.response.trials is not None:
        if not fam.needs_trials:
            valid = " or ".join(repr(n) for n, f in FAMILIES.items() if f.needs_trials)
            raise FormulaError(
                f"trials() is only valid for family {valid}, not {family!r}.", formula
            )
        trials = _trials(frame, parsed.response.trials, y)
    fixed = _fixed(frame, parsed.fixed, formula)
    offset = offset_values(frame, parsed.offsets, formula)
    groups = _group_designs(frame, parsed.group_terms, formula)
    if fixed.matrix.shape[1] == 0 and not groups and not fam.parameters:
        raise FormulaError(
            "The model has nothing to estimate: no intercept, no predictors, no group "
            f"terms, and family {family!r} has no other parameters. Remove the '0' or '-1', "
            "or add terms.",
            formula,
        )
    from hiermodels.backend.naming import response_name

    return Design(
        response_name=response_name(parsed.response.expr),
        y=y,
        trials=trials,
        fixed=fixed,
        groups=groups,
        row_index=frame.index.copy(),
        offset=offset,
        row_positions=positions,
    )
