"""The tables of a fit: fixed effects, variance components, group effects (lme4's layout).

Functions of a fit (see :mod:`hiermodels.protocols`); :class:`hiermodels.Fit`
is the facade that calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.diagnostics import check_prob, describe_draws
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.options import PROB

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = [
    "family_parameters_table",
    "fixed_effects_table",
    "group_coefficients_table",
    "group_effects_table",
    "posterior_draws",
    "variance_components_table",
]


def fixed_effects_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """See :meth:`hiermodels.Fit.fixed_effects`.

    For a family with thresholds (ordinal) they come first, named ``Intercept[1]``, ...
    like brms.
    """
    frames = []
    if get_family(fit.spec.family).thresholds:
        thresholds = fit.posterior[naming.INTERCEPT]
        names = naming.threshold_names(thresholds.sizes[naming.THRESHOLD_DIM])
        for k, name in enumerate(names):
            da = thresholds.isel({naming.THRESHOLD_DIM: k}, drop=True)
            frame = describe_draws(da, prob=prob)
            frame.index = [name]
            frames.append(frame)
    for name in fit.design.fixed.names:
        if name == naming.INTERCEPT:
            da = fit.posterior[naming.INTERCEPT]
        else:
            da = fit.posterior[naming.SLOPES].sel({naming.FIXED_DIM: name}, drop=True)
        frame = describe_draws(da, prob=prob)
        frame.index = [name]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["mean", "sd"])
    out = pd.concat(frames)
    out.index.name = "term"
    return out


def variance_components_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """See :meth:`hiermodels.Fit.variance_components`."""
    rows = []
    post = fit.posterior
    for g in fit.design.groups:
        sd = post[naming.sd_name(g.name)]
        for term in g.terms:
            da = sd.sel({naming.term_dim(g.name): term}, drop=True)
            rows.append(("sd", g.name, term, da))
        if g.correlated:
            cor = post[naming.cor_name(g.name)]
            for block in g.blocks:
                for a_i, a in enumerate(block):
                    for b in block[a_i + 1 :]:
                        ta, tb = g.terms[a], g.terms[b]
                        da = cor.sel(
                            {naming.term_dim(g.name): ta, naming.term_dim_bis(g.name): tb},
                            drop=True,
                        )
                        rows.append(("cor", g.name, f"{ta}:{tb}", da))
    if naming.SIGMA in get_family(fit.spec.family).parameters:
        rows.append(("sd", "Residual", "", post[naming.SIGMA]))
    frames = []
    for kind, group, term, da in rows:
        frame = describe_draws(da, prob=prob).reset_index(drop=True)
        frame.insert(0, "kind", kind)
        frame.insert(0, "term", term)
        frame.insert(0, "group", group)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def family_parameters_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """See :meth:`hiermodels.Fit.family_parameters`."""
    check_prob(prob)
    names = [
        p
        for p in get_family(fit.spec.family).parameters
        if p != naming.SIGMA and p in fit.posterior
    ]
    frames = [describe_draws(fit.posterior[name], prob=prob) for name in names]
    p = round(prob * 100)
    columns = ["mean", "sd", f"eti{p}_lb", f"eti{p}_ub", "ess_bulk", "ess_tail", "r_hat"]
    columns.append("mcse_mean")
    out = pd.concat(frames) if frames else pd.DataFrame(columns=columns, dtype=float)
    out.index.name = "parameter"
    return out


def group_effects_table(fit: FitLike, group: str, *, prob: float = PROB) -> pd.DataFrame:
    """See :meth:`hiermodels.Fit.group_effects`."""
    g = fit.design.group(group)
    da = fit.posterior[naming.effects_name(g.name)]
    frame = describe_draws(da, prob=prob)
    frame.index = frame.index.set_names(["level", "term"])
    return frame


def group_coefficients_table(fit: FitLike, group: str, *, prob: float = PROB) -> pd.DataFrame:
    """See :meth:`hiermodels.Fit.group_coefficients`.

    For a family with thresholds (ordinal) each level's thresholds come first, named
    ``Intercept[k]``: ``c_k - r`` with ``r`` the level's varying intercept, since
    ``P(y <= k) = F(c_k - eta)`` (the population thresholds without one).
    """
    g = fit.design.group(group)
    post = fit.posterior
    effects = post[naming.effects_name(g.name)]
    term_dim = naming.term_dim(g.name)
    names = list(fit.design.fixed.names) + [t for t in g.terms if t not in fit.design.fixed.names]
    parts = []
    if get_family(fit.spec.family).thresholds:
        cuts = post[naming.INTERCEPT]
        varying = naming.INTERCEPT in g.terms
        shift = effects.sel({term_dim: naming.INTERCEPT}, drop=True) if varying else 0.0
        for k, name in enumerate(naming.threshold_names(cuts.sizes[naming.THRESHOLD_DIM])):
            total = cuts.isel({naming.THRESHOLD_DIM: k}, drop=True) - shift
            if not varying:
                total = total.expand_dims({naming.level_dim(g.name): list(g.levels)})
            parts.append(total.expand_dims(term=[name]))
        names = [t for t in names if t != naming.INTERCEPT]
    for term in names:
        if term == naming.INTERCEPT:
            fixed = post[naming.INTERCEPT]
        elif term in fit.design.fixed.names:
            fixed = post[naming.SLOPES].sel({naming.FIXED_DIM: term}, drop=True)
        else:
            fixed = xr.zeros_like(
                post[naming.effects_name(g.name)].isel(
                    {naming.level_dim(g.name): 0, term_dim: 0}, drop=True
                )
            )
        if term in g.terms:
            total = fixed + effects.sel({term_dim: term}, drop=True)
        else:
            total = fixed.expand_dims({naming.level_dim(g.name): list(g.levels)})
        parts.append(total.expand_dims(term=[term]))
    da = xr.concat(parts, dim="term").transpose("chain", "draw", naming.level_dim(g.name), "term")
    da.name = "coefficient"
    frame = describe_draws(da, prob=prob)
    frame.index = frame.index.set_names(["level", "term"])
    return frame


def posterior_draws(posterior: xr.Dataset, name: str):
    """Draws of one posterior variable flattened over chains (see :meth:`hiermodels.Fit.draws`)."""
    names = sorted(map(str, posterior.data_vars))
    if name not in names:
        import difflib

        close = difflib.get_close_matches(str(name), names, n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise SpecError(f"Unknown posterior variable {name!r}.{hint} The posterior holds {names}.")
    da = posterior[name]
    return da.values.reshape(-1, *da.shape[2:])
