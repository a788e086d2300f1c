"""Grids of predictor values to predict at, built as marginaleffects' ``datagrid`` does.

The columns a model reads (:func:`hiermodels.design.required_columns`) fall in three
kinds: numeric predictors, factors (text, categorical or boolean columns, and numbers
written ``C(x)``) and the columns of the grouping factors. A grid holds every one of
them: the named ones at the values given, the others at a typical value (the mean of a
numeric column, the most frequent level of a factor or grouping column, in the fitted
rows). The named values are crossed (every combination, in the order given).

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", sleep)
>>> class Fitted:  # anything with .model, .design and .spec, e.g. a hm.Fit
...     model, design, spec = model, model.design, model.spec
>>> datagrid(Fitted(), Days=[0, 9])
   Days Subject
0     0     308
1     9     308
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiermodels.design.newdata import required_columns, value_columns
from hiermodels.errors import DataError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = [
    "column_kinds",
    "datagrid",
    "factor_levels",
    "grid_values",
    "group_columns",
    "typical_value",
]

#: Values of ``datagrid(x=...)`` that stand for a set of values rather than one.
SPECIAL = ("levels", "range")


def group_columns(fit: FitLike) -> list[str]:
    """The data columns of the grouping factors (members of ``mm()`` included)."""
    cols: list[str] = []
    for g in fit.design.groups:
        cols += list(g.factor.used_columns)
    return list(dict.fromkeys(cols))


def _categorical_exprs(fit: FitLike) -> list[str]:
    state = getattr(fit.design.fixed.formulaic_spec, "encoder_state", {}) or {}
    return [
        str(expr)
        for expr, (kind, _) in state.items()
        if getattr(kind, "value", kind) == "categorical"
    ]


def column_kinds(fit: FitLike) -> dict[str, str]:
    """Each column the model reads: ``"numeric"``, ``"factor"`` or ``"group"``."""
    data = fit.model.data
    # a column of a grouping factor that also enters the linear predictor (Variety in
    # yield ~ Variety + (1 | Block/Variety)) is a predictor
    groups = set(group_columns(fit)) - set(value_columns(fit.design, fit.spec))
    exprs = _categorical_exprs(fit)
    kinds = {}
    for col in required_columns(fit.design, fit.spec):
        if col in groups:
            kinds[col] = "group"
            continue
        series = data[col]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        wrapped = re.compile(rf"C\(\s*{re.escape(col)}\s*(,.*)?\)")
        if numeric and not any(wrapped.fullmatch(e) for e in exprs):
            kinds[col] = "numeric"
        else:
            kinds[col] = "factor"
    return kinds


def factor_levels(series: pd.Series) -> list:
    """Levels of a factor column in the model's order (categories, else sorted values)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    values = pd.unique(series.dropna())
    try:
        return sorted(values)
    except TypeError:  # pragma: no cover - mixed types: keep the order of appearance
        return list(values)


def typical_value(series: pd.Series, kind: str):
    """The mean of a numeric column; the most frequent level of the others (first on ties)."""
    if kind == "numeric":
        return float(series.mean())
    counts = series.value_counts(sort=False, dropna=True)
    levels = factor_levels(series)
    counts = counts.reindex(levels).fillna(0)
    return levels[int(np.argmax(counts.to_numpy()))]


def _listed(value) -> list:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def grid_values(fit: FitLike, column: str, value, *, kind: str | None = None) -> list:
    """The values ``datagrid`` uses for ``column`` given ``value`` (checked).

    ``"levels"`` gives every level of a factor or grouping column and every distinct
    value of a numeric one; ``"range"`` the minimum and maximum of a numeric column.
    Factor levels must be levels seen in fitting; a grouping column may take a new
    label (a new group).
    """
    series = fit.model.data[column]
    kind = kind or column_kinds(fit)[column]
    if isinstance(value, str) and value in SPECIAL:
        is_level = kind != "numeric" and value in set(series.astype(str))
        if not is_level:
            if value == "levels":
                if kind == "numeric":
                    return sorted(float(v) for v in pd.unique(series.dropna()))
                return factor_levels(series)
            if kind != "numeric":
                raise SpecError(
                    f"'range' applies to numeric columns; {column!r} is a {kind} column. "
                    "Use 'levels' or list its levels."
                )
            return [float(series.min()), float(series.max())]
    values = _listed(value)
    if not values:
        raise SpecError(f"No values given for {column!r}.")
    if kind == "numeric":
        bad = [v for v in values if isinstance(v, bool | str) or not np.isscalar(v)]
        if bad:
            raise DataError(
                f"Column {column!r} is numeric; got {bad}. Give numbers, or one of {list(SPECIAL)}."
            )
        return values
    if kind == "factor":
        levels = factor_levels(series)
        unknown = [v for v in values if v not in levels]
        if unknown:
            raise DataError(f"{unknown} not level(s) of {column!r}; its levels are {levels}.")
    return values


def _check_names(fit: FitLike, names: Iterable[str], where: str) -> dict[str, str]:
    kinds = column_kinds(fit)
    unknown = [n for n in names if n not in kinds]
    if unknown:
        raise SpecError(
            f"{where}: {unknown} not column(s) of this model; its columns are {list(kinds)}."
        )
    return kinds


def datagrid(fit: FitLike, **at) -> pd.DataFrame:
    """A grid of predictor values: the named columns at the values given, crossed; the
    other columns at their mean (numeric) or most frequent level (factors, groups).

    Parameters
    ----------
    fit
        A fitted model (``hm.Fit``).
    **at
        Column name to a value, a list of values, ``"levels"`` (every level of a factor
        or grouping column, every distinct value of a numeric one) or ``"range"`` (the
        minimum and maximum of a numeric column). A grouping column may take a label not
        seen in fitting: a new group.

    Returns
    -------
    pandas.DataFrame
        One row per combination of the named values, with every column the model reads,
        ready for :func:`~hiermodels.analysis.interpret.predictions` (``newdata=``) or
        ``fit.predict``.

    Raises
    ------
    SpecError
        For a name that is not a column of the model (the message lists them).
    DataError
        For a level a factor did not have in fitting, or a non-number for a numeric
        column.

    Examples
    --------
    >>> grid = hm.datagrid(fit, Days="range", Subject=["308", "new"])  # doctest: +SKIP
    >>> len(grid)  # doctest: +SKIP
    4
    """
    return _grid(fit, at, where="datagrid")


def _grid(fit: FitLike, at: Mapping[str, object], *, where: str) -> pd.DataFrame:
    kinds = _check_names(fit, at, where)
    data = fit.model.data
    named = {col: grid_values(fit, col, value, kind=kinds[col]) for col, value in at.items()}
    rows = list(itertools.product(*named.values())) if named else [()]
    grid = pd.DataFrame(rows, columns=list(named))
    for col, kind in kinds.items():
        if col not in named:
            grid[col] = [typical_value(data[col], kind)] * len(grid)
    return grid[list(kinds)]
