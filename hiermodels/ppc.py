"""Posterior predictive checks: the data the PPC plots read, and the plots.

The replicated data sets are drawn for the plot and not stored on the fit, so plotting
leaves ``fit.idata`` (and what :meth:`hiermodels.Fit.save` writes) unchanged. A fit that
already holds a ``posterior_predictive`` group (from :meth:`hiermodels.Fit.posterior_predictive`)
is plotted from that group.

Examples
--------
>>> import numpy as np
>>> observed, replicated, labels = level_means(
...     np.array([1.0, 0.0, 1.0, 1.0]), np.array([[[1, 1, 0, 1]]]), np.array([0, 0, 1, 1]),
...     levels=("a", "b"), trials=None)
>>> observed.tolist(), replicated[0, 0].tolist(), labels
([0.75, 0.5, 1.0], [0.75, 1.0, 0.5], ['all', 'a', 'b'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.errors import SpecError
from hiermodels.families import FAMILIES, get_family
from hiermodels.options import check_choice
from hiermodels.predict import replicated_draws

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["PPC_KINDS", "level_means", "plot_loo_pit", "plot_ppc", "ppc_tree"]

PPCKind = Literal["dist", "pit", "tstat", "rootogram", "groups", "calibration"]
PPC_KINDS: tuple[str, ...] = ("dist", "pit", "tstat", "rootogram", "groups", "calibration")
DISCRETE = ("binary", "bounded_count", "count", "ordinal")
COUNT = ("bounded_count", "count")
ALL_ROWS = "all"
#: Above this many levels the ``groups`` check shows positions, not level labels.
MAX_LABELLED_LEVELS = 40
#: What the lines of ``plot_ppc("dist")`` are, in its title (it draws no legend).
DIST_TITLE = "black: observed, blue: replicated data sets"


def ppc_tree(fit: FitLike, random_seed=None) -> xr.DataTree:
    """A copy of ``fit.idata`` with a ``posterior_predictive`` group, for the PPC plots.

    The fit's own ``posterior_predictive`` group is used if it has one; otherwise the
    replicated data are drawn here (``random_seed``) and only the returned tree holds
    them. Discrete responses are cast to integers, so ArviZ treats them as counts.
    """
    tree = fit.idata.copy()
    if "posterior_predictive" not in tree.children:
        da = replicated_draws(fit, random_seed)
        tree["posterior_predictive"] = xr.DataTree(xr.Dataset({da.name: da}))
    if get_family(fit.spec.family).support in DISCRETE:
        name = fit.design.response_name
        for group in ("observed_data", "posterior_predictive"):
            ds = tree[group].to_dataset()
            ds[name] = ds[name].astype(np.int64)
            tree[group] = xr.DataTree(ds)
    return tree


def level_means(
    observed: np.ndarray,
    replicated: np.ndarray,
    codes: np.ndarray | None,
    *,
    levels: tuple[str, ...],
    trials: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Mean response over all rows and per level, observed and in each replicated set.

    With ``trials`` (binomial) the mean is ``sum(y) / sum(trials)``, the proportion of
    successes; for a 0/1 response it is the proportion of 1s. ``codes`` (one level per
    row) may be None: then only the mean over all rows is returned.

    Returns
    -------
    observed, replicated, labels
        Shapes (1 + levels,) and (chain, draw, 1 + levels); the first entry is over all
        rows, labelled ``"all"`` (``"all rows"`` if a level is called "all").
    """
    n_levels = len(levels) if codes is not None else 0
    member = np.zeros((len(observed), 1 + n_levels))
    member[:, 0] = 1.0
    if codes is not None:
        member[np.arange(len(observed)), 1 + codes] = 1.0
    denominator = (trials if trials is not None else np.ones(len(observed))) @ member
    labels = [ALL_ROWS, *(levels if codes is not None else ())]
    if ALL_ROWS in labels[1:]:
        labels[0] = f"{ALL_ROWS} rows"
    return observed @ member / denominator, replicated @ member / denominator, labels


