"""Estimated marginal means over a reference grid (emmeans), per posterior draw.

The reference grid crosses every level of each factor of the fixed part with the numeric
predictors at their means (or at the values of ``at``). The expected response of each
cell is computed per draw (population level by default: ``re="exclude"``), and the
marginal mean of a level is the weighted average of its cells over the other factors:
equal weights (emmeans' default), or weights proportional to how often each combination
of the other factors occurs in the data (``weights="proportional"``).

Examples
--------
>>> fit.marginal_means("Variety").to_frame()  # doctest: +SKIP
>>> fit.marginal_means("Variety", at={"nitro": 0.6}).to_frame()  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.analysis.interpret.estimates import Estimates
from hiermodels.analysis.interpret.grids import (
    column_kinds,
    factor_levels,
    grid_values,
    typical_value,
)
from hiermodels.analysis.interpret.predicted import (
    RE,
    Scale,
    group_rows,
    prediction_draws,
    to_estimates,
)
from hiermodels.errors import DataError, SpecError
from hiermodels.options import check_choice

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["marginal_means", "reference_grid"]

Weights = Literal["equal", "proportional"]
WEIGHTS: tuple[str, ...] = ("equal", "proportional")
#: Largest reference grid (cells) before a grid is refused.
MAX_CELLS = 100_000


def reference_grid(
    fit: FitLike, *, at: Mapping[str, object] | None = None, re: RE = "exclude"
) -> pd.DataFrame:
    """Every level of each factor crossed, numeric predictors at their means.

    ``at`` fixes columns at a value or a list of values (crossed too). With
    ``re="include"`` the grouping columns join the grid with their fitted levels; with
    ``"exclude"`` or ``"new"`` they hold a placeholder.
    """
    kinds = column_kinds(fit)
    at = dict(at or {})
    unknown = [c for c in at if c not in kinds]
    if unknown:
        raise SpecError(f"at={unknown} not column(s) of this model; its columns are {list(kinds)}.")
    data = fit.model.data
    values = {}
    for col, kind in kinds.items():
        if col in at:
            values[col] = grid_values(fit, col, at[col], kind=kind)
        elif kind == "factor" or (kind == "group" and re == "include"):
            values[col] = factor_levels(data[col])
        else:
            values[col] = [typical_value(data[col], kind)]
    cells = int(np.prod([len(v) for v in values.values()]))
    if cells > MAX_CELLS:
        raise DataError(
            f"The reference grid would have {cells} cells (more than {MAX_CELLS}); fix "
            "some columns with at=, or use re='exclude'."
        )
    return pd.DataFrame(list(itertools.product(*values.values())), columns=list(values))


def _cell_weights(
    fit: FitLike, grid: pd.DataFrame, target: list[str], weights: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The target groups and the weight of each cell in each (groups x cells, rows sum 1)."""
    codes, groups = group_rows(grid, target, sort=False)
    w = np.zeros((len(groups), len(grid)))
    w[codes, np.arange(len(grid))] = 1.0
    if weights == "proportional":
        data = fit.model.data
        others = [c for c in grid.columns if c not in target and grid[c].nunique() > 1]
        others = [c for c in others if column_kinds(fit)[c] != "numeric"]
        if others:
            counts = data[others].astype(object).value_counts()
            found = {k if isinstance(k, tuple) else (k,): n for k, n in counts.items()}
            cells = grid[others].astype(object).itertuples(index=False)
            w *= np.array([found.get(tuple(c), 0) for c in cells], dtype=float)[None, :]
    totals = w.sum(axis=1, keepdims=True)
    if np.any(totals == 0):
        empty = groups.iloc[np.flatnonzero(totals[:, 0] == 0)].to_dict("records")
        raise DataError(f"No data for the cells of {empty}: their proportional weights are 0.")
    return groups, w / totals


def marginal_means(
    fit: FitLike,
    variables: str | Sequence[str],
    *,
    at: Mapping[str, object] | None = None,
    by: str | Sequence[str] | None = None,
    weights: Weights = "equal",
    re: RE = "exclude",
    scale: Scale = "response",
    random_seed: int | None = None,
) -> Estimates:
    """Estimated marginal means of ``variables`` (emmeans' ``emmeans(fit, ~ variables)``).

    Parameters
    ----------
    variables
        Factor(s) of the fixed part (a numeric column with several values in ``at``
        works too): one mean per level (combination).
    at
        Column to a value or list of values in the reference grid; by default the
        numeric predictors are at their means. A list is averaged over (equally), as
        emmeans' ``at=``.
    by
        Further factor(s): the means of ``variables`` within each of their levels
        (emmeans' ``~ variables | by``).
    weights
        ``"equal"`` (default): each cell of the other factors counts the same;
        ``"proportional"``: cells weigh as often as their combination of the other
        factors occurs in the fitted rows.
    re
        ``"exclude"`` (default; population level, as emmeans), ``"new"`` (averaged over
        new groups' drawn effects) or ``"include"`` (averaged over the fitted groups,
        which join the grid); see :mod:`hiermodels.analysis.interpret.predicted`.
    scale
        ``"response"`` (default; emmeans' ``type="response"``, the mean of the
        back-transformed cells) or ``"link"``.
    random_seed
        Seed of the draws of new groups' effects (``re="new"``).

    Returns
    -------
    Estimates
        Columns ``variables`` (and ``by``, ``category``), then ``estimate``, ``sd`` and
        the interval; ``.draws`` holds the draws.

    Raises
    ------
    SpecError
        For an unknown variable or ``at`` column, or unknown ``weights``.
    DataError
        For an unknown level in ``at``, or a grid too large.

    Examples
    --------
    >>> means = fit.marginal_means("Days", at={"Days": [0, 9]}).to_frame()
    >>> means[["Days", "estimate"]].round({"estimate": -1})
       Days  estimate
    0     0     250.0
    1     9     350.0
    """
    check_choice("weights", weights, WEIGHTS)
    check_choice("re", re, ("include", "exclude", "new"))
    target = [variables] if isinstance(variables, str) else list(variables)
    target += [] if by is None else ([by] if isinstance(by, str) else list(by))
    kinds = column_kinds(fit)
    unknown = [v for v in target if v not in kinds]
    if unknown:
        factors = [c for c, k in kinds.items() if k == "factor"]
        raise SpecError(
            f"Unknown variable(s) {unknown}; this model's factors are {factors} and its "
            f"columns {list(kinds)}."
        )
    grid = reference_grid(fit, at=at, re=re)
    groups, w = _cell_weights(fit, grid, target, weights)
    draws = prediction_draws(fit, grid, re=re, scale=scale, random_seed=random_seed)
    means = np.einsum("gn,cdnk->cdgk", w, draws.values)
    info = {"re": re, "scale": scale, "weights": weights}
    return to_estimates(groups, means, draws.categories, info)
