"""Level labels and integer codes of grouping factors, in fitting and in new data.

A level is a string label: ``1.0`` and ``1`` read ``"1"``. Levels of a categorical
column keep their category order; other columns are ordered numerically when every
label is an integer, else alphabetically. An interaction ``a:b`` has one level per
observed combination (:func:`interaction_label`). New data keep the fitted codes and
number unseen labels after them (:class:`LevelIndex`).

Examples
--------
>>> import pandas as pd
>>> labels, levels = level_labels(pd.Series([10, 2, 2.0], name="g"))
>>> labels.tolist(), levels
(['10', '2', '2'], ['2', '10'])
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from hiermodels.design.checks import check_magnitude, rows_text
from hiermodels.design.types import GroupDesign
from hiermodels.errors import DataError
from hiermodels.spec.terms import GroupFactor, Membership

__all__ = [
    "LevelIndex",
    "factor_codes",
    "interaction_label",
    "level_label",
    "level_labels",
    "membership_codes",
    "membership_weights",
    "new_factor_codes",
    "new_membership_codes",
    "order_levels",
]


def level_labels(series: pd.Series) -> tuple[np.ndarray, list[str]]:
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
        levels = order_levels(set(labels))
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


def order_levels(labels) -> list[str]:
    """Labels in numeric order when all are integers, else in alphabetical order."""
    labels = list(labels)
    if labels and all(re.fullmatch(r"-?\d+", lab) for lab in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def level_label(value: object) -> str:
    """The label of one value: integral floats lose their ``.0``."""
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


def factor_codes(data: pd.DataFrame, factor: GroupFactor) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of the rows and the level labels; an interaction's levels are the observed
    combinations of its columns' levels (as tuples), ordered column by column."""
    per_column = [level_labels(data[c]) for c in factor.columns]
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
            check_magnitude(cols[-1], f"Membership weight column {w!r}", data.index)
        weights = np.column_stack(cols)
        negative = (weights < 0).any(axis=1)
        if negative.any():
            rows = data.index[negative][:5].tolist()
            raise DataError(
                f"Membership weights {list(factor.weights)} are negative in "
                f"{rows_text(int(negative.sum()))} (first rows: {rows}); weights must be >= 0."
            )
    zero = weights.sum(axis=1) == 0
    if zero.any():
        rows = data.index[zero][:5].tolist()
        raise DataError(
            f"Membership weights {list(factor.weights or ())} are all zero in "
            f"{rows_text(int(zero.sum()))} (first rows: {rows}); each row needs a positive weight."
        )
    if factor.scale:
        weights = weights / weights.sum(axis=1, keepdims=True)
    return weights


def membership_codes(
    data: pd.DataFrame, factor: Membership
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Codes, weights and levels of a multiple-membership factor: its levels are the union
    of the members' levels."""
    members = [level_labels(data[c]) for c in factor.members]
    union = order_levels({lv for _, levels in members for lv in levels})
    lookup = {lv: i for i, lv in enumerate(union)}
    codes = np.column_stack([[lookup[v] for v in labels] for labels, _ in members])
    weights = membership_weights(data, factor)
    return codes.astype(np.int64), weights, tuple(union)


def _new_labels(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """String labels as in fitting, and a mask of missing values.

    Each distinct value is labelled once (``pd.factorize``), not each row.
    """
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    missing = codes < 0
    labels = np.array([level_label(v) for v in uniques] + [""], dtype=object)
    return labels[codes], missing  # code -1 (missing) takes the last label, ""


class LevelIndex:
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


def new_factor_codes(g: GroupDesign, data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Codes of new rows for a fitted factor, and its new levels (in order of appearance)."""
    per_column = [_new_labels(data[c]) for c in g.factor.columns]
    parts = zip(*[lab for lab, _ in per_column])
    if len(per_column) == 1:
        labels = [p[0] for p in parts]
    else:  # the labels are one-to-one with the combinations (see interaction_label)
        labels = [interaction_label(p) for p in parts]
    missing = np.logical_or.reduce([m for _, m in per_column])
    index = LevelIndex(g.levels)
    inverse, distinct = pd.factorize(np.asarray(labels, dtype=object))
    if not missing.any() and all(lab in index.lookup for lab in distinct):
        # every row at a fitted level (the common case): one lookup per distinct label
        known = np.array([index.lookup[lab] for lab in distinct], dtype=np.int64)
        return known[inverse][:, None], []
    codes = [index.code(lab, m, i) for i, (lab, m) in enumerate(zip(labels, missing))]
    return np.array(codes, dtype=np.int64)[:, None], index.new


def new_membership_codes(
    g: GroupDesign, data: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Codes and weights of new rows for a fitted multiple-membership factor, and its new
    levels."""
    factor: Membership = g.factor
    index = LevelIndex(g.levels)
    members = [_new_labels(data[c]) for c in factor.members]
    codes = np.empty((len(data), len(members)), dtype=np.int64)
    for i in range(len(data)):
        for k, (labels, missing) in enumerate(members):
            codes[i, k] = index.code(labels[i], bool(missing[i]), i)
    weights = membership_weights(data, factor)
    return codes, weights, index.new
