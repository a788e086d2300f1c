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

import dataclasses

import numpy as np
import pandas as pd

from hiermodels.design.checks import (
    check_categories,
    check_frame,
    check_required_columns,
    check_values,
)
from hiermodels.design.frame import model_frame
from hiermodels.design.levels import new_factor_codes, new_membership_codes
from hiermodels.design.matrices import offset_values, rebuild_matrix
from hiermodels.design.response import trials_column
from hiermodels.design.smooths import is_smooth_group, new_smooth_group
from hiermodels.design.types import Design, FixedDesign, GroupDesign, NewDesign
from hiermodels.errors import DataError, FormulaError
from hiermodels.spec.offsets import offset_columns
from hiermodels.spec.terms import Membership, ModelSpec

__all__ = ["NewDesign", "prediction_design", "required_columns", "value_columns"]


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


def value_columns(design: Design, spec: ModelSpec) -> list[str]:
    """Columns whose values enter the linear predictor (they may not be missing)."""
    return _columns(design, spec, factors=False)


def _group(g: GroupDesign, data: pd.DataFrame) -> tuple[GroupDesign, tuple[str, ...]]:
    if is_smooth_group(g):
        return new_smooth_group(g, data), ()
    parts = []
    for term_spec in g.term_specs:
        check_categories(term_spec, data, f"varying part of {g.name!r}")
        parts.append(rebuild_matrix(term_spec, data, f"varying columns of {g.name!r}"))
    Z = np.column_stack(parts)
    if Z.shape[1] != len(g.terms):  # pragma: no cover - formulaic keeps the spec's columns
        raise DataError(f"The varying columns of {g.name!r} do not match the fit's {g.terms}.")
    if isinstance(g.factor, Membership):
        codes, weights, new = new_membership_codes(g, data)
    else:
        codes, new = new_factor_codes(g, data)
        weights = np.ones(codes.shape, dtype=float)
    rebuilt = dataclasses.replace(g, levels=(*g.levels, *new), Z=Z, codes=codes, weights=weights)
    return rebuilt, tuple(new)


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
    data = check_frame(data, "predict")
    check_required_columns(data, required_columns(design, spec))
    data = model_frame(data, required_columns(design, spec), drop_unused_categories=False)
    check_values(data, value_columns(design, spec))
    check_categories(design.fixed.formulaic_spec, data, "fixed part")
    matrix = rebuild_matrix(design.fixed.formulaic_spec, data, "fixed part")
    if design.fixed.columns is not None:
        matrix = matrix[:, list(design.fixed.columns)]
    if matrix.shape[1] != len(design.fixed.names):  # pragma: no cover - same spec
        raise DataError(f"The fixed part of the new data does not match {design.fixed.names}.")
    fixed = FixedDesign(
        matrix=matrix,
        names=design.fixed.names,
        formulaic_spec=design.fixed.formulaic_spec,
        columns=design.fixed.columns,
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
        categories=design.categories,
    )
    return NewDesign(design=rebuilt_design, new_levels=new_levels)
