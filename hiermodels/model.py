"""``hm.Model``: a formula and a DataFrame, validated and turned into a PyMC model.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", sleep)
>>> model.formula
'Reaction ~ Days + (Days | Subject)'
>>> model.pymc_model.coords["Subject"][:3]
('308', '309', '310')
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Literal

import pandas as pd

from hiermodels.backend.graph import model_graph
from hiermodels.design import Design, build_design
from hiermodels.design.distributional import build_parts, model_columns
from hiermodels.design.statistics import require_rows
from hiermodels.distributed import is_dask_frame, statistics_design
from hiermodels.errors import ConvergenceWarning, SpecError
from hiermodels.facade import facade
from hiermodels.families import get_family, resolve_link
from hiermodels.inference.parameterization import (
    Method,
    Parameterization,
    build_graph,
    choose_centered,
    choose_collapsed_factor,
)
from hiermodels.inference.sample import sample_posterior
from hiermodels.parameters import model_priors, prior_table
from hiermodels.results import Fit
from hiermodels.sampling import Sampler
from hiermodels.spec.distributional import check_single_formula, parse_distributional
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import Prior
from hiermodels.spec.terms import ModelSpec

__all__ = ["Model"]


class Model:
    """A multilevel regression model: formula + data + family + priors.

    Construction parses the formula, validates the data and builds the design; it raises
    a :class:`hiermodels.errors.HiermodelsError` for any bad input. Fitting is explicit
    and returns a new :class:`hiermodels.Fit`. The caller's DataFrame is never modified.

    Parameters
    ----------
    formula
        An lme4/brms-style formula, e.g. ``"y ~ x + (1 + x | g)"``.
    data
        A pandas DataFrame holding every column the formula uses. Text columns of any
        string dtype are categorical; categories of a ``Categorical`` that no (kept) row
        uses are dropped, as R's model frame does (:mod:`hiermodels.frame`). Or a Dask
        DataFrame, for a gaussian model with one grouping factor: only sums over its
        partitions are kept (:mod:`hiermodels.distributed`, ``docs/distributed.md``).
    family
        A family name: ``sorted(hm.families.FAMILIES)`` lists them (the shipped ones,
        and any added with :func:`hiermodels.families.register`).
    link
        The link function; ``None`` takes the family's default.
    priors
        Priors by key ("Intercept", a fixed term, "b", "sd", "sd|g", "sd|g|term", "cor",
        "cor|g", "sigma", ...; "Intercept" and "Intercept[k]" for the thresholds of
        family "cumulative"; "sds" and "sds|s(x)" for the SD of a smooth ``s(x)``).
        Unset parameters get the default, data-scaled priors.
    missing
        ``"error"`` (default): missing values in used columns raise, with counts per
        column. ``"drop"``: such rows are dropped with a warning giving the count.
    data2
        Named matrices the formula refers to, as brms's ``data2``: ``{"K": K}`` for a
        known covariance among the levels, ``(1 | gr(g, cov=K))`` (a DataFrame labelled
        by level, or an array in the order of the levels; see
        :mod:`hiermodels.design.known_covariance`).
    **distributional
        A formula of its own for a parameter of the family, as a keyword named after
        it: ``sigma="~ x + (1 | g)"``, ``zi="~ mined"``, ``phi="~ x"``
        (:mod:`hiermodels.spec.distributional`: links, prior keys such as
        ``"sigma|Intercept"``, ``"sigma|b|x"``, ``"sd|g|sigma|Intercept"``).

    Examples
    --------
    >>> import hiermodels as hm
    >>> pastes = hm.datasets.load("Pastes")
    >>> model = hm.Model("strength ~ 1 + (1 | batch/cask)", pastes)
    >>> [g.name for g in model.design.groups]
    ['batch', 'batch:cask']
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        family: str = "gaussian",
        link: str | None = None,
        priors: Mapping[str, Prior | float] | None = None,
        missing: Literal["error", "drop"] = "error",
        parameterization: Parameterization | Mapping[str, Parameterization] = "auto",
        data2: Mapping[str, object] | None = None,
        **distributional: str,
    ):
        check_single_formula(formula)
        fam = get_family(family)
        link = resolve_link(fam, link)
        formulas = parse_distributional(distributional, family=family, parameters=fam.parameters)
        if priors is not None and not isinstance(priors, Mapping):
            raise SpecError(
                f"priors must be a dict of key -> hm.Prior, got {type(priors).__name__}."
            )
        parsed = parse_formula(formula)
        self.spec = ModelSpec(
            response=parsed.response,
            fixed=parsed.fixed,
            group_terms=parsed.group_terms,
            family=family,
            link=link,
            priors=tuple(sorted((priors or {}).items())),
            offsets=parsed.offsets,
            autocor=parsed.autocor,
            distributional=formulas,
        )
        if is_dask_frame(data):  # sums over the partitions, no rows (hiermodels.distributed)
            design = statistics_design(
                parsed, data, spec=self.spec, family=family, formula=formula, missing=missing,
                data2=data2,
            )  # fmt: skip
        else:
            design = build_design(
                parsed, data, family=family, missing=missing, formula=formula, data2=data2
            )
        # copies: a later change to the caller's K must not reach refits (k-fold, load)
        self.data2 = {k: getattr(v, "copy", lambda v=v: v)() for k, v in (data2 or {}).items()}
        if formulas:  # distributional formulas: their designs ride on the main one
            parts = build_parts(formulas, parsed, data, design, family=family)
            design = dataclasses.replace(design, distributional=parts)
        slots, resolved, sources = model_priors(design, family, link, priors)
        self.design: Design = design
        self.priors: dict[str, Prior] = resolved
        self.prior_sources: dict[str, str] = sources
        self._slots = slots
        # by position: row labels may repeat
        columns = model_columns(parsed, design.distributional)  # the formulas' columns too
        self._data = None if design.statistics else data[columns].iloc[design.row_positions].copy()
        from hiermodels.backend.pymc import check_priors

        check_priors(design, resolved)
        # Validate the choice now; the REML pilot behind "auto" runs when first needed.
        choose_centered(parameterization, [g.name for g in design.groups], design, "none")
        self._parameterization_choice = parameterization
        self._centered: dict[str, bool] | None = None
        self._dominance: dict[str, float] | None = None
        self._pymc_model = None
        self._collapsed_models: dict[str, object] = {}

    @classmethod
    def from_parquet(cls, path, formula: str, *, client=None, **options) -> Model:
        """The model of a (partitioned) Parquet data set, read lazily with Dask.

        The sums it needs are computed on ``client``'s cluster (default: the current
        ``dask.distributed`` client, else a local one). ``options`` are those of :class:`Model`.

        Examples
        --------
        >>> hm.Model.from_parquet("pupils/", "y ~ x + (x | school)").fit()  # doctest: +SKIP
        """
        from hiermodels.distributed import cluster, read_parquet

        with cluster(client):
            return cls(formula, read_parquet(path), **options)

    @classmethod
    def from_recipe(cls, recipe, data: pd.DataFrame | None = None) -> Model:
        """The model of a :class:`~hiermodels.spec.recipe.ModelRecipe`, on its data or ``data``.

        The one path that rebuilds a model: :func:`hiermodels.load`, the k-fold refits
        (on their training rows, given as ``data``) and the pooling study use it.

        Examples
        --------
        >>> import hiermodels as hm
        >>> from hiermodels.spec.recipe import ModelRecipe
        >>> sleep = hm.datasets.load("sleepstudy")
        >>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
        >>> hm.Model.from_recipe(ModelRecipe.of(model), sleep.head(30)).design.n_obs
        30
        """
        choice = recipe.parameterization
        return cls(
            recipe.formula,
            recipe.data if data is None else data,
            family=recipe.family,
            link=recipe.link,
            priors=dict(recipe.priors) or None,
            parameterization=choice if isinstance(choice, str) else dict(choice),
            data2=dict(recipe.data2) or None,
            **dict(recipe.distributional),
        )

    def collapsed_factor(self, method: Method = "auto") -> str | None:
        """The factor whose group effects ``fit(method=...)`` integrates out, or ``None``.

        ``"marginal"`` and ``"auto"`` collapse one of the gaussian family's factors whose
        levels partition the rows (not a multiple-membership factor); other factors stay
        sampled. With several candidates, the REML pilot picks the one whose effects the
        data determine least (lowest :func:`~hiermodels.optimize.data_dominance`): sampled,
        that factor would be the funnel (a small SD over few levels), while the
        better-determined ones sample well. ``"auto"`` falls back to the full model when
        nothing can be collapsed; ``"marginal"`` raises instead.

        Examples
        --------
        >>> import hiermodels as hm
        >>> model = hm.Model("diameter ~ 1 + (1 | plate) + (1 | sample)",
        ...                  hm.datasets.load("Penicillin"))
        >>> model.collapsed_factor(), model.collapsed_factor("full")
        ('plate', None)
        """
        return choose_collapsed_factor(
            self.design, self.family, method, dominance=self._data_dominance
        )

    def collapsed_model(self, factor: str):
        """The ``pymc.Model`` with ``factor``'s group effects integrated out (built once)."""
        if factor not in self._collapsed_models:
            # The collapsed factor needs no parameterisation; skip the pilot if alone.
            centered = self.centered if len(self.design.groups) > 1 else {}
            self._collapsed_models[factor] = build_graph(self, centered, collapsed=factor)
        return self._collapsed_models[factor]

    @property
    def centered(self) -> dict[str, bool]:
        """Factor -> centred?, with "auto" resolved by the REML pilot (computed once)."""
        if self._centered is None:
            self._centered = choose_centered(
                self._parameterization_choice,
                [g.name for g in self.design.groups],
                self.design,
                self.family,
                dominance=self._data_dominance,
            )
        return self._centered

    def _data_dominance(self) -> dict[str, float]:
        """The REML pilot's share of each factor's effects the data determine (cached)."""
        if self._dominance is None:
            from hiermodels.working_pilot import pilot_dominance

            self._dominance = pilot_dominance(self.design, get_family(self.family), self.link)
        return self._dominance

    @property
    def parameterization(self) -> dict[str, str]:
        """The parameterisation used for each factor, after resolving "auto"."""
        return {g: ("centered" if c else "non_centered") for g, c in self.centered.items()}

    @property
    def formula(self) -> str:
        """The model's formula in normal form (also for models made by a builder)."""
        return self.spec.formula

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def link(self) -> str:
        return self.spec.link

    @property
    def pymc_model(self):
        """The ``pymc.Model``; dims are named after the grouping factors."""
        if self._pymc_model is None:
            self._pymc_model = build_graph(self, self.centered)
        return self._pymc_model

    def graph(self, **kwargs):
        """The PyMC model's graph (``graphviz.Digraph``; shows itself in a notebook).

        Needs the ``graphviz`` package and Graphviz's ``dot``; a clear
        :class:`~hiermodels.errors.MissingDependencyError` names a missing one. Keywords
        go to ``pm.model_to_graphviz``; see :func:`hiermodels.backend.graph.model_graph`.
        """
        return model_graph(self.pymc_model, name=f"the model {self.formula!r}", **kwargs)

    @property
    def data(self) -> pd.DataFrame:
        """A copy of the used columns of the rows in the model."""
        require_rows(self.design, "The model's data")
        return self._data.copy()

    def __repr__(self) -> str:
        groups = ", ".join(f"{g.name} ({g.n_levels})" for g in self.design.groups) or "none"
        return (
            f"hm.Model({self.formula!r}, family={self.family!r})\n"
            f"  observations: {self.design.n_obs}; groups: {groups}"
        )

    def prior_summary(self) -> pd.DataFrame:
        """Every parameter with its prior and whether the user or the default set it."""
        return prior_table(self._slots, self.priors, self.prior_sources)

    optimize = facade("hiermodels.point_estimates.optimize_model")
    sample_prior_predictive = facade("hiermodels.inference.prior.sample_prior_predictive")
    plot_prior_predictive = facade("hiermodels.inference.prior.plot_prior_predictive")

    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        cores: int | None = None,
        sampler: Sampler = "nutpie",
        method: Method = "auto",
        random_seed: int | None = None,
        target_accept: float | None = None,
        progressbar: bool = True,
        sampler_kwargs: Mapping[str, object] | None = None,
        log_likelihood: bool | None = None,
        log_density: Literal["auto", "pymc_graph"] = "auto",
    ):
        """Sample the posterior with NUTS and return a :class:`hiermodels.Fit`.

        Parameters
        ----------
        draws, tune, chains
            Draws kept per chain, tuning steps per chain, and number of chains.
        cores
            Chains run in parallel (default: up to 4 for nutpie, 1 for pymc).
        sampler
            ``"nutpie"`` (default), ``"pymc"`` or ``"numpyro"`` (optional extra).
        method
            ``"auto"`` (default): gaussian models integrate one factor's effects out
            (:meth:`collapsed_factor`) and draw them afterwards from their exact
            conditional; other families sample everything. ``"marginal"`` insists on
            that; ``"full"`` samples every group effect; ``"gibbs"`` runs
            :mod:`hiermodels.gibbs` instead of NUTS (gaussian varying intercepts; the
            sampler options do not apply), the fastest for large crossed designs such as
            InstEval. The Fit has the same variables every way, and its pointwise
            log-likelihood (for LOO) is conditional on the group effects in all.
        random_seed
            Seed; the same seed gives identical draws.
        target_accept
            NUTS target acceptance rate (default 0.8); raise it after divergences.
        progressbar
            Show progress: the sampler's bar; for ``method="gibbs"`` a bar of the sweeps
            once they take over two seconds (:mod:`hiermodels.progress`).
        sampler_kwargs
            Passed to the sampler as they are, like brms's ``control``: e.g.
            ``{"maxdepth": 12}`` for nutpie.
        log_likelihood
            Store the pointwise log-likelihood (for LOO, :func:`hiermodels.compare`).
            ``None`` (default): unless it would hold over ``LOG_LIKELIHOOD_MAX_VALUES``
            numbers (400 MB); a fit without it says so when LOO is asked for.
        log_density
            ``"auto"``: a compiled kernel (nothing to compile) when one covers the model
            (:mod:`hiermodels.kernel_entry`), else the PyMC graph; ``"pymc_graph"``: that.

        Returns
        -------
        Fit
        """
        tree = sample_posterior(
            self,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            sampler=sampler,
            method=method,
            random_seed=random_seed,
            target_accept=target_accept,
            progressbar=progressbar,
            sampler_kwargs=sampler_kwargs,
            log_likelihood=log_likelihood,
            log_density=log_density,
        )
        fit = Fit(model=self, idata=tree)
        report = fit.diagnostics()
        if not report.ok:
            warnings.warn(
                f"Sampling diagnostics of {self.formula!r} ({self.family}) flag problems:\n  "
                + "\n  ".join(report.advice),
                ConvergenceWarning,
                stacklevel=2,
            )
        return fit
