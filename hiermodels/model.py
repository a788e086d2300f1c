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

import time
import warnings
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels.backend import naming
from hiermodels.design import Design, build_design, used_columns
from hiermodels.errors import ConvergenceWarning, SamplerError, SpecError
from hiermodels.families import FAMILIES, get_family, resolve_link
from hiermodels.linear_predictor import linear_predictor
from hiermodels.parameters import model_priors
from hiermodels.pointwise import log_likelihood
from hiermodels.sampling import Sampler, check_sampler_options, resolve_seed, run_sampler
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import Prior
from hiermodels.spec.terms import ModelSpec

__all__ = ["Model"]

Parameterization = Literal["auto", "non_centered", "centered"]
_PARAMETERIZATIONS = ("auto", "non_centered", "centered")
Method = Literal["auto", "marginal", "full", "gibbs"]
_METHODS = ("auto", "marginal", "full", "gibbs")
#: A factor is centred under "auto" when the data determine more than this share of its
#: group effects' variance (kappa > 1 for one factor: Papaspiliopoulos, Roberts & Skold
#: 2007, Statistical Science 22:59).
DATA_DOMINANCE_THRESHOLD = 0.5
#: The same for the other families, whose pilot is the first step of penalised
#: quasi-likelihood (:mod:`hiermodels.working_pilot`). Higher, because the linearised
#: likelihood overstates how well few binary rows determine an effect: on simulated
#: Bernoulli data with 30 rows per level (pilot share 0.60-0.62) the non-centred draws
#: had 1.4-4.4 times the smallest bulk ESS of the centred ones, while on binomial data
#: with 5-19 trials per row (share 0.87-0.92) the centred ones had 4.8-6.7 times as much.
WORKING_PILOT_DOMINANCE_THRESHOLD = 0.75


def _centered(
    choice, groups: list[str], design: Design, family: str, dominance=None, link=None
) -> dict[str, bool]:
    """Validate the parameterisation choice; return factor -> centred?

    ``dominance`` is a zero-argument callable returning the pilot's
    :func:`~hiermodels.working_pilot.pilot_dominance` (computed here when not given).
    """
    if isinstance(choice, str):
        choice = dict.fromkeys(groups, choice)
    elif isinstance(choice, Mapping):
        # Factors not named keep the default, "auto".
        choice = {**dict.fromkeys(groups, "auto"), **choice}
    else:
        raise SpecError(
            f"parameterization must be one of {list(_PARAMETERIZATIONS)} or a dict of "
            f"factor -> choice, got {choice!r}."
        )
    out = {}
    for group, value in choice.items():
        if group not in groups:
            raise SpecError(
                f"parameterization names the factor {group!r}, which is not in the model; "
                f"its factors are {groups}."
            )
        if value not in _PARAMETERIZATIONS:
            raise SpecError(
                f"Unknown parameterization {value!r} for {group!r}; valid choices are "
                f"{list(_PARAMETERIZATIONS)}."
            )
        out[group] = value == "centered"
    auto = [g for g, v in choice.items() if v == "auto"]
    fam = FAMILIES.get(family)
    if auto and fam is not None and (fam.reml_pilot or fam.has_working_variance):
        if dominance is None:
            from hiermodels.working_pilot import pilot_dominance

            shares = pilot_dominance(design, fam, link or fam.default_link)
        else:
            shares = dominance()
        threshold = (
            DATA_DOMINANCE_THRESHOLD if fam.reml_pilot else WORKING_PILOT_DOMINANCE_THRESHOLD
        )
        for group in auto:
            out[group] = shares[group] > threshold
    return out


#: Above this many pointwise values (rows x draws), ``fit`` skips the log-likelihood
#: unless asked (8 bytes each: 400 MB).
LOG_LIKELIHOOD_MAX_VALUES = 50_000_000


