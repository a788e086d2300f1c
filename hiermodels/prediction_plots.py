"""Conditional-effects figures: the expected response against one predictor, with its
band, overall, per level of a factor, or one fitted line per group next to its data.

The numbers come from :func:`hiermodels.analysis.interpret.predictions` on a
:func:`~hiermodels.analysis.interpret.datagrid` (the other predictors at their means or
most frequent levels); the band is the equal-tailed interval of the expected response.
Figures are made without pyplot (nothing is shown); see :meth:`hiermodels.Fit.plot_predictions`.

Examples
--------
>>> overlay = ["population", "no_pooling"]
>>> fig = fit.plot_predictions("Days", by="Subject", overlay=overlay)  # doctest: +SKIP
>>> fig.savefig("subjects.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.analysis.interpret.grids import column_kinds, datagrid, factor_levels
from hiermodels.analysis.interpret.lines import line_fit
from hiermodels.analysis.interpret.predicted import predictions
from hiermodels.errors import SpecError
from hiermodels.families.links import inverse_link
from hiermodels.options import PROB, check_prob, interval_columns
from hiermodels.plots import COLORS, LABELS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from hiermodels.protocols import FitLike

__all__ = ["plot_predictions"]

Overlay = Literal["population", "no_pooling", "complete_pooling"]
OVERLAYS: tuple[str, ...] = ("population", "no_pooling", "complete_pooling")
#: Most panels drawn (one per group) before ``levels=`` must choose.
MAX_PANELS = 36


def _observed(fit: FitLike) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    design = fit.design
    trials = design.trials
    y = design.y / trials if trials is not None else design.y
    return fit.model.data.reset_index(drop=True), np.asarray(y, dtype=float), trials


def _x_grid(fit: FitLike, variable: str, kind: str, n_points: int) -> list:
    series = fit.model.data[variable]
    if kind == "numeric":
        return np.linspace(float(series.min()), float(series.max()), n_points).tolist()
    return factor_levels(series)


def _panel_levels(fit: FitLike, by: str, levels) -> list:
    known = factor_levels(fit.model.data[by])
    if levels is None:
        if len(known) > MAX_PANELS:
            raise SpecError(
                f"{by!r} has {len(known)} levels; choose up to {MAX_PANELS} with levels=[...] "
                f"(e.g. {known[:4]})."
            )
        return known
    chosen = [levels] if isinstance(levels, str) else list(levels)
    unknown = [v for v in chosen if v not in known]
    if unknown or not chosen:
        raise SpecError(f"Unknown level(s) {unknown} of {by!r}; its levels are {known}.")
    return chosen


#: Width over which the estimates of one factor level are spread, one per colour (a dodge).
DODGE = 0.5
#: Above the data points (3): the estimates are what the figure is about.
ESTIMATE_Z = 4


def _draw(ax, x, frame: pd.DataFrame, prob: float, *, numeric: bool, color, label, band=True,
          shift=0.0):  # fmt: skip
    lb, ub = interval_columns(prob)
    if numeric:
        ax.plot(x, frame["estimate"], color=color, lw=1.8, label=label, zorder=ESTIMATE_Z)
        if band:
            ax.fill_between(x, frame[lb], frame[ub], color=color, alpha=0.2, lw=0)
    else:
        pos = np.arange(len(x))
        err = [frame["estimate"] - frame[lb], frame[ub] - frame["estimate"]]
        ax.errorbar(pos + shift, frame["estimate"], yerr=err, fmt="o", color=color, capsize=3,
                    label=label, zorder=ESTIMATE_Z)  # fmt: skip
        ax.set_xticks(pos, [str(v) for v in x])
        ax.set_xlim(-0.5, len(x) - 0.5)


def _shifts(n: int) -> np.ndarray:
    """Offsets of ``n`` estimates at one factor level, so that their bars do not hide
    each other (the categories of an ordinal response, the levels of ``by``)."""
    if n == 1:
        return np.zeros(1)
    return np.linspace(-DODGE / 2, DODGE / 2, n)


def _overlay_lines(fit, variable, by, xs, overlay, data, y, trials, panels):
    """``{panel: [(x, y, style, label), ...]}`` for the pooling overlays."""
    out: dict = {p: [] for p in panels}
    x_all = data[variable].to_numpy(dtype=float)
    grid = np.asarray(xs, dtype=float)
    family, link = fit.spec.family, fit.spec.link
    if "population" in overlay:
        pop = predictions(fit, datagrid(fit, **{variable: xs}), re="exclude").to_frame()
        for p in panels:
            out[p].append((grid, pop["estimate"].to_numpy(), "population"))
    if "complete_pooling" in overlay:
        a, b = line_fit(x_all, y, family=family, link=link, trials=trials)
        for p in panels:
            out[p].append((grid, inverse_link(link, a + b * grid), "complete"))
    if "no_pooling" in overlay and by is not None:
        for p in panels:
            rows = (data[by] == p).to_numpy()
            sub_trials = None if trials is None else trials[rows]
            a, b = line_fit(x_all[rows], y[rows], family=family, link=link, trials=sub_trials)
            out[p].append((grid, inverse_link(link, a + b * grid), "none"))
    return out


STYLES = {
    "population": dict(color="black", ls="--", lw=1.4, label="population (fixed effects)"),
    "complete": dict(color=COLORS["complete"], ls=":", lw=1.6, label=LABELS["complete"]),
    "none": dict(color=COLORS["none"], ls="-.", lw=1.4, label=LABELS["none"]),
}


def plot_predictions(
    fit: FitLike,
    variable: str,
    *,
    by: str | None = None,
    re: Literal["include", "exclude", "new"] | None = None,
    overlay: Sequence[Overlay] = (),
    levels: Sequence | None = None,
    facet: bool = True,
    points: bool = True,
    prob: float = PROB,
    n_points: int = 50,
    random_seed: int | None = None,
) -> Figure:
    """Expected response against ``variable``, with its equal-tailed band (brms'
    ``conditional_effects``; marginaleffects' ``plot_predictions``).

    Parameters
    ----------
    variable
        A predictor: numeric (a line over its observed range) or a factor (a point with
        an error bar per level).
    by
        ``None``: one line. A factor (or numeric, at its quartiles): one line per value,
        coloured. A grouping factor: one panel per group with its fitted line and its
        data (``facet=False``: every group's line on one panel, "fitted lines per
        subject").
    re
        How group effects enter (see :mod:`hiermodels.analysis.interpret.predicted`);
        default ``"include"`` with ``by`` a grouping factor, else ``"exclude"``.
    overlay
        Lines added to each panel: ``"population"`` (the fixed-effects line,
        ``re="exclude"``), ``"no_pooling"`` (a GLM of the response on ``variable`` fitted
        to each group alone) and ``"complete_pooling"`` (one GLM through all rows, the
        "traditional regression"); quasi-Poisson for zero-inflated and hurdle counts (see
        :mod:`hiermodels.analysis.interpret.lines`). Numeric ``variable`` only.
    levels
        The groups to draw (default all; at most 36 panels).
    facet
        With ``by`` a grouping factor: one panel per group (default) or one panel.
    points
        Draw the observed data (the proportion of trials for binomial rows).
    prob
        Probability of the band (default ``hiermodels.options.PROB``).
    n_points
        Points along a numeric ``variable``.
    random_seed
        Seed of new groups' draws (``re="new"``).

    Returns
    -------
    matplotlib.figure.Figure
        Never shown; ``fig.savefig(path)``.

    Raises
    ------
    SpecError
        For an unknown predictor, ``by``, overlay or group level, pooling lines for a
        factor, or more than 36 groups without ``levels``.

    Examples
    --------
    >>> fig = fit.plot_predictions("Days", by="Subject")  # a line per subject beside its data
    >>> len([ax for ax in fig.axes if ax.get_visible()])
    18
    """
    from matplotlib.figure import Figure

    prob = check_prob(prob)
    kinds = column_kinds(fit)
    if variable not in kinds or kinds[variable] == "group":
        valid = [c for c, k in kinds.items() if k != "group"]
        raise SpecError(f"Unknown predictor {variable!r}; this model's predictors are {valid}.")
    if by is not None and (by not in kinds or by == variable):
        raise SpecError(f"Unknown by={by!r}; choose another of {list(kinds)}.")
    bad = [o for o in overlay if o not in OVERLAYS]
    if bad:
        raise SpecError(f"Unknown overlay {bad}; valid choices are {list(OVERLAYS)}.")
    numeric = kinds[variable] == "numeric"
    if overlay and not numeric:
        raise SpecError(f"Pooling lines need a numeric predictor; {variable!r} is a factor.")
    grouped = by is not None and kinds[by] == "group"
    re = re or ("include" if grouped else "exclude")
    xs = _x_grid(fit, variable, kinds[variable], n_points)
    by_values = None
    if by is not None:
        by_values = (
            _panel_levels(fit, by, levels)
            if kinds[by] != "numeric"
            else np.quantile(fit.model.data[by], [0.25, 0.5, 0.75]).tolist()
        )
    at = {variable: xs} if by is None else {by: by_values, variable: xs}
    grid = datagrid(fit, **at)
    est = predictions(fit, grid, re=re, random_seed=random_seed).to_frame(prob=prob)
    categories = "category" in est.columns
    data, y, trials = _observed(fit)
    panels = by_values if (grouped and facet) or (categories and by is not None) else [None]
    ncols = math.ceil(math.sqrt(len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    size = (7.0, 4.6) if len(panels) == 1 else (min(3.0 * ncols + 1.5, 16), 2.6 * nrows + 1.0)
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    colour_key = "category" if categories else (None if panels != [None] else by)
    keys = [None] if colour_key is None else list(dict.fromkeys(est[colour_key]))
    palette = _palette(len(keys))
    lines = _overlay_lines(
        fit, variable, by, xs, overlay, data, y, trials, panels
    ) if overlay else {}  # fmt: skip
    for ax, panel in zip(axes, panels, strict=False):
        in_panel = est if panel is None else est[est[by] == panel]
        for key, color, shift in zip(keys, palette, _shifts(len(keys)), strict=True):
            part = in_panel if key is None else in_panel[in_panel[colour_key] == key]
            if key is None:
                label = "multilevel fit (partial pooling)" if grouped else None
            else:
                label = f"{colour_key} {key}" if len(keys) <= 10 else None
            _draw(ax, xs, part, prob, numeric=numeric, color=color, label=label,
                  band=facet or not grouped, shift=shift)  # fmt: skip
        if points and not categories:
            rows = np.ones(len(data), bool) if panel is None else (data[by] == panel).to_numpy()
            xv = data.loc[rows, variable]
            if not numeric:  # level positions (beside their colour's estimate), spread a little
                half = 0.15 if len(keys) == 1 else DODGE / (2 * len(keys))
                spread = np.random.default_rng(0).uniform(-half, half, len(xv))
                if colour_key is not None:  # by a factor: each colour at its dodged place
                    where = dict(zip(keys, _shifts(len(keys)), strict=True))
                    spread += data.loc[rows, by].map(where).fillna(0.0).to_numpy(dtype=float)
                xv = xv.map({v: i for i, v in enumerate(xs)}).astype(float) + spread
            col = "0.3" if colour_key is None else None
            if col is None:
                mapping = dict(zip(keys, palette, strict=True))
                col = [mapping.get(v, "0.3") for v in data.loc[rows, by]]
            ax.scatter(xv, y[rows], s=10, c=col, alpha=0.55, lw=0, zorder=3)
        for xg, yg, style in lines.get(panel, []):
            ax.plot(xg, yg, **{k: v for k, v in STYLES[style].items()})
        if panel is not None:
            ax.set_title(f"{by} {panel}", fontsize=9)
    for k, ax in enumerate(axes[: len(panels)]):
        if k + ncols >= len(panels):  # the lowest panel of its column
            ax.set_xlabel(variable)
            ax.xaxis.set_tick_params(labelbottom=True)
    axes[0].set_ylabel(f"P({fit.design.response_name} = category)" if categories else _ylabel(fit))
    handles, labels = [], []
    for ax in axes[: len(panels)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
                   fontsize=8, frameon=False)  # fmt: skip
    fig.suptitle(_title(fit, variable, by, re, prob), fontsize=10 if len(panels) > 1 else 9)
    return fig


def _palette(n: int) -> list:
    from matplotlib import colormaps

    if n == 1:
        return ["#1b6fb5"]
    cmap = colormaps["tab10" if n <= 10 else "turbo"]
    return [cmap(i if n <= 10 else i / max(n - 1, 1)) for i in range(n)]


def _ylabel(fit: FitLike) -> str:
    name = fit.design.response_name
    if fit.design.trials is not None:
        return f"{name} (proportion of trials)"
    return name


def _title(fit: FitLike, variable: str, by, re: str, prob: float) -> str:
    what = {"include": "groups' own effects", "exclude": "population level",
            "new": "a new group"}[re]  # fmt: skip
    per = "" if by is None else f" by {by}"
    band = f"{round(prob * 100)}% band"
    return f"Expected {fit.design.response_name} against {variable}{per} ({what}; {band})"
