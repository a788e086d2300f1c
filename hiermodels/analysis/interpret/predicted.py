"""Predictions over posterior draws, per row or averaged (marginaleffects' ``predictions``).

Every interpretation function computes its draws here: the rows go through
:func:`hiermodels.predict.predict` (the linear predictor with the fit's encoders), and
the family's :meth:`~hiermodels.families.Family.expected_value` gives the response-scale
mean. A family whose expected value has a trailing category axis (probabilities of
ordered categories) gets an extra identifying column ``category``.

How group effects enter (``re``):

* ``"include"``: each row's own group effects; a label not seen in fitting is a new
  group, its effects drawn from the fitted population distribution per draw (brms'
  ``re_formula=NULL`` with ``sample_new_levels="gaussian"``).
* ``"exclude"``: every group effect is 0, the population level (brms' ``re_formula=NA``,
  emmeans).
* ``"new"``: every group label is treated as a new group (rows with the same label share
  its draw), so the predictions average over the population of groups.

Examples
--------
>>> import hiermodels as hm
>>> fit = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy")).fit(
...     draws=200, chains=2, random_seed=1, progressbar=False)  # doctest: +SKIP
>>> hm.datagrid(fit, Days=[0, 9])  # doctest: +SKIP
>>> fit.predictions(hm.datagrid(fit, Days=[0, 9]), re="exclude").to_frame()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.analysis.interpret.estimates import Estimates
from hiermodels.analysis.interpret.grids import group_columns
from hiermodels.errors import DataError, SpecError
from hiermodels.options import check_choice
from hiermodels.predict import CATEGORY_DIM, predict

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["RE", "By", "Draws", "Scale", "average_by", "prediction_draws", "predictions"]

RE = Literal["include", "exclude", "new"]
Scale = Literal["response", "link"]
By = str | Sequence[str] | bool | None
RES: tuple[str, ...] = ("include", "exclude", "new")
SCALES: tuple[str, ...] = ("response", "link")
#: The label of the one group every row joins under ``re="exclude"``.
POPULATION_LABEL = "<population>"


@dataclass(frozen=True)
class Draws:
    """Prediction draws, shape (chain, draw, rows, categories); ``categories`` is
    ``None`` when the family has one expected value per row (then the last axis is 1)."""

    values: np.ndarray
    categories: tuple | None


def _with_group_columns(fit: FitLike, data: pd.DataFrame) -> pd.DataFrame:
    """``data``, with a placeholder label in grouping columns it lacks (all groups are
    new under ``re="exclude"`` and ``"new"``, so their labels only say which rows share
    a group)."""
    missing = [c for c in group_columns(fit) if c not in data]
    if not missing:
        return data
    return data.assign(**{c: POPULATION_LABEL for c in missing})


def prediction_draws(
    fit: FitLike,
    data: pd.DataFrame,
    *,
    re: RE = "include",
    scale: Scale = "response",
    random_seed: int | None = None,
) -> Draws:
    """Draws of the expected response (``scale="response"``) or the linear predictor
    (``"link"``) for each row of ``data``; see the module docstring for ``re``."""
    check_choice("re", re, RES)
    check_choice("scale", scale, SCALES)
    if re != "include":
        data = _with_group_columns(fit, data)
    tree = predict(
        fit,
        data.reset_index(drop=True),
        kind="mean" if scale == "response" else "link",
        new_groups="population" if re == "exclude" else "sample",
        random_seed=random_seed,
        all_new=re != "include",
    )
    da = tree["predictions"][fit.design.response_name]
    if CATEGORY_DIM in da.dims:
        values = da.transpose("chain", "draw", "row", CATEGORY_DIM).values
        return Draws(values, tuple(da[CATEGORY_DIM].values.tolist()))
    return Draws(da.values[..., None], None)


def by_columns(by: By, frame: pd.DataFrame, *, exclude: Sequence[str] = ()) -> list[str] | None:
    """``by`` as a list of columns of ``frame`` (``[]`` for ``True``, ``None`` for none)."""
    if by is None or by is False:
        return None
    if by is True:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in cols if c not in frame.columns]
    if unknown:
        raise SpecError(f"by={unknown} not column(s) of the data; its columns are {list(frame)}.")
    clash = [c for c in cols if c in exclude]
    if clash:
        raise SpecError(f"by={clash} is the variable being changed; group by another column.")
    return cols


def group_rows(
    frame: pd.DataFrame, cols: list[str], *, sort: bool
) -> tuple[np.ndarray, pd.DataFrame]:
    """The group of each row of ``frame`` by the values of ``cols``, and the groups
    (sorted, or in order of appearance)."""
    keys = frame[cols].reset_index(drop=True)
    missing = keys.isna().any(axis=1).to_numpy()
    if missing.any():
        raise DataError(
            f"The columns {cols} have missing values in rows {list(np.flatnonzero(missing)[:5])}."
        )
    grouped = keys.groupby(cols, sort=sort, observed=True)
    codes = grouped.ngroup().to_numpy()
    first = grouped.head(1).assign(_code=grouped.ngroup()).sort_values("_code")
    return codes, first.drop(columns="_code").reset_index(drop=True)


def average_by(
    values: np.ndarray, frame: pd.DataFrame, by: list[str] | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Average the row axis (axis 2 of ``values``) within the groups of ``by``.

    ``by=None`` keeps the rows (identified by ``frame``); ``[]`` averages them all.
    Returns the groups' identifying columns and the averaged values, with the group axis
    in place of the row axis.
    """
    if by is None:
        return frame.reset_index(drop=True), values
    if not by:
        return pd.DataFrame(index=[0]), values.mean(axis=2, keepdims=True)
    group_codes, groups = group_rows(frame, by, sort=True)
    weights = np.zeros((len(groups), len(frame)))
    weights[group_codes, np.arange(len(frame))] = 1.0
    weights /= weights.sum(axis=1, keepdims=True)
    averaged = np.einsum("gn,cdn...->cdg...", weights, values)
    return groups, averaged


