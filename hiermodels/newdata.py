"""Rebuild a model's design for new data, for predictions.

The fixed part and the varying columns are rebuilt with the formulaic specs stored in
the fitted :class:`~hiermodels.design.Design`, so categorical codings and stateful
transforms (``center(x)``, ...) are those of the fit. Group levels seen in fitting keep
their index in the effect vector; unseen levels are numbered after them, one new level
per distinct unseen label (rows with the same unseen label share it). A missing group
value (NaN) is a new level of its own in each row: nothing says two such rows belong to
the same group.

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> model = hm.Model("y ~ 1 + (1 | g)", df)
>>> new = prediction_design(model.design, model.spec, pd.DataFrame({"g": ["b", "c", "c"]}))
>>> new.design.groups[0].codes[:, 0].tolist(), new.new_levels["g"]
([1, 2, 2], ('c',))
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiermodels.design import (
    Design,
    FixedDesign,
    GroupDesign,
    interaction_label,
    level_label,
    membership_weights,
    offset_values,
    plain_message,
)
from hiermodels.errors import DataError, FormulaError
from hiermodels.frame import model_frame
from hiermodels.spec.offsets import offset_columns
from hiermodels.spec.terms import Membership, ModelSpec

__all__ = ["NewDesign", "prediction_design", "required_columns"]


@dataclass(frozen=True, eq=False)
class NewDesign:
    """A design for new rows, and the new levels of each grouping factor.

    In ``design.groups[i]`` the codes index ``levels + new_levels[name]``: the fitted
    levels first, then the new ones (labels of unseen levels, ``"<missing row k>"`` for
    a missing value in row ``k``).
    """

    design: Design
    new_levels: dict[str, tuple[str, ...]]


def _columns(design: Design, spec: ModelSpec, *, factors: bool) -> list[str]:
    """Columns used to predict: with ``factors``, the group and member columns too;
    without, only columns whose values enter the linear predictor (incl. weights)."""
    cols: list[str] = sorted(design.fixed.formulaic_spec.required_variables)
    for expr in spec.offsets:
        cols += sorted(offset_columns(expr))
    for g in design.groups:
        for term_spec in g.term_specs:
            cols += sorted(term_spec.required_variables)
        if factors:
            cols += list(g.factor.used_columns)
        elif isinstance(g.factor, Membership):
            cols += list(g.factor.weights or ())
    return list(dict.fromkeys(cols))


def required_columns(design: Design, spec: ModelSpec) -> list[str]:
    """The columns new data must hold to predict (not the response, not the trials)."""
    return _columns(design, spec, factors=True)


def _value_columns(design: Design, spec: ModelSpec) -> list[str]:
    """Columns whose values enter the linear predictor (they may not be missing)."""
    return _columns(design, spec, factors=False)


def _check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[0] == 0:
        raise DataError("data is empty (0 rows); there is nothing to predict.")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"data has duplicated column names {dup}; rename them first.")
    return data


def _check_columns(data: pd.DataFrame, columns: list[str]) -> None:
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


def _check_values(data: pd.DataFrame, columns: list[str]) -> None:
    """Missing or infinite values in predictor columns are an error, with counts."""
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


def _check_kinds(model_spec, data: pd.DataFrame, where: str) -> None:
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
        values = _value_type(pd.unique(present))
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


def _check_categories(model_spec, data: pd.DataFrame, where: str) -> None:
    """Unseen levels of categorical predictors: DataError naming column, values and levels."""
    _check_kinds(model_spec, data, where)
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


def _model_matrix(model_spec, data: pd.DataFrame, where: str) -> np.ndarray:
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


def _labels(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """String labels as in fitting, and a mask of missing values."""
    missing = series.isna().to_numpy()
    values = series.astype(object).to_numpy()
    labels = np.array(["" if m else level_label(v) for v, m in zip(values, missing)], dtype=object)
    return labels, missing


class _LevelIndex:
    """Fitted levels first; each distinct unseen label and each missing value appended."""

    def __init__(self, levels: tuple[str, ...]):
        self.lookup = {lv: i for i, lv in enumerate(levels)}
        self.n_fitted = len(levels)
        self.new: list[str] = []

    def code(self, label: str, missing: bool, row: int) -> int:
        label = str(label)
        if missing:
            self.new.append(f"<missing row {row}>")
            return self.n_fitted + len(self.new) - 1
        if label not in self.lookup:
            self.lookup[label] = self.n_fitted + len(self.new)
            self.new.append(label)
        return self.lookup[label]


def _factor_codes(g: GroupDesign, data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    per_column = [_labels(data[c]) for c in g.factor.columns]
    parts = zip(*[lab for lab, _ in per_column])
    if len(per_column) == 1:
        labels = [p[0] for p in parts]
    else:  # the labels are one-to-one with the combinations (see interaction_label)
        labels = [interaction_label(p) for p in parts]
    missing = np.logical_or.reduce([m for _, m in per_column])
    index = _LevelIndex(g.levels)
    codes = [index.code(lab, m, i) for i, (lab, m) in enumerate(zip(labels, missing))]
    return np.array(codes, dtype=np.int64)[:, None], index.new


def _membership(g: GroupDesign, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    factor: Membership = g.factor
    index = _LevelIndex(g.levels)
    members = [_labels(data[c]) for c in factor.members]
    codes = np.empty((len(data), len(members)), dtype=np.int64)
    for i in range(len(data)):
        for k, (labels, missing) in enumerate(members):
            codes[i, k] = index.code(labels[i], bool(missing[i]), i)
    weights = membership_weights(data, factor)
    return codes, weights, index.new


def _group(g: GroupDesign, data: pd.DataFrame) -> tuple[GroupDesign, tuple[str, ...]]:
    parts = []
    for term_spec in g.term_specs:
        _check_categories(term_spec, data, f"varying part of {g.name!r}")
        parts.append(_model_matrix(term_spec, data, f"varying columns of {g.name!r}"))
    Z = np.column_stack(parts)
    if Z.shape[1] != len(g.terms):  # pragma: no cover - formulaic keeps the spec's columns
        raise DataError(f"The varying columns of {g.name!r} do not match the fit's {g.terms}.")
    if isinstance(g.factor, Membership):
        codes, weights, new = _membership(g, data)
    else:
        codes, new = _factor_codes(g, data)
        weights = np.ones(codes.shape, dtype=float)
    rebuilt = dataclasses.replace(g, levels=(*g.levels, *new), Z=Z, codes=codes, weights=weights)
    return rebuilt, tuple(new)


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


def prediction_design(
    design: Design, spec: ModelSpec, data: pd.DataFrame, *, trials: bool = False
) -> NewDesign:
    """Build the design of ``data`` with the encoders of a fitted ``design``.

    Parameters
    ----------
    design
        The fitted model's design.
    spec
        The fitted model's spec (for offsets and the trials column).
    data
        New rows. It is not modified.
    trials
        Also read the trials column (binomial draws of the response).

    Returns
    -------
    NewDesign

    Raises
    ------
    DataError
        For a missing column, a missing value in a predictor, or an unseen level of a
        categorical fixed predictor.
    """
    data = _check_frame(data)
    _check_columns(data, required_columns(design, spec))
    data = model_frame(data, required_columns(design, spec), drop_unused_categories=False)
    _check_values(data, _value_columns(design, spec))
    _check_categories(design.fixed.formulaic_spec, data, "fixed part")
    matrix = _model_matrix(design.fixed.formulaic_spec, data, "fixed part")
    if matrix.shape[1] != len(design.fixed.names):  # pragma: no cover - same spec
        raise DataError(f"The fixed part of the new data does not match {design.fixed.names}.")
    fixed = FixedDesign(
        matrix=matrix, names=design.fixed.names, formulaic_spec=design.fixed.formulaic_spec
    )
    try:
        offset = offset_values(data, spec.offsets, spec.formula)
    except FormulaError as err:
        raise DataError(str(err)) from None
    groups, new_levels = [], {}
    for g in design.groups:
        rebuilt, new = _group(g, data)
        groups.append(rebuilt)
        new_levels[g.name] = new
    n = len(data)
    rebuilt_design = Design(
        response_name=design.response_name,
        y=np.full(n, np.nan),
        trials=trials_column(design, spec, data) if trials else None,
        fixed=fixed,
        groups=tuple(groups),
        row_index=data.index.copy(),
        offset=offset,
    )
    return NewDesign(design=rebuilt_design, new_levels=new_levels)
