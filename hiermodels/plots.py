"""Figures of pooling and group effects, drawn with matplotlib.

Every function returns a :class:`matplotlib.figure.Figure` made without pyplot: nothing
is shown, nothing is left in pyplot's figure registry. In a notebook the returned figure
displays itself; elsewhere call ``fig.savefig(...)``.

Examples
--------
>>> import pandas as pd
>>> est = pd.DataFrame({"n": [1, 4, 30], "none": [2.0, 0.5, 1.4], "partial": [1.4, 0.9, 1.4],
...                     "complete": 1.3}, index=pd.Index(["a", "b", "c"], name="g"))
>>> fig = plot_shrinkage(est, group="g", term="Intercept")
>>> fig.axes[0].get_xscale()
'log'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from hiermodels.errors import SpecError
from hiermodels.options import PROB, interval_columns

__all__ = ["arviz_layout", "plot_group_effects", "plot_group_fits", "plot_shrinkage"]

COLORS = {"complete": "0.35", "none": "#d95f02", "partial": "#1b6fb5"}
LABELS = {"complete": "complete pooling", "none": "no pooling", "partial": "partial pooling"}


def arviz_layout(kwargs: dict) -> dict:
    """``kwargs`` for an arviz-plots call, with a constrained layout for matplotlib.

    Without it (ArviZ's own styles set it, matplotlib's default does not) panel titles
    overlap the tick labels of the panel above. A ``figure_kwargs`` of the caller wins.
    """
    kwargs = dict(kwargs)
    if kwargs.get("backend", "matplotlib") == "matplotlib" and "plot_collection" not in kwargs:
        kwargs["figure_kwargs"] = {"layout": "constrained", **kwargs.get("figure_kwargs", {})}
    return kwargs


def _jitter(n: int, width: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, size=n)


def plot_shrinkage(estimates: pd.DataFrame, *, group: str, term: str) -> Figure:
    """Arrows from each level's no-pooling to its partial-pooling estimate, against size.

    ``estimates`` is :meth:`hiermodels.PoolingComparison.estimates` (columns ``n``,
    ``none``, ``partial``, ``complete``). Group size is on a log axis, slightly jittered
    so that levels of the same size do not hide each other; the complete-pooling
    estimate is the dashed horizontal line.
    """
    fig = Figure(figsize=(8.5, 5.2), layout="constrained")
    ax = fig.add_subplot()
    n = estimates["n"].to_numpy(dtype=float)
    x = n * np.exp(_jitter(len(n), 0.09))
    none = estimates["none"].to_numpy(dtype=float)
    partial = estimates["partial"].to_numpy(dtype=float)
    complete = float(np.asarray(estimates["complete"])[0])
    for xi, a, b in zip(x, none, partial):
        if abs(b - a) > 1e-12:
            ax.annotate(
                "",
                xy=(xi, b),
                xytext=(xi, a),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "0.45",
                    "lw": 0.9,
                    "mutation_scale": 8,
                    "shrinkA": 2,
                    "shrinkB": 0,
                },
            )
    ax.scatter(x, none, s=22, facecolors="white", edgecolors=COLORS["none"], lw=1.2, zorder=3)
    ax.scatter(x, partial, s=16, color=COLORS["partial"], zorder=4)
    ax.axhline(complete, color=COLORS["complete"], ls="--", lw=1.4, zorder=1)
    handles = [
        Line2D([], [], ls="", marker="o", mfc="white", mec=COLORS["none"], label=LABELS["none"]),
        Line2D([], [], ls="", marker="o", color=COLORS["partial"], label=LABELS["partial"]),
        Line2D([], [], ls="--", color=COLORS["complete"], label=LABELS["complete"]),
    ]
    if "population" in estimates:
        population = float(np.asarray(estimates["population"])[0])
        ax.axhline(population, color=COLORS["partial"], ls=":", lw=1.4, zorder=1)
        handles.append(
            Line2D([], [], ls=":", color=COLORS["partial"], label="population mean (partial)")
        )
    _size_axis(ax, n, group)
    ax.set_ylabel(f"{term} estimate (posterior mean)")
    ax.set_title(
        f"Partial pooling shrinks the {term.lower()} of small {group} levels the most"
        if len(np.unique(n)) > 1
        else f"Partial pooling of the {term.lower()} of {group} levels of equal size",
        fontsize=11,
    )
    ax.legend(handles=handles, loc="best", frameon=False)
    ax.grid(True, which="major", alpha=0.25)
    return fig


def _size_axis(ax, n: np.ndarray, group: str) -> None:
    """The group-size axis: log scale with plain labels ("1", "10", "50").

    Minor ticks are unlabelled (matplotlib would label them "9.25×10⁰" on a range
    narrower than a decade); with few distinct sizes the ticks are the sizes. When every
    level has the same size the axis is linear with one tick: the sideways spread is
    only there to keep the points apart.
    """
    sizes = np.unique(n)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    if len(sizes) == 1:
        ax.set_xticks(sizes, [f"{sizes[0]:g}"])
        ax.set_xlabel(
            f"rows per level of {group}: all {sizes[0]:g} (spread sideways to keep the "
            "points apart)"
        )
        return
    ax.set_xscale("log")
    if len(sizes) <= 8:
        ax.set_xticks(sizes)
    else:
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"rows per level of {group} (log scale)")


def _default_levels(counts: pd.Series, k: int = 8) -> list[str]:
    """``k`` levels spread over the range of group sizes, smallest to largest."""
    ordered = counts.sort_values(kind="stable")
    if len(ordered) <= k:
        return list(ordered.index)
    picks = np.unique(np.round(np.linspace(0, len(ordered) - 1, k)).astype(int))
    return list(ordered.index[picks])


def _typical(series: pd.Series):
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return float(series.mean())
    return series.mode().iloc[0]


def plot_group_fits(
    comparison: PoolingComparison,  # noqa: F821 - a string: plots import no study
    *,
    groups: Sequence[str] | None = None,
    ncols: int = 4,
    prob: float = PROB,
) -> Figure:
    """Small multiples of the data per level with the three pooling fits.

    The response is drawn against the first predictor (the first slope if there are no
    predictors; a jittered strip if there is neither). Other predictors are held at
    their mean (numeric) or most frequent value (categorical). Lines are posterior means
    of the expected response; the band is the partial-pooling line's equal-tailed
    ``prob`` interval.
    """
    from hiermodels.design import prediction_design
    from hiermodels.families import get_family
    from hiermodels.linear_predictor import linear_predictor

    partial = comparison.fits["partial"]
    g = partial.design.group(comparison.group)
    data = partial.model.data
    counts = pd.Series(g.level_counts(), index=list(g.levels))
    if groups is None:
        levels = _default_levels(counts)
    else:
        levels = [groups] if isinstance(groups, str) else list(groups)
        unknown = [lv for lv in levels if lv not in counts.index]
        if unknown or not levels:
            raise SpecError(
                f"Unknown level(s) {unknown} of {comparison.group!r}; levels include "
                f"{list(counts.index[:10])}{' ...' if len(counts) > 10 else ''}."
            )
    if not isinstance(ncols, int) or ncols < 1:
        raise SpecError(f"ncols must be a positive integer, got {ncols!r}.")
    design = partial.design
    y = design.y / design.trials if design.trials is not None else design.y
    covariates = [
        *comparison.predictors,
        *(s for s in comparison.slopes if s not in comparison.predictors),
    ]
    xcol = covariates[0] if covariates else None
    numeric_x = xcol is not None and pd.api.types.is_numeric_dtype(data[xcol])
    if xcol is None:
        grid = np.array([0.0])
    elif numeric_x:
        values = data[xcol].to_numpy(dtype=float)
        uniq = np.unique(values)
        grid = uniq if len(uniq) <= 10 else np.linspace(values.min(), values.max(), 30)
    else:
        categories = list(pd.Categorical(data[xcol]).categories)
        grid = np.array(categories, dtype=object)
    # one frame: every chosen level x every grid point
    template = data.iloc[np.zeros(len(levels) * len(grid), dtype=int)].copy()
    template.index = pd.RangeIndex(len(template))
    for col in covariates[1:]:
        template[col] = _typical(data[col])
    if xcol is not None:
        template[xcol] = np.tile(grid, len(levels))
        if not numeric_x:
            template[xcol] = pd.Categorical(template[xcol], categories=list(grid))
    template[comparison.group] = pd.Categorical(
        np.repeat(levels, len(grid)), categories=data[comparison.group].cat.categories
    )
    lines, band = {}, None
    for name, fit in comparison.fits.items():
        new = prediction_design(fit.design, fit.spec, template)
        eta = linear_predictor(fit.posterior, new.design)
        family = get_family(fit.spec.family)
        mean = family.expected_value(
            fit.spec.link, eta=eta, aux=family.parameter_draws(fit.posterior), trials=None
        )
        lines[name] = mean.mean(axis=(0, 1)).reshape(len(levels), -1)
        if name == "partial":
            flat = mean.reshape(-1, mean.shape[-1])
            tail = (1 - prob) / 2
            band = np.quantile(flat, [tail, 1 - tail], axis=0).reshape(2, len(levels), -1)
    nrows = int(np.ceil(len(levels) / ncols))
    ncols = min(ncols, len(levels))
    fig = Figure(figsize=(2.7 * ncols + 0.4, 2.4 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    codes = g.codes[:, 0]
    level_index = {lv: i for i, lv in enumerate(g.levels)}
    if xcol is None:
        xpos_grid = np.array([-0.45, 0.45])
    elif numeric_x:
        xpos_grid = grid.astype(float)
    else:
        xpos_grid = np.arange(len(grid), dtype=float)
    for k, level in enumerate(levels):
        ax = axes.flat[k]
        rows = codes == level_index[level]
        if xcol is None:
            xs = _jitter(int(rows.sum()), 0.3, seed=k)
        elif numeric_x:
            xs = data[xcol].to_numpy(dtype=float)[rows]
            if len(np.unique(data[xcol])) <= 5:
                spread = np.ptp(xpos_grid) if len(xpos_grid) > 1 else 1.0
                xs = xs + _jitter(len(xs), 0.04 * spread, seed=k)
        else:
            position = {c: i for i, c in enumerate(grid)}
            xs = np.array([position[v] for v in data[xcol][rows]], dtype=float)
            xs = xs + _jitter(len(xs), 0.08, seed=k)
        ax.scatter(xs, y[rows], s=10, color="black", alpha=0.55, lw=0, zorder=3)
        low, high = band[0, k], band[1, k]
        if xcol is None:
            low, high = np.repeat(low, 2), np.repeat(high, 2)
        ax.fill_between(xpos_grid, low, high, color=COLORS["partial"], alpha=0.18, lw=0, zorder=1)
        for name in ("complete", "none", "partial"):
            values = lines[name][k]
            if xcol is None:
                values = np.repeat(values, 2)
            ax.plot(
                xpos_grid,
                values,
                color=COLORS[name],
                ls="--" if name == "complete" else "-",
                lw=1.6,
                zorder=2,
            )
        ax.set_title(f"{level} (n = {int(counts[level])})", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.25)
    for ax in list(axes.flat)[len(levels) :]:
        ax.set_visible(False)
    if xcol is None:
        for ax in axes[-1]:
            ax.set_xticks([])
    elif not numeric_x:
        for ax in axes[-1]:
            ax.set_xticks(xpos_grid, [str(c) for c in grid])
    elif len(grid) <= 10:
        for ax in axes[-1]:
            ax.set_xticks(xpos_grid)
    fig.supxlabel(xcol if xcol is not None else "", fontsize=10)
    fig.supylabel(comparison.response, fontsize=10)
    handles = [
        Line2D(
            [], [], color=COLORS[n], ls="--" if n == "complete" else "-", lw=1.6, label=LABELS[n]
        )
        for n in ("complete", "none", "partial")
    ]
    handles.append(
        Patch(color=COLORS["partial"], alpha=0.18, label=f"partial pooling, {prob:.0%} interval")
    )
    fig.legend(handles=handles, loc="outside upper center", ncols=4, frameon=False, fontsize=9)
    return fig


def plot_group_effects(
    effects: pd.DataFrame, *, group: str, term: str, prob: float = PROB
) -> Figure:
    """Caterpillar plot: each level's posterior mean and ETI, sorted by the mean.

    ``effects`` is one term of :meth:`hiermodels.Fit.group_effects` (indexed by level,
    with ``mean`` and the ETI columns for ``prob``). Levels whose interval lies above
    zero are red, below zero blue, the rest grey.
    """
    lb, ub = interval_columns(prob)
    frame = effects.sort_values("mean", kind="stable")
    n = len(frame)
    y = np.arange(n)
    above = (frame[lb] > 0).to_numpy()
    below = (frame[ub] < 0).to_numpy()
    colors = np.where(above, "#c0392b", np.where(below, "#1b6fb5", "0.6"))
    height = min(max(3.0, 0.16 * n + 1.6), 30.0)
    fig = Figure(figsize=(6.5, height), layout="constrained")
    ax = fig.add_subplot()
    ax.axvline(0.0, color="black", lw=0.8, zorder=1)
    ax.hlines(y, frame[lb], frame[ub], colors=colors, lw=1.4, zorder=2)
    ax.scatter(frame["mean"], y, c=colors, s=14, zorder=3)
    ax.set_ylim(-1, n)
    if n <= 120:
        ax.set_yticks(y, [str(v) for v in frame.index], fontsize=8 if n <= 40 else 6)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{n} levels, sorted by posterior mean")
    ax.set_xlabel(f"{term} deviation of each {group} level (posterior mean, {prob:.0%} ETI)")
    k_above, k_below = int(above.sum()), int(below.sum())
    ax.set_title(
        f"{group}: {k_above + k_below} of {n} levels have an interval excluding 0", fontsize=11
    )
    handles = [
        Line2D([], [], color="#c0392b", marker="o", label=f"above 0 ({k_above})"),
        Line2D([], [], color="#1b6fb5", marker="o", label=f"below 0 ({k_below})"),
        Line2D([], [], color="0.6", marker="o", label=f"includes 0 ({n - k_above - k_below})"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    ax.grid(True, axis="x", alpha=0.25)
    return fig
