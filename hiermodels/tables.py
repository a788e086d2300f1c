"""The tables of a fit: fixed effects, variance components, group effects (lme4's layout).

Functions of a fit (see :mod:`hiermodels.protocols`); :class:`hiermodels.Fit`
is the facade that calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.design.distributional import constant_parameters
from hiermodels.design.smooths import is_smooth_group
from hiermodels.diagnostics import describe_draws
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.row_terms import family_parameters
from hiermodels.options import PROB, check_prob, interval_columns

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
    """Fixed effects, indexed by the design's term names ("Intercept", "sex[M]", ...).

    Columns: ``mean``, ``sd``, the ETI bounds (``eti89_lb``, ``eti89_ub``),
    ``ess_bulk``, ``ess_tail``, ``r_hat`` and ``mcse_mean``. For a family with
    thresholds (ordinal) they come first, named ``Intercept[1]``, ... like brms.

    Examples
    --------
    >>> fit.fixed_effects().index.tolist()
    ['Intercept', 'Days']
    >>> fit.fixed_effects(prob=0.95).columns.tolist()[:4]
    ['mean', 'sd', 'eti95_lb', 'eti95_ub']
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
    """Standard deviations and correlations of the group effects, and the residual SD.

    One row per SD or correlation, with columns ``group``, ``term``, ``kind``
    ("sd" or "cor"; "sds" for the SD of a smooth ``s(x)``), ``mean``, ``sd``, the ETI
    bounds, ``ess_bulk`` and ``r_hat``.

    Examples
    --------
    >>> fit.variance_components()[["group", "term", "kind"]].values.tolist()
    [['Subject', 'Intercept', 'sd'], ['Residual', '', 'sd']]
    """
    rows = []
    post = fit.posterior
    for g in fit.design.groups:
        sd = post[naming.sd_name(g.name)]
        for term in g.terms:
            da = sd.sel({naming.term_dim(g.name): term}, drop=True)
            rows.append(("sds" if is_smooth_group(g) else "sd", g.name, term, da))
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
    if naming.SIGMA in constant_parameters(get_family(fit.spec.family), fit.design):
        rows.append(("sd", "Residual", "", post[naming.SIGMA]))
    frames = []
    for kind, group, term, da in rows:
        frame = describe_draws(da, prob=prob).reset_index(drop=True)
        frame.insert(0, "kind", kind)
        frame.insert(0, "term", term)
        frame.insert(0, "group", group)
        frames.append(frame)
    if not frames:  # no group terms and no residual SD (a GLM without groups)
        return pd.DataFrame(columns=["group", "term", "kind", "mean", "sd"])
    return pd.concat(frames, ignore_index=True)


def family_parameters_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """The family's own parameters besides the residual SD: Student-t ``nu`` and the
    negative binomial dispersion ``alpha`` (lme4's theta, brms's shape).

    ``sigma`` is not repeated here: :meth:`hiermodels.Fit.variance_components` lists it
    as the ``Residual`` SD. Indexed by parameter name, with the columns of
    :meth:`hiermodels.Fit.fixed_effects`; no rows for families without such parameters.

    Examples
    --------
    >>> len(fit.family_parameters())  # gaussian: sigma only, listed as the Residual SD
    0
    """
    check_prob(prob)
    names = [
        p
        for p in family_parameters(get_family(fit.spec.family), fit.design.row_terms)
        if p != naming.SIGMA and p in fit.posterior
    ]
    frames = [describe_draws(fit.posterior[name], prob=prob) for name in names]
    columns = ["mean", "sd", *interval_columns(prob), "ess_bulk", "ess_tail", "r_hat"]
    columns.append("mcse_mean")
    out = pd.concat(frames) if frames else pd.DataFrame(columns=columns, dtype=float)
    out.index.name = "parameter"
    return out


def autocor_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """The residual AR(1) coefficient of ``ar()`` as brms prints it (row ``ar[1]``; the
    posterior variable is ``ar``); no rows for a model without ``ar()``."""
    check_prob(prob)
    if fit.design.autocor is None:
        columns = ["mean", "sd", *interval_columns(prob), "ess_bulk", "ess_tail", "r_hat"]
        return pd.DataFrame(columns=[*columns, "mcse_mean"], dtype=float)
    out = describe_draws(fit.posterior["ar"], prob=prob)
    out.index = pd.Index(["ar[1]"], name="parameter")
    return out


def group_effects_table(fit: FitLike, group: str, *, prob: float = PROB) -> pd.DataFrame:
    """Each level's deviation from the fixed effects, per varying term.

    Indexed by (level, term), with ``mean``, ``sd``, the ETI bounds and diagnostics.

    Examples
    --------
    >>> fit.group_effects("Subject").index[0]
    ('308', 'Intercept')
    """
    g = fit.design.group(group)
    da = fit.posterior[naming.effects_name(g.name)]
    frame = describe_draws(da, prob=prob)
    frame.index = frame.index.set_names(["level", "term"])
    return frame


def group_coefficients_table(fit: FitLike, group: str, *, prob: float = PROB) -> pd.DataFrame:
    """Fixed effect plus the level's deviation, per term: lme4's ``coef()``.

    Every fixed term is listed; terms that do not vary by ``group`` equal the fixed
    effect. Indexed by (level, term). For a family with thresholds (ordinal) each
    level's thresholds come first, named ``Intercept[k]``: ``c_k - r`` with ``r`` the
    level's varying intercept, since ``P(y <= k) = F(c_k - eta)``.

    Examples
    --------
    >>> fit.group_coefficients("Subject").loc["308"].index.tolist()
    ['Intercept', 'Days']
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
