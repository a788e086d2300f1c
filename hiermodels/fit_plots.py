"""The figures of one fit: trace, rank and group-effect plots, with the names users see.

:class:`hiermodels.Fit` calls these; they read the fit through its ``idata``,
``design``, ``spec`` and ``posterior`` only. arviz-plots and matplotlib are imported
when a figure is drawn, so that ``import hiermodels`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hiermodels import naming
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.row_terms import family_parameters
from hiermodels.options import PROB, check_prob

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from hiermodels.protocols import FitLike

__all__ = ["display_names", "group_effects_figure", "plot_rank", "plot_trace"]


def display_names(fit: FitLike) -> dict[str, str]:
    """Stored variable name -> the name shown to users (factors as written)."""
    return naming.display_names(g.name for g in fit.design.groups)


def _labeller(fit: FitLike, kwargs: dict):
    from arviz_base.labels import MapLabeller

    return kwargs.get("labeller") or MapLabeller(var_name_map=display_names(fit))


def _plot_kwargs(fit: FitLike, kwargs: dict) -> dict:
    """Defaults for the arviz-plots calls: display names and a layout without overlaps."""
    from hiermodels.plots import arviz_layout

    return arviz_layout({**kwargs, "labeller": _labeller(fit, kwargs)})


def _plot_vars(fit: FitLike, var_names):
    if var_names is not None:
        return var_names
    names = [naming.INTERCEPT, naming.SLOPES]
    names += [naming.sd_name(g.name) for g in fit.design.groups]
    names += list(family_parameters(get_family(fit.spec.family), fit.design.row_terms))
    return [n for n in names if n in fit.posterior]


def plot_trace(fit: FitLike, var_names=None, **kwargs):
    """Trace plot (arviz-plots ``plot_trace_dist``); returns the PlotCollection.

    Variables with several terms (``b``, ``sd_<factor>``) share a panel, one colour
    per term; the legend names them (``sd_Subject[Days]``).

    Examples
    --------
    >>> pc = fit.plot_trace(["b", "sigma"])
    >>> pc.savefig("trace.png")
    """
    from arviz_plots import plot_trace_dist

    pc = plot_trace_dist(
        fit.idata, var_names=_plot_vars(fit, var_names), **_plot_kwargs(fit, kwargs)
    )
    color = pc.aes.children.get("color")
    if color is not None and "mapping" not in color.data_vars:
        # colours mapped to the variables and their terms (compact=True): name them
        dims = ["__variable__", *color.dims]
        pc.add_legend(dims, title="parameter", labeller=_labeller(fit, kwargs))
    return pc


def plot_rank(fit: FitLike, var_names=None, **kwargs):
    """Rank plot (arviz-plots ``plot_rank``); returns the PlotCollection.

    Raises
    ------
    SpecError
        For a fit with one chain: the plot compares the chains' ranks.

    Examples
    --------
    >>> fit.plot_rank(["sigma"]).savefig("rank.png")
    """
    from arviz_plots import plot_rank as arviz_plot_rank

    chains = fit.idata["posterior"].sizes["chain"]
    if chains < 2:
        raise SpecError(
            f"A rank plot compares chains, and this fit has {chains}; fit with chains=2 "
            "or more (4 recommended), or use plot_trace()."
        )

    return arviz_plot_rank(
        fit.idata, var_names=_plot_vars(fit, var_names), **_plot_kwargs(fit, kwargs)
    )


def group_effects_figure(
    fit: FitLike, group: str, *, term: str = naming.INTERCEPT, prob: float = PROB
) -> Figure:
    """Caterpillar plot of one factor's group effects, sorted by posterior mean.

    Each level's posterior mean with its ETI; levels whose interval excludes zero
    are highlighted. Returns the matplotlib Figure (never shown).

    Examples
    --------
    >>> fig = fit.plot_group_effects("Subject")
    >>> fig.savefig("subject.png")
    """
    from hiermodels.plots import plot_group_effects

    g = fit.design.group(group)
    if term not in g.terms:
        raise SpecError(
            f"Unknown term {term!r} for the factor {g.name!r}; its varying terms are "
            f"{list(g.terms)}."
        )
    effects = fit.group_effects(g.name, prob=check_prob(prob)).xs(term, level="term")
    return plot_group_effects(effects, group=g.name, term=term, prob=prob)
