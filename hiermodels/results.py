"""``hm.Fit``: a fitted model. It wraps (does not subclass) an ``xarray.DataTree``.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> fit = hm.Model("Reaction ~ Days + (1 | Subject)", sleep).fit(
...     draws=200, tune=200, chains=2, random_seed=1, progressbar=False)  # doctest: +SKIP
>>> fit.fixed_effects()["mean"].round(0).tolist()  # doctest: +SKIP
[251.0, 10.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels.backend import naming
from hiermodels.compare import ComparisonMethods
from hiermodels.diagnostics import DiagnosticsReport, check_prob, describe_draws, diagnose
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.predict import PredictionMethods
from hiermodels.summary import Summary

__all__ = ["Fit"]

PROB = 0.89


class Fit(PredictionMethods, ComparisonMethods):
    """Posterior draws of a :class:`hiermodels.Model`, with lme4-style accessors.

    Attributes
    ----------
    idata : xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``observed_data`` and ``log_likelihood``.
    model : hiermodels.Model
        The model that was fitted.
    """

    def __init__(self, *, model, idata: xr.DataTree):
        self.model = model
        self.idata = idata

    @property
    def spec(self):
        return self.model.spec

    @property
    def design(self):
        return self.model.design

    @property
    def formula(self) -> str:
        return self.model.formula

    @property
    def posterior(self) -> xr.Dataset:
        return self.idata["posterior"].to_dataset()

    def __repr__(self) -> str:
        post = self.idata["posterior"]
        return (
            f"hm.Fit of {self.formula!r} ({self.spec.family}): "
            f"{post.sizes['chain']} chains x {post.sizes['draw']} draws"
        )

    # ------------------------------------------------------------------ tables
    def fixed_effects(self, *, prob: float = PROB) -> pd.DataFrame:
        """Fixed effects, indexed by the design's term names ("Intercept", "sex[M]", ...).

        Columns: ``mean``, ``sd``, the ETI bounds (``eti89_lb``, ``eti89_ub``),
        ``ess_bulk``, ``ess_tail``, ``r_hat`` and ``mcse_mean``.
        """
        frames = []
        for name in self.design.fixed.names:
            if name == naming.INTERCEPT:
                da = self.posterior[naming.INTERCEPT]
            else:
                da = self.posterior[naming.SLOPES].sel({naming.FIXED_DIM: name}, drop=True)
            frame = describe_draws(da, prob=prob)
            frame.index = [name]
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["mean", "sd"])
        out = pd.concat(frames)
        out.index.name = "term"
        return out

    def variance_components(self, *, prob: float = PROB) -> pd.DataFrame:
        """Standard deviations and correlations of the group effects, and the residual SD.

        One row per SD or correlation, with columns ``group``, ``term``, ``kind``
        ("sd" or "cor"), ``mean``, ``sd``, the ETI bounds, ``ess_bulk`` and ``r_hat``.
        """
        rows = []
        post = self.posterior
        for g in self.design.groups:
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
        if naming.SIGMA in get_family(self.spec.family).parameters:
            rows.append(("sd", "Residual", "", post[naming.SIGMA]))
        frames = []
        for kind, group, term, da in rows:
            frame = describe_draws(da, prob=prob).reset_index(drop=True)
            frame.insert(0, "kind", kind)
            frame.insert(0, "term", term)
            frame.insert(0, "group", group)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def family_parameters(self, *, prob: float = PROB) -> pd.DataFrame:
        """The family's own parameters besides the residual SD: Student-t ``nu`` and the
        negative binomial dispersion ``alpha`` (lme4's theta, brms's shape).

        ``sigma`` is not repeated here: :meth:`variance_components` lists it as the
        ``Residual`` SD. Indexed by parameter name, with the columns of
        :meth:`fixed_effects`; no rows for families without such parameters.
        """
        check_prob(prob)
        names = [
            p
            for p in get_family(self.spec.family).parameters
            if p != naming.SIGMA and p in self.posterior
        ]
        frames = [describe_draws(self.posterior[name], prob=prob) for name in names]
        p = round(prob * 100)
        columns = ["mean", "sd", f"eti{p}_lb", f"eti{p}_ub", "ess_bulk", "ess_tail", "r_hat"]
        columns.append("mcse_mean")
        out = pd.concat(frames) if frames else pd.DataFrame(columns=columns, dtype=float)
        out.index.name = "parameter"
        return out

    def group_effects(self, group: str, *, prob: float = PROB) -> pd.DataFrame:
        """Each level's deviation from the fixed effects, per varying term.

        Indexed by (level, term), with ``mean``, ``sd``, the ETI bounds and diagnostics.
        """
        g = self.design.group(group)
        da = self.posterior[naming.effects_name(g.name)]
        frame = describe_draws(da, prob=prob)
        frame.index = frame.index.set_names(["level", "term"])
        return frame

    def group_coefficients(self, group: str, *, prob: float = PROB) -> pd.DataFrame:
        """Fixed effect plus the level's deviation, per term: lme4's ``coef()``.

        Every fixed term is listed; terms that do not vary by ``group`` equal the fixed
        effect. Indexed by (level, term).
        """
        g = self.design.group(group)
        post = self.posterior
        effects = post[naming.effects_name(g.name)]
        term_dim = naming.term_dim(g.name)
        names = list(self.design.fixed.names) + [
            t for t in g.terms if t not in self.design.fixed.names
        ]
        parts = []
        for term in names:
            if term == naming.INTERCEPT:
                fixed = post[naming.INTERCEPT]
            elif term in self.design.fixed.names:
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
        da = xr.concat(parts, dim="term").transpose(
            "chain", "draw", naming.level_dim(g.name), "term"
        )
        da.name = "coefficient"
        frame = describe_draws(da, prob=prob)
        frame.index = frame.index.set_names(["level", "term"])
        return frame

    # ------------------------------------------------------------------ checks
    def diagnostics(self) -> DiagnosticsReport:
        """R-hat, bulk/tail ESS, MCSE, divergences, tree depth and BFMI, with advice."""
        return diagnose(self.idata, display=self._display_names())

    def _display_names(self) -> dict[str, str]:
        """Stored variable name -> the name shown to users (factors as written)."""
        return naming.display_names(g.name for g in self.design.groups)

    def summary(self, *, prob: float = PROB) -> Summary:
        """A printable summary in the layout of lme4's ``summary(lmer(...))``."""
        fam = get_family(self.spec.family)
        post = self.idata["posterior"]
        return Summary(
            formula=self.formula,
            family=fam.name,
            link=self.spec.link,
            n_obs=self.design.n_obs,
            levels={g.name: g.n_levels for g in self.design.groups},
            variance_components=self.variance_components(prob=prob),
            fixed_effects=self.fixed_effects(prob=prob),
            family_parameters=self.family_parameters(prob=prob),
            diagnostics=self.diagnostics(),
            sampler=str(self.idata.attrs.get("sampler", "")),
            chains=int(post.sizes["chain"]),
            draws=int(post.sizes["draw"]),
            prob=prob,
        )

    # ------------------------------------------------------------------ plots
    def plot_trace(self, var_names=None, **kwargs):
        """Trace plot (arviz-plots ``plot_trace_dist``); returns the PlotCollection.

        Variables with several terms (``b``, ``sd_<factor>``) share a panel, one colour
        per term; the legend names them (``sd_Subject[Days]``).
        """
        from arviz_plots import plot_trace_dist

        pc = plot_trace_dist(
            self.idata, var_names=self._plot_vars(var_names), **self._plot_kwargs(kwargs)
        )
        color = pc.aes.children.get("color")
        if color is not None and "mapping" not in color.data_vars:
            # colours mapped to the variables and their terms (compact=True): name them
            dims = ["__variable__", *color.dims]
            pc.add_legend(dims, title="parameter", labeller=self._labeller(kwargs))
        return pc

    def plot_rank(self, var_names=None, **kwargs):
        """Rank plot (arviz-plots ``plot_rank``); returns the PlotCollection.

        Raises
        ------
        SpecError
            For a fit with one chain: the plot compares the chains' ranks.
        """
        from arviz_plots import plot_rank

        chains = self.idata["posterior"].sizes["chain"]
        if chains < 2:
            raise SpecError(
                f"A rank plot compares chains, and this fit has {chains}; fit with chains=2 "
                "or more (4 recommended), or use plot_trace()."
            )

        return plot_rank(
            self.idata, var_names=self._plot_vars(var_names), **self._plot_kwargs(kwargs)
        )

    def _labeller(self, kwargs):
        from arviz_base.labels import MapLabeller

        return kwargs.get("labeller") or MapLabeller(var_name_map=self._display_names())

    def _plot_kwargs(self, kwargs: dict) -> dict:
        """Defaults for the arviz-plots calls: display names and a layout without overlaps."""
        from hiermodels.plots import arviz_layout

        return arviz_layout({**kwargs, "labeller": self._labeller(kwargs)})

    def plot_prior_predictive(self, draws: int = 500, **kwargs):
        """The model's prior-predictive plot (see ``Model.plot_prior_predictive``)."""
        return self.model.plot_prior_predictive(draws, **kwargs)

    def _plot_vars(self, var_names):
        if var_names is not None:
            return var_names
        names = [naming.INTERCEPT, naming.SLOPES]
        names += [naming.sd_name(g.name) for g in self.design.groups]
        names += [p for p in get_family(self.spec.family).parameters]
        return [n for n in names if n in self.posterior]

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable flattened over chains, shape (samples, ...).

        Raises
        ------
        SpecError
            For a name that is not a posterior variable; the message lists them.
        """
        names = sorted(map(str, self.posterior.data_vars))
        if name not in names:
            import difflib

            close = difflib.get_close_matches(str(name), names, n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise SpecError(
                f"Unknown posterior variable {name!r}.{hint} The posterior holds {names}."
            )
        da = self.posterior[name]
        return da.values.reshape(-1, *da.shape[2:])
