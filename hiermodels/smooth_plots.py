"""The curve of a smooth ``s(x)``: its posterior mean and band on the link scale.

The curve is the linear predictor over a grid of ``x`` (100 points over the fitted
range): the intercept, the smooth (its linear part and its penalised part) and the other
fixed terms at reference values, the numeric predictors at their means and the factors at
their most frequent levels (:func:`~hiermodels.analysis.interpret.datagrid`); the group
effects of ``(… | g)`` terms are left out (0, the population line). With
``s(x, by=g)`` there is one curve per level of ``g``.

Examples
--------
MASS's motorcycle accelerations (a fit of about a minute, compile included):

>>> import hiermodels as hm
>>> mcycle = hm.datasets.load("mcycle")
>>> fit = hm.Model("accel ~ s(times)", mcycle).fit(random_seed=1)  # doctest: +SKIP
>>> fig = fit.plot_smooth("times")  # doctest: +SKIP
>>> fig.savefig("smooth.png")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiermodels.analysis.interpret.grids import datagrid
from hiermodels.design.newdata import prediction_design
from hiermodels.design.smooths import is_smooth_group
from hiermodels.errors import SpecError
from hiermodels.linear_predictor import linear_predictor
from hiermodels.options import PROB, check_prob, interval_columns

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from hiermodels.protocols import FitLike

__all__ = ["plot_smooth", "smooth_curve"]


def _smooths(fit: FitLike, variable: str) -> list:
    smooths = list(dict.fromkeys(g.factor.smooth for g in fit.design.groups if is_smooth_group(g)))
    mine = [s for s in smooths if s.x == variable]
    if not mine:
        raise SpecError(
            f"The model has no smooth of {variable!r}; its smooths are "
            f"{[s.name for s in smooths] or 'none'} (write s({variable}) in the formula)."
        )
    return mine


def smooth_curve(
    fit: FitLike, variable: str, *, prob: float = PROB, n_points: int = 100
) -> pd.DataFrame:
    """The smooth of ``variable`` on a grid: posterior mean and equal-tailed interval.

    Parameters
    ----------
    variable
        The smoothed column, as in ``s(variable)`` or ``s(variable, by=g)``.
    prob
        The probability of the interval (default 0.89).
    n_points
        Grid points over the fitted range of ``variable``.

    Returns
    -------
    pandas.DataFrame
        The grid columns (``variable``, the ``by=`` factors, the other predictors at
        their reference values), then ``mean``, ``sd`` and the interval bounds of the
        linear predictor with group effects at 0 (see the module's docstring).

    Raises
    ------
    SpecError
        If the model has no smooth of ``variable``.

    Examples
    --------
    With ``fit`` the motorcycle fit of the module's example:

    >>> curve = fit.smooth_curve("times", n_points=50)  # doctest: +SKIP
    >>> list(curve.columns)  # doctest: +SKIP
    ['times', 'mean', 'sd', 'eti89_lb', 'eti89_ub']
    """
    check_prob(prob)
    smooths = _smooths(fit, variable)
    x = fit.model.data[variable].to_numpy(dtype=float)
    at: dict[str, object] = {variable: list(np.linspace(x.min(), x.max(), n_points))}
    for s in smooths:
        if s.by is not None:
            at[s.by] = "levels"
    grid = datagrid(fit, **at)
    new = prediction_design(fit.design, fit.spec, grid).design
    design = dataclasses.replace(new, groups=tuple(g for g in new.groups if is_smooth_group(g)))
    eta = linear_predictor(fit.posterior, design).reshape(-1, len(grid))
    lo, hi = interval_columns(prob)
    out = grid.copy()
    out["mean"] = eta.mean(axis=0)
    out["sd"] = eta.std(axis=0)
    out[lo], out[hi] = np.quantile(eta, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return out


def plot_smooth(fit: FitLike, variable: str, *, prob: float = PROB, n_points: int = 100) -> Figure:
    """Draw the smooth of ``variable``: posterior mean and interval on the link scale.

    The curve is the linear predictor with the other fixed terms at reference values
    (numeric predictors at their means, factors at their most frequent levels) and the
    group effects at 0; one curve per level with ``s(x, by=g)``. The title says so.

    Parameters
    ----------
    variable
        The smoothed column, as in ``s(variable)``.
    prob
        The probability of the band (default 0.89).
    n_points
        Grid points over the fitted range of ``variable``.

    Returns
    -------
    matplotlib.figure.Figure
        Made without pyplot (nothing is shown).

    Raises
    ------
    SpecError
        If the model has no smooth of ``variable``.

    Examples
    --------
    With ``fit`` the motorcycle fit of the module's example:

    >>> fig = fit.plot_smooth("times")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    curve = smooth_curve(fit, variable, prob=prob, n_points=n_points)
    lo, hi = interval_columns(prob)
    by = [s.by for s in _smooths(fit, variable) if s.by is not None]
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    parts = curve.groupby(by, sort=False) if by else [((), curve)]
    for key, part in parts:
        label = ", ".join(f"{b} = {k}" for b, k in zip(by, key)) if by else None
        (line,) = ax.plot(part[variable], part["mean"], label=label)
        ax.fill_between(part[variable], part[lo], part[hi], color=line.get_color(), alpha=0.25)
    if by:
        ax.legend(title=None, frameon=False)
    ax.set_xlabel(variable)
    ax.set_ylabel(f"linear predictor ({fit.spec.link} link)")
    ax.set_title(
        f"{', '.join(s.name for s in _smooths(fit, variable))}: mean and {round(prob * 100)}% "
        "interval;\nother predictors at their means or most frequent levels, group effects 0",
        fontsize="medium",
    )
    return fig