def _partition_factor(fit: FitLike, group: str | None):
    """The factor the ``groups`` check summarises by: ``group``, or the first factor
    whose levels partition the rows (None if the model has none)."""
    partitions = [g for g in fit.design.groups if g.codes.shape[1] == 1]
    if group is None:
        return partitions[0] if partitions else None
    g = fit.design.group(group)
    if g.codes.shape[1] != 1:
        raise SpecError(
            f"The rows of {g.name!r} belong to several levels at once, so they have no "
            f"per-level mean; factors with one level per row: {[p.name for p in partitions]}."
        )
    return g


def _groups_plot(fit: FitLike, tree: xr.DataTree, group: str | None, **kwargs):
    """Observed mean per level (and over all rows) against the replicated data's."""
    import arviz_plots as azp
    from arviz_base import rcParams
    from arviz_plots.visuals import backend_from_object

    from hiermodels.plots import arviz_layout

    design = fit.design
    name = design.response_name
    g = _partition_factor(fit, group)
    replicated = tree["posterior_predictive"][name].transpose(*naming.CHAIN_DRAW, ...)
    observed, draws, labels = level_means(
        tree["observed_data"][name].values.astype(float),
        replicated.values.astype(float),
        g.codes[:, 0] if g is not None else None,
        levels=g.levels if g is not None else (),
        trials=design.trials,
    )
    dim = naming.level_dim(g.name) if g is not None else "level"
    family = get_family(fit.spec.family)
    what = {
        "binary": f"{name}: proportion of 1s",
        "bounded_count": f"{name}: proportion of successes",
    }.get(family.support, f"mean of {name}")
    coords = {dim: labels}
    data = xr.DataTree.from_dict(
        {
            "observed_data": xr.Dataset({what: ((dim,), observed)}, coords=coords),
            "posterior_predictive": xr.Dataset(
                {what: ((*naming.CHAIN_DRAW, dim), draws)},
                coords={**coords, **{d: replicated[d].values for d in naming.CHAIN_DRAW}},
            ),
        }
    )
    where = f"level of {g.name}" if g is not None else "the model has no grouping factor"
    low, high = sorted(kwargs.get("ci_probs") or (0.5, rcParams["stats.ci_prob"]))
    visuals = dict(kwargs.pop("visuals", None) or {})
    visuals.setdefault("xlabel", {"text": f"all rows, then each {where}"})
    visuals.setdefault(
        "title", {"text": f"black: observed, blue: replicated, {low:.0%}/{high:.0%} intervals"}
    )
    if "plot_collection" not in kwargs:
        width = float(np.clip(2.5 + 0.3 * len(labels), 7.0, 16.0))
        kwargs["figure_kwargs"] = {"figsize": (width, 3.6), **kwargs.get("figure_kwargs", {})}
    pc = azp.plot_ppc_interval(data, visuals=visuals, **arviz_layout(kwargs))
    if len(labels) <= MAX_LABELLED_LEVELS:

        def ticks(da, target, **_):
            rotation = 90 if any(len(t) > 4 for t in labels[1:]) else 0
            return backend_from_object(target).xticks(
                np.arange(len(labels)), labels, target, rotation=rotation
            )

        pc.map(
            ticks,
            "level_ticks",
            data=data["observed_data"].to_dataset(),
            ignore_aes="all",
            store_artist=False,
        )
    return pc


