"""The scalar parameters SBC ranks, and how to read their draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hiermodels import naming
from hiermodels.design.distributional import constant_parameters
from hiermodels.families import get_family

__all__ = ["Parameter", "parameter_label", "tracked_parameters"]


@dataclass(frozen=True)
class Parameter:
    """One scalar parameter: its label, its variable and its coordinates there."""

    label: str
    variable: str
    selection: tuple[tuple[str, str], ...] = ()

    def values(self, dataset) -> np.ndarray:
        """Its draws in ``dataset`` (a posterior or prior Dataset): (chain, draw)."""
        da = dataset[self.variable]
        if self.selection:
            da = da.sel(dict(self.selection))
        return np.asarray(da.values, dtype=float)


def parameter_label(variable: str, coords: Sequence[str]) -> str:
    return f"{variable}[{','.join(coords)}]" if coords else variable


def tracked_parameters(model, n_group_levels: int = 2) -> list[Parameter]:
    """The user-facing scalar parameters SBC ranks, in table order.

    The intercept, each slope (``b[x]``), the family's parameters (``sigma``, ...), and
    per grouping factor each SD (``sd_g[x]``), each correlation below the diagonal
    (``cor_g[x,Intercept]``) and the effects of the first ``n_group_levels`` levels
    (``r_g[level,term]``).

    Examples
    --------
    >>> import hiermodels as hm
    >>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    >>> labels = [p.label for p in tracked_parameters(model, n_group_levels=1)]
    >>> labels[:4]
    ['Intercept', 'b[Days]', 'sigma', 'sd_Subject[Intercept]']
    >>> labels[4:6]
    ['sd_Subject[Days]', 'cor_Subject[Days,Intercept]']
    >>> labels[6:]
    ['r_Subject[308,Intercept]', 'r_Subject[308,Days]']
    """
    design = model.design
    names = model.pymc_model.named_vars
    out: list[Parameter] = []
    if design.fixed.has_intercept:
        out.append(Parameter(naming.INTERCEPT, naming.INTERCEPT))
    for term in design.fixed.names:
        if term != naming.INTERCEPT:
            sel = ((naming.FIXED_DIM, term),)
            out.append(Parameter(parameter_label(naming.SLOPES, [term]), naming.SLOPES, sel))
    for param in constant_parameters(get_family(model.family), design):
        out.append(Parameter(param, param))
    for g in design.groups:
        term_dim = naming.term_dim(g.name)
        sd = naming.sd_name(g.name)
        for term in g.terms:
            out.append(Parameter(parameter_label(sd, [term]), sd, ((term_dim, term),)))
        cor = naming.cor_name(g.name)
        if cor in names:
            bis = naming.term_dim_bis(g.name)
            for i, a in enumerate(g.terms):
                for b in g.terms[:i]:
                    if any(i in block and g.terms.index(b) in block for block in g.blocks):
                        sel = ((term_dim, a), (bis, b))
                        out.append(Parameter(parameter_label(cor, [a, b]), cor, sel))
        effects = naming.effects_name(g.name)
        level_dim = naming.level_dim(g.name)
        for level in g.levels[:n_group_levels]:
            for term in g.terms:
                sel = ((level_dim, level), (term_dim, term))
                out.append(Parameter(parameter_label(effects, [level, term]), effects, sel))
    return out