def pointwise_log_likelihood(posterior, design: Design, family: str, link: str) -> np.ndarray:
    """Log-likelihood of every row given every draw's parameters (chain, draw, rows).

    Conditional on the group effects, for every family and both fitting methods.
    """
    eta = linear_predictor(posterior, design)
    aux = get_family(family).parameter_draws(posterior)
    return log_likelihood(family, link, eta=eta, y=design.y, trials=design.trials, aux=aux)


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
        uses are dropped, as R's model frame does (:mod:`hiermodels.frame`).
    family
        One of ``"gaussian"``, ``"student_t"``, ``"bernoulli"``, ``"binomial"``,
        ``"poisson"``, ``"negative_binomial"``, or the name of a family added with
        :func:`hiermodels.families.register`.
    link
        The link function; ``None`` takes the family's default.
    priors
        Priors by key ("Intercept", a fixed term, "b", "sd", "sd|g", "sd|g|term", "cor",
        "cor|g", "sigma", ...). Unset parameters get the default, data-scaled priors.
    missing
        ``"error"`` (default): missing values in used columns raise, with counts per
        column. ``"drop"``: such rows are dropped with a warning giving the count.

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
    ):
        fam = get_family(family)
        link = resolve_link(fam, link)
        if priors is not None and not isinstance(priors, Mapping):
            raise SpecError(
                f"priors must be a dict of key -> hm.Prior, got {type(priors).__name__}."
            )
        parsed = parse_formula(formula)
        design = build_design(parsed, data, family=family, missing=missing, formula=formula)
        slots, resolved, sources = model_priors(design, family, link, priors)
        self.spec = ModelSpec(
            response=parsed.response,
            fixed=parsed.fixed,
            group_terms=parsed.group_terms,
            family=family,
            link=link,
            priors=tuple(sorted((priors or {}).items())),
            offsets=parsed.offsets,
        )
        self.design: Design = design
        self.priors: dict[str, Prior] = resolved
        self.prior_sources: dict[str, str] = sources
        self._slots = slots
        # by position: row labels may repeat
        self._data = data[used_columns(parsed)].iloc[design.row_positions].copy()
        from hiermodels.backend.pymc import check_priors

        check_priors(design, resolved)
        # Validate the choice now; the REML pilot behind "auto" runs when first needed.
        _centered(parameterization, [g.name for g in design.groups], design, "none")
        self._parameterization_choice = parameterization
        self._centered: dict[str, bool] | None = None
        self._dominance: dict[str, float] | None = None
        self._pymc_model = None
        self._collapsed_models: dict[str, object] = {}

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
        from hiermodels.collapsed import collapsible_factor

        if method not in _METHODS:
            raise SpecError(f"Unknown method {method!r}; valid choices are {list(_METHODS)}.")
        if method in ("full", "gibbs"):
            return None
        if not get_family(self.family).collapsible:
            if method == "marginal":
                raise SpecError(
                    f"method='marginal' integrates group effects out of a gaussian model; "
                    f"this model's family is {self.family!r}. Use method='full' or 'auto'."
                )
            return None
        factor = collapsible_factor(self.design, dominance=self._data_dominance)
        if factor is None and method == "marginal":
            raise SpecError(
                "method='marginal' needs a grouping factor whose levels partition the rows; "
                f"this model has {[g.name for g in self.design.groups] or 'none'} "
                "(multiple-membership factors cannot be collapsed). Use method='full' or 'auto'."
            )
        return factor

    def _collapsed_model(self, factor: str):
        if factor not in self._collapsed_models:
            from hiermodels.backend.pymc import build_model

            self._collapsed_models[factor] = build_model(
                self.design,
                family=self.spec.family,
                link=self.spec.link,
                priors=self.priors,
                # The collapsed factor needs no parameterisation; skip the pilot if alone.
                centered=self.centered if len(self.design.groups) > 1 else {},
                collapsed=factor,
            )
        return self._collapsed_models[factor]

    @property
    def centered(self) -> dict[str, bool]:
        """Factor -> centred?, with "auto" resolved by the REML pilot (computed once)."""
        if self._centered is None:
            self._centered = _centered(
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

    def _build(self):
        from hiermodels.backend.pymc import build_model

        return build_model(
            self.design,
            family=self.spec.family,
            link=self.spec.link,
            priors=self.priors,
            centered=self.centered,
        )

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
            self._pymc_model = self._build()
        return self._pymc_model

    @property
    def data(self) -> pd.DataFrame:
        """A copy of the used columns of the rows in the model."""
        return self._data.copy()

    def __repr__(self) -> str:
        groups = ", ".join(f"{g.name} ({g.n_levels})" for g in self.design.groups) or "none"
        return (
            f"hm.Model({self.formula!r}, family={self.family!r})\n"
            f"  observations: {self.design.n_obs}; groups: {groups}"
        )

    def prior_summary(self) -> pd.DataFrame:
        """Every parameter with its prior and whether the user or the default set it."""
        rows = [
            {
                "parameter": s.name,
                "kind": s.kind,
                "group": s.group or "",
                "term": s.term or "",
                "prior": str(self.priors[s.name]),
                "source": self.prior_sources[s.name],
            }
            for s in self._slots
        ]
        return pd.DataFrame(rows).set_index("parameter")

    def optimize(self, *, criterion: Literal["reml", "ml", "map"] = "reml"):
        """Point estimates with the group effects integrated out: REML, ML or MAP.

        Only for the gaussian family. Returns a
        :class:`hiermodels.optimize.PointEstimate` with lme4-style tables, the
        log-likelihood, AIC and BIC. For ``"reml"`` and ``"ml"`` priors play no part
        (the numbers match lme4); ``"map"`` is the mode of the collapsed posterior that
        ``fit(method="marginal")`` samples, priors included, with Laplace standard errors
        (one grouping factor; see :mod:`hiermodels.map_estimate`).

        Examples
        --------
        >>> import hiermodels as hm
        >>> ox = hm.datasets.load("Oxboys")
        >>> est = hm.Model("height ~ age + (age | Subject)", ox).optimize(criterion="ml")
        >>> round(est.loglik, 2)
        -362.98
        """
        from hiermodels.optimize import fit_point_estimate

        if not get_family(self.family).collapsible:
            raise SpecError(
                f"optimize() fits gaussian models only; this model's family is {self.family!r}."
            )
        if criterion == "map":
            from hiermodels.map_estimate import fit_map

            return fit_map(self)
        return fit_point_estimate(self.design, criterion=criterion)

    def sample_prior_predictive(
        self, draws: int = 500, *, random_seed: int | None = None
    ) -> xr.DataTree:
        """Draw parameters from the priors and data sets from the model.

        Returns a DataTree with groups ``prior``, ``prior_predictive`` and
        ``observed_data``. Use it to check that the priors give plausible data.

        Examples
        --------
        >>> import hiermodels as hm
        >>> model = hm.Model("Reaction ~ Days + (1 | Subject)", hm.datasets.load("sleepstudy"))
        >>> prior = model.sample_prior_predictive(100, random_seed=1)
        >>> prior["prior_predictive"]["Reaction"].shape
        (1, 100, 180)
        """
        import pymc as pm

        from hiermodels.sampling import check_positive_int, quiet_forward_sampling

        check_positive_int("draws", draws)
        with quiet_forward_sampling():
            tree = pm.sample_prior_predictive(
                draws=draws,
                model=self.pymc_model,
                random_seed=resolve_seed(random_seed),
                compile_kwargs={"mode": "FAST_COMPILE"},
            )
        groups = {k: tree[k].to_dataset() for k in ("prior", "prior_predictive", "observed_data")}
        return xr.DataTree.from_dict(groups)

    def plot_prior_predictive(
        self, draws: int = 500, *, random_seed: int | None = None, num_samples: int = 50, **kwargs
    ):
        """Densities of data simulated from the priors against the observed data.

        A thin wrapper over arviz-plots' ``plot_ppc_dist`` on the prior predictive;
        returns the PlotCollection.
        """
        from arviz_plots import plot_ppc_dist

        tree = self.sample_prior_predictive(draws, random_seed=random_seed)
        return plot_ppc_dist(
            tree, group="prior_predictive", num_samples=min(num_samples, draws), **kwargs
        )

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
            ``"auto"`` (default): for gaussian models, integrate the group effects of one
            factor out analytically (:meth:`collapsed_factor`), sample the rest, then draw
            those effects from their exact conditional distribution for every posterior
            draw; other families sample everything. ``"marginal"`` insists on the
            collapsed form; ``"full"`` samples every group effect. ``"gibbs"`` runs the
            Gibbs sampler of :mod:`hiermodels.gibbs` instead of NUTS (gaussian models with
            varying intercepts only; ``sampler``, ``cores``, ``target_accept`` and
            ``sampler_kwargs`` do not apply): no compilation, and the fastest choice for
            large crossed designs such as InstEval. The Fit has the same variables every
            way, and its pointwise log-likelihood (for LOO) is conditional on the group
            effects in all.
        random_seed
            Seed; the same seed gives identical draws.
        target_accept
            NUTS target acceptance rate (default 0.8); raise it after divergences.
        progressbar
            Show sampling progress.
        sampler_kwargs
            Extra options passed to the sampler as they are, like brms's ``control``:
            e.g. ``{"adaptation": "low_rank"}`` or ``{"maxdepth": 12}`` for nutpie.
        log_likelihood
            Store the pointwise log-likelihood (rows x draws; needed by LOO and
            :func:`hiermodels.compare`). ``None`` (default) stores it unless it would hold
            more than ``LOG_LIKELIHOOD_MAX_VALUES`` numbers (400 MB); a fit without it
            says so when LOO is asked for.

        Returns
        -------
        Fit
        """
        check_sampler_options(
            sampler=sampler,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            target_accept=target_accept,
            sampler_kwargs=None if method == "gibbs" else sampler_kwargs,
        )
        factor = self.collapsed_factor(method)
        seed = resolve_seed(random_seed)
        used_method = "gibbs" if method == "gibbs" else "full" if factor is None else "marginal"
        if method == "gibbs":
            tree, timings = self._sample_gibbs(
                draws,
                tune,
                chains,
                seed,
                target_accept=target_accept,
                sampler_kwargs=sampler_kwargs,
            )
        else:
            tree, timings = run_sampler(
                self.pymc_model if factor is None else self._collapsed_model(factor),
                sampler=sampler,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                random_seed=seed,
                target_accept=target_accept,
                progressbar=progressbar,
                sampler_kwargs=dict(sampler_kwargs or {}),
            )
        if factor is not None:
            start = time.perf_counter()
            tree = self._add_conditional_effects(tree, factor, seed)
            timings["conditional_draws"] = time.perf_counter() - start
        if log_likelihood is None:
            size = self.design.n_obs * draws * chains
            log_likelihood = size <= LOG_LIKELIHOOD_MAX_VALUES
        tree = self._complete(tree, log_likelihood=bool(log_likelihood))
        tree.attrs.update(
            {
                "hiermodels_formula": self.formula,
                "hiermodels_family": self.family,
                "hiermodels_link": self.link,
                "sampler": "gibbs" if method == "gibbs" else sampler,
                "method": used_method,
                "collapsed_factor": factor or "",
                "tune": tune,
                **{f"seconds_{k}": v for k, v in timings.items()},
            }
        )
        from hiermodels.results import Fit

        fit = Fit(model=self, idata=tree)
        report = fit.diagnostics()
        if not report.ok:
            warnings.warn(
                "Sampling diagnostics flag problems:\n  " + "\n  ".join(report.advice),
                ConvergenceWarning,
                stacklevel=2,
            )
        return fit

    def _sample_gibbs(self, draws, tune, chains, seed, *, target_accept, sampler_kwargs):
        from hiermodels.gibbs import check_gibbs, sample_gibbs

        check_gibbs(self.design, self.family, self.link)
        if target_accept is not None or sampler_kwargs:
            raise SamplerError(
                "method='gibbs' does not run NUTS, so target_accept and sampler_kwargs do not "
                f"apply; got target_accept={target_accept!r}, sampler_kwargs={sampler_kwargs!r}."
            )
        return sample_gibbs(
            self.design, self.priors, draws=draws, tune=tune, chains=chains, seed=seed
        )

    def _add_conditional_effects(self, tree: xr.DataTree, factor: str, seed: int) -> xr.DataTree:
        """Draw the collapsed factor's effects from their exact conditional per draw."""
        from hiermodels.collapsed import conditional_group_effects

        posterior = tree["posterior"].to_dataset()
        g = self.design.group(factor)
        draws = conditional_group_effects(
            posterior, self.design, factor, rng=np.random.default_rng([seed, 1])
        )
        dims = (*naming.CHAIN_DRAW, naming.level_dim(g.name), naming.term_dim(g.name))
        posterior[naming.effects_name(g.name)] = xr.DataArray(
            draws,
            dims=dims,
            coords={dims[2]: list(g.levels), dims[3]: list(g.terms)},
        )
        groups = {k: tree[k].to_dataset() for k in tree.children}
        groups["posterior"] = posterior
        return xr.DataTree.from_dict(groups)

    def _complete(self, tree: xr.DataTree, *, log_likelihood: bool = True) -> xr.DataTree:
        """Add observed data, constant data and (optionally) the pointwise log-likelihood."""
        design = self.design
        name = design.response_name
        posterior = tree["posterior"].to_dataset()
        dims = (*naming.CHAIN_DRAW, naming.OBS_DIM)
        coords = {
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values,
            naming.OBS_DIM: np.arange(design.n_obs),
        }
        groups = {k: tree[k].to_dataset() for k in tree.children}
        if log_likelihood:
            ll = pointwise_log_likelihood(posterior, design, self.family, self.link)
            groups["log_likelihood"] = xr.Dataset(
                {name: xr.DataArray(ll, dims=dims, coords=coords)}
            )
        groups["observed_data"] = xr.Dataset(
            {
                name: xr.DataArray(
                    design.y,
                    dims=(naming.OBS_DIM,),
                    coords={naming.OBS_DIM: coords[naming.OBS_DIM]},
                )
            }
        )
        if design.trials is not None:
            groups["constant_data"] = xr.Dataset(
                {"trials": xr.DataArray(design.trials, dims=(naming.OBS_DIM,))}
            )
        return xr.DataTree.from_dict(groups)