def to_estimates(
    rows: pd.DataFrame, values: np.ndarray, categories: tuple | None, info: dict
) -> Estimates:
    """Flatten (chain, draw, rows, categories) to an :class:`Estimates`."""
    n_chain, n_draw, n_rows, n_cat = values.shape
    if categories is None:
        return Estimates(rows, values[..., 0], info)
    rows = rows.loc[np.repeat(np.arange(n_rows), n_cat)].reset_index(drop=True)
    rows[CATEGORY_DIM] = list(categories) * n_rows
    return Estimates(rows, values.reshape(n_chain, n_draw, n_rows * n_cat), info)


def predictions(
    fit: FitLike,
    newdata: pd.DataFrame | None = None,
    *,
    by: By = None,
    re: RE = "include",
    scale: Scale = "response",
    random_seed: int | None = None,
) -> Estimates:
    """Posterior predictions for each row of ``newdata``, or averaged within groups.

    Parameters
    ----------
    newdata
        Rows to predict, with every column the model reads (build one with
        :func:`~hiermodels.analysis.interpret.datagrid`); ``None`` (default): the fitted
        rows. Not modified.
    by
        Column(s) of ``newdata``: average the predictions within each combination of
        their values (marginaleffects' ``avg_predictions(by=)``); ``True``: one average
        over all rows; ``None`` (default): one prediction per row.
    re
        ``"include"`` (default), ``"exclude"`` or ``"new"``: how group effects enter,
        see :mod:`hiermodels.analysis.interpret.predicted`.
    scale
        ``"response"`` (default): the expected response (a probability for Bernoulli and
        binomial, a rate for counts); ``"link"``: the linear predictor.
    random_seed
        Seed of the draws of new groups' effects (``re="new"``, or new labels).

    Returns
    -------
    Estimates
        ``.to_frame()``: the identifying columns (the columns of ``newdata``, or the
        ``by`` columns; ``category`` for families with response categories), then
        ``estimate``, ``sd`` and the interval at ``hiermodels.options.PROB``.
        ``.draws``: the draws (chain, draw, row).

    Raises
    ------
    SpecError
        For an unknown ``re``, ``scale`` or ``by`` column.
    DataError
        For a missing column or an unseen level of a fixed factor in ``newdata``.

    Examples
    --------
    >>> grid = hm.datagrid(fit, Days=[0, 9])  # doctest: +SKIP
    >>> fit.predictions(grid, re="exclude").to_frame()  # doctest: +SKIP
    """
    data = fit.model.data if newdata is None else newdata
    cols = by_columns(by, data)
    draws = prediction_draws(fit, data, re=re, scale=scale, random_seed=random_seed)
    rows, values = average_by(draws.values, data, cols)
    return to_estimates(rows, values, draws.categories, {"re": re, "scale": scale})