def plot_ppc(
    fit: FitLike,
    kind: PPCKind | None = None,
    *,
    dist_kind: Literal["kde", "hist", "ecdf"] | None = None,
    group: str | None = None,
    random_seed: int | None = None,
    **kwargs,
):
    """Posterior predictive check: replicated data against the observed data.

    Uses the fit's ``posterior_predictive`` group if it has one (see
    :meth:`hiermodels.Fit.posterior_predictive` with ``store=True``); otherwise draws
    replicated data for the plot only, so ``fit.idata`` is left unchanged.

    Parameters
    ----------
    kind
        ``"dist"`` (densities, arviz-plots ``plot_ppc_dist``), ``"pit"`` (PIT ECDF,
        ``plot_ppc_pit``), ``"tstat"`` (a test statistic, ``plot_ppc_tstat``),
        ``"rootogram"`` (``plot_ppc_rootogram``, count families only), ``"groups"``
        (the mean response over all rows and per level of a grouping factor, observed
        against the replicated data's intervals, ``plot_ppc_interval``; for a 0/1
        response the proportion of 1s) or ``"calibration"`` (PAV-adjusted
        calibration, ``plot_ppc_pava``, 0/1 responses only). Default: ``"groups"``
        for a 0/1 response (its densities and ECDFs show only two values), else
        ``"dist"``.
    dist_kind
        For ``kind="dist"``: ``"kde"``, ``"hist"`` or ``"ecdf"``; default ``"ecdf"``
        for discrete responses, else ArviZ's default.
    group
        For ``kind="groups"``: the grouping factor; default the model's first factor
        whose levels partition the rows. Up to 40 levels are labelled on the axis.
    random_seed
        Seed for the posterior predictive draws, if they are drawn here.
    **kwargs
        Passed to the arviz-plots function.

    Returns
    -------
    PlotCollection
        Save it with ``pc.savefig(path)``; nothing is shown.

    Examples
    --------
    >>> pc = fit.plot_ppc("pit", random_seed=1)
    >>> pc.savefig("ppc_pit.png")
    >>> "posterior_predictive" in fit.idata.children
    False
    """
    import arviz_plots as azp

    from hiermodels.plots import arviz_layout

    family = get_family(fit.spec.family)
    if kind is None:
        kind = "groups" if family.support == "binary" else "dist"
    check_choice("kind", kind, PPC_KINDS)
    if kind == "rootogram" and family.support not in COUNT:
        counts = sorted(n for n, f in FAMILIES.items() if f.support in COUNT)
        raise SpecError(
            f"A rootogram needs a count response; this model's family is "
            f"{family.name!r}. Families with counts: {counts}. Use kind='dist' or 'pit'."
        )
    if kind == "calibration" and family.support != "binary":
        binary = sorted(n for n, f in FAMILIES.items() if f.support == "binary")
        raise SpecError(
            f"A calibration plot needs a 0/1 response; this model's family is "
            f"{family.name!r}. Families with a 0/1 response: {binary}. Use kind='pit'."
        )
    if dist_kind is not None:
        if kind != "dist":
            raise SpecError(f"dist_kind applies only to kind='dist', not kind={kind!r}.")
        check_choice("dist_kind", dist_kind, ("kde", "hist", "ecdf"))
    if group is not None and kind != "groups":
        raise SpecError(f"group applies only to kind='groups', not kind={kind!r}.")
    tree = ppc_tree(fit, random_seed)
    if kind == "groups":
        return _groups_plot(fit, tree, group, **kwargs)
    kwargs = arviz_layout(kwargs)
    if kind == "dist":
        if dist_kind is None and family.support in DISCRETE:
            dist_kind = "ecdf"
        if dist_kind is not None:
            kwargs["kind"] = dist_kind
        # the title says which line is which (arviz-plots draws no legend): "Reaction
        # (black: observed, blue: replicated data sets)", unless the caller restyles them
        visuals = dict(kwargs.get("visuals") or {})
        title = visuals.get("title", True)
        restyled = {"predictive_dist", "observed_dist"} & set(visuals)
        if title is not False and not restyled:
            visuals["title"] = {"text": DIST_TITLE, **(title if isinstance(title, dict) else {})}
            kwargs["visuals"] = visuals
        return azp.plot_ppc_dist(tree, **kwargs)
    plot = {
        "pit": azp.plot_ppc_pit,
        "tstat": azp.plot_ppc_tstat,
        "rootogram": azp.plot_ppc_rootogram,
        "calibration": azp.plot_ppc_pava,
    }[kind]
    return plot(tree, **kwargs)


def plot_loo_pit(fit: FitLike, *, random_seed: int | None = None, **kwargs):
    """LOO-PIT check (arviz-plots ``plot_loo_pit``): calibration of leave-one-out
    predictive distributions. Draws replicated data for the plot if the fit has
    none (``fit.idata`` is left unchanged).

    Returns the PlotCollection; nothing is shown.

    Examples
    --------
    >>> fit.plot_loo_pit(random_seed=1).savefig("loo_pit.png")
    """
    from arviz_plots import plot_loo_pit as azp_plot_loo_pit

    from hiermodels.plots import arviz_layout

    return azp_plot_loo_pit(ppc_tree(fit, random_seed), **arviz_layout(kwargs))
