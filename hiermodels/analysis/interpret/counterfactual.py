"""Average comparisons and slopes over posterior draws (marginaleffects'
``avg_comparisons`` and ``avg_slopes``).

Both are counterfactual: every row of the data (by default the fitted rows) is predicted
with the variable set to each value compared, per draw; the predictions are averaged
over the rows (within the groups of ``by``) and then contrasted. All counterfactual
copies go through one prediction, so a new group's drawn effect is the same in each.

* :func:`comparisons`: a factor's levels contrasted (``"pairwise"``, ``"revpairwise"``,
  ``"trt.vs.ctrl"`` or weights), or a numeric variable increased by a step.
* :func:`slopes`: the derivative of the expected response by a numeric variable, by a
  central finite difference with step ``eps`` (default ``1e-4`` times the variable's
  range in the fitted rows, as marginaleffects); exact for a linear predictor on the
  link scale, and accurate to ``O(eps^2)`` on the response scale of a non-linear link.

Examples
--------
>>> fit.comparisons("Variety", re="exclude").to_frame()  # doctest: +SKIP
>>> fit.slopes("Days", by="Subject").to_frame()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiermodels.analysis.interpret.contrasts import contrast_matrix
from hiermodels.analysis.interpret.estimates import Estimates
from hiermodels.analysis.interpret.grids import column_kinds, factor_levels
from hiermodels.analysis.interpret.predicted import (
    RE,
    By,
    Scale,
    average_by,
    by_columns,
    prediction_draws,
    to_estimates,
)
from hiermodels.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["comparisons", "counterfactual_means", "slopes"]


def _variable_kind(fit: FitLike, variable: str, re: str) -> str:
    kinds = column_kinds(fit)
    if variable not in kinds:
        raise SpecError(f"Unknown variable {variable!r}; this model's columns are {list(kinds)}.")
    kind = kinds[variable]
    if kind == "group" and re != "include":
        raise SpecError(
            f"{variable!r} is a grouping column; comparing its levels needs re='include'."
        )
    return kind


def counterfactual_means(
    fit: FitLike,
    variable: str,
    values: list,
    *,
    newdata: pd.DataFrame | None,
    by: By,
    re: RE,
    scale: Scale,
    random_seed: int | None,
):
    """Predictions of every row with ``variable`` set to each of ``values`` (a value,
    or a function of the row's own values), averaged within ``by``.

    Returns the group rows, the draws (chain, draw, values, groups, categories) and the
    categories.
    """
    data = fit.model.data if newdata is None else newdata
    if variable not in data:
        raise SpecError(f"newdata has no column {variable!r}; its columns are {list(data)}.")
    cols = by_columns(by, data, exclude=[variable]) or []
    frames = []
    for value in values:
        copy = data.reset_index(drop=True).copy()
        copy[variable] = value(copy[variable]) if callable(value) else value
        frames.append(copy)
    draws = prediction_draws(
        fit, pd.concat(frames, ignore_index=True), re=re, scale=scale, random_seed=random_seed
    )
    n = len(data)
    stacked = draws.values.reshape(*draws.values.shape[:2], len(values), n, -1)
    rows, averaged = average_by(np.moveaxis(stacked, 2, -1), data, cols)
    return rows, np.moveaxis(averaged, -1, 2), draws.categories


def _contrast(rows, means, weights, labels, variable, categories, info) -> Estimates:
    values = np.einsum("kl,cdlg...->cdkg...", weights, means)
    n_k, n_g = values.shape[2], values.shape[3]
    ids = rows.loc[np.tile(np.arange(n_g), n_k)].reset_index(drop=True)
    ids.insert(0, "contrast", np.repeat(labels, n_g))
    ids.insert(0, "term", variable)
    flat = values.reshape(*values.shape[:2], n_k * n_g, values.shape[-1])
    return to_estimates(ids, flat, categories, info)


def comparisons(
    fit: FitLike,
    variable: str,
    *,
    contrast: str | Mapping | float | None = None,
    by: By = None,
    newdata: pd.DataFrame | None = None,
    re: RE = "include",
    scale: Scale = "response",
    reference=None,
    random_seed: int | None = None,
) -> Estimates:
    """Average differences in the expected response between values of ``variable``.

    Parameters
    ----------
    variable
        A factor, or a numeric predictor, of the model.
    contrast
        For a factor: ``"pairwise"`` (default; ``"a - b"`` for each level and each later
        one, as emmeans' ``pairs``), ``"revpairwise"``, ``"trt.vs.ctrl"`` (each level
        minus ``reference``, by default the first level) or a dict of weights (see
        :func:`~hiermodels.analysis.interpret.contrasts.contrast_matrix`; each must sum
        to 0). For a numeric variable: the step (default 1), ``E[y | x + step] - E[y | x]``.
    by
        Column(s) of the data: one comparison per group of rows (``True`` or ``None``:
        one over all rows).
    newdata
        The rows to average over (default: the fitted rows; a ``datagrid`` for a
        comparison at given values).
    re
        ``"include"`` (default), ``"exclude"`` (population level, as emmeans) or
        ``"new"``; see :mod:`hiermodels.analysis.interpret.predicted`.
    scale
        ``"response"`` (default) or ``"link"``.
    reference
        The control level of ``"trt.vs.ctrl"``.
    random_seed
        Seed of the draws of new groups' effects.

    Returns
    -------
    Estimates
        Columns ``term``, ``contrast``, the ``by`` columns (and ``category``), then
        ``estimate``, ``sd`` and the interval; ``.draws`` holds the draws.

    Raises
    ------
    SpecError
        For an unknown variable or contrast, a level not of the factor, weights that do
        not sum to 0, or an unknown ``by`` column.

    Examples
    --------
    >>> table = fit.comparisons("Days").to_frame()  # one more day: + Days' slope
    >>> table[["term", "contrast"]].values.tolist(), round(float(table["estimate"].iloc[0]))
    ([['Days', '+1']], 10)
    """
    kind = _variable_kind(fit, variable, re)
    info = {"re": re, "scale": scale}
    if kind == "numeric":
        step = 1.0 if contrast is None else contrast
        if isinstance(step, bool) or not isinstance(step, Real) or step == 0:
            raise SpecError(
                f"{variable!r} is numeric: contrast is the step to add (a non-zero number), "
                f"got {contrast!r}."
            )
        step = float(step)
        values = [lambda x: x + step, lambda x: x]
        weights, labels = np.array([[1.0, -1.0]]), [f"+{step:g}"]
    else:
        levels = factor_levels(fit.model.data[variable])
        labels, weights = contrast_matrix(
            levels, "pairwise" if contrast is None else contrast, reference=reference
        )
        values = levels
    rows, means, categories = counterfactual_means(
        fit, variable, values, newdata=newdata, by=by, re=re, scale=scale,
        random_seed=random_seed,
    )  # fmt: skip
    return _contrast(rows, means, weights, labels, variable, categories, info)


def slopes(
    fit: FitLike,
    variable: str,
    *,
    by: By = None,
    newdata: pd.DataFrame | None = None,
    re: RE = "include",
    scale: Scale = "response",
    eps: float | None = None,
    random_seed: int | None = None,
) -> Estimates:
    """Average derivative of the expected response by a numeric ``variable``.

    ``(E[y | x + eps/2] - E[y | x - eps/2]) / eps`` per row and draw, averaged over the
    rows (within ``by``): marginaleffects' ``avg_slopes``, emmeans' ``emtrends`` for a
    linear model.

    Parameters
    ----------
    by, newdata, re, scale, random_seed
        As in :func:`comparisons`.
    variable
        A numeric predictor of the model.
    eps
        The finite-difference step; default ``1e-4`` times the range of ``variable`` in
        the fitted rows (``1e-4`` if it has one value). Kept in ``.info["eps"]``.

    Returns
    -------
    Estimates
        Columns ``term``, ``contrast`` (``"dY/dX"``), the ``by`` columns (and
        ``category``), then ``estimate``, ``sd`` and the interval.

    Raises
    ------
    SpecError
        For an unknown or non-numeric variable, or a step that is not a positive number.

    Examples
    --------
    >>> slopes = fit.slopes("Days")
    >>> round(float(slopes.to_frame()["estimate"].iloc[0])), slopes.samples().shape
    (10, (1000, 1))
    """
    kind = _variable_kind(fit, variable, re)
    if kind != "numeric":
        raise SpecError(
            f"{variable!r} is a {kind} column; slopes need a numeric one. Use comparisons()."
        )
    if eps is None:
        x = fit.model.data[variable]
        eps = 1e-4 * (float(x.max() - x.min()) or 1.0)
    if isinstance(eps, bool) or not isinstance(eps, Real) or not eps > 0:
        raise SpecError(f"eps must be a positive number, got {eps!r}.")
    half = float(eps) / 2
    rows, means, categories = counterfactual_means(
        fit, variable, [lambda x: x + half, lambda x: x - half], newdata=newdata, by=by,
        re=re, scale=scale, random_seed=random_seed,
    )  # fmt: skip
    info = {"re": re, "scale": scale, "eps": float(eps)}
    weights = np.array([[1.0, -1.0]]) / float(eps)
    return _contrast(rows, means, weights, ["dY/dX"], variable, categories, info)
