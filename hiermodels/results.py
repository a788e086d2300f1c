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

import os
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import fit_plots, naming, ppc
from hiermodels import predict as prediction
from hiermodels.analysis.kfold import kfold
from hiermodels.analysis.loo import loo as psis_loo
from hiermodels.analysis.partition import icc_table, r2_table
from hiermodels.diagnostics import DiagnosticsReport, diagnose
from hiermodels.fit_plots import display_names
from hiermodels.options import PROB
from hiermodels.persistence import save_fit
from hiermodels.ppc import PPCKind
from hiermodels.predict import Kind, NewGroups
from hiermodels.summary import Summary, summarize
from hiermodels.tables import (
    family_parameters_table,
    fixed_effects_table,
    group_coefficients_table,
    group_effects_table,
    posterior_draws,
    variance_components_table,
)

if TYPE_CHECKING:  # pragma: no cover
    from arviz_stats import ELPDData
    from matplotlib.figure import Figure

__all__ = ["Fit"]


class Fit:
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
        self._posterior: tuple[xr.DataTree, xr.Dataset] | None = None

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
        """The ``posterior`` group as a Dataset, built once per ``idata`` (not per access).

        Treat it as read-only: the same Dataset is returned until ``fit.idata`` is
        replaced (as :meth:`posterior_predictive` does).
        """
        tree = self.idata
        if self._posterior is None or self._posterior[0] is not tree:
            self._posterior = (tree, tree["posterior"].to_dataset())
        return self._posterior[1]

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
        return fixed_effects_table(self, prob=prob)

    def variance_components(self, *, prob: float = PROB) -> pd.DataFrame:
        """Standard deviations and correlations of the group effects, and the residual SD.

        One row per SD or correlation, with columns ``group``, ``term``, ``kind``
        ("sd" or "cor"), ``mean``, ``sd``, the ETI bounds, ``ess_bulk`` and ``r_hat``.
        """
        return variance_components_table(self, prob=prob)

    def family_parameters(self, *, prob: float = PROB) -> pd.DataFrame:
        """The family's own parameters besides the residual SD: Student-t ``nu`` and the
        negative binomial dispersion ``alpha`` (lme4's theta, brms's shape).

        ``sigma`` is not repeated here: :meth:`variance_components` lists it as the
        ``Residual`` SD. Indexed by parameter name, with the columns of
        :meth:`fixed_effects`; no rows for families without such parameters.
        """
        return family_parameters_table(self, prob=prob)

    def group_effects(self, group: str, *, prob: float = PROB) -> pd.DataFrame:
        """Each level's deviation from the fixed effects, per varying term.

        Indexed by (level, term), with ``mean``, ``sd``, the ETI bounds and diagnostics.
        """
        return group_effects_table(self, group, prob=prob)

    def group_coefficients(self, group: str, *, prob: float = PROB) -> pd.DataFrame:
        """Fixed effect plus the level's deviation, per term: lme4's ``coef()``.

        Every fixed term is listed; terms that do not vary by ``group`` equal the fixed
        effect. Indexed by (level, term).
        """
        return group_coefficients_table(self, group, prob=prob)

    # ------------------------------------------------------------------ checks
    def diagnostics(self) -> DiagnosticsReport:
        """R-hat, bulk/tail ESS, MCSE, divergences, tree depth and BFMI, with advice."""
        return diagnose(self.idata, display=display_names(self))

    def summary(self, *, prob: float = PROB) -> Summary:
        """A printable summary in the layout of lme4's ``summary(lmer(...))``."""
        return summarize(self, prob=prob)

    # ------------------------------------------------------------------ plots
    def plot_trace(self, var_names=None, **kwargs):
        """Trace plot (arviz-plots ``plot_trace_dist``); returns the PlotCollection.

        Variables with several terms (``b``, ``sd_<factor>``) share a panel, one colour
        per term; the legend names them (``sd_Subject[Days]``).
        """
        return fit_plots.plot_trace(self, var_names, **kwargs)

    def plot_rank(self, var_names=None, **kwargs):
        """Rank plot (arviz-plots ``plot_rank``); returns the PlotCollection.

        Raises
        ------
        SpecError
            For a fit with one chain: the plot compares the chains' ranks.
        """
        return fit_plots.plot_rank(self, var_names, **kwargs)

    def plot_prior_predictive(self, draws: int = 500, **kwargs):
        """The model's prior-predictive plot (see ``Model.plot_prior_predictive``)."""
        return self.model.plot_prior_predictive(draws, **kwargs)

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable flattened over chains, shape (samples, ...).

        Raises
        ------
        SpecError
            For a name that is not a posterior variable; the message lists them.
        """
        return posterior_draws(self.posterior, name)

    # ------------------------------------------------------------------ prediction
    def predict(
        self,
        data: pd.DataFrame | None = None,
        *,
        kind: Kind = "mean",
        new_groups: NewGroups = "sample",
        random_seed: int | None = None,
    ) -> xr.DataTree:
        """Posterior predictions for new (or the fitted) rows.

        Parameters
        ----------
        data
            New rows holding every predictor and grouping column of the model; ``None``
            (default) predicts the fitted rows. The DataFrame is not modified.
        kind
            ``"mean"`` (default): the expected value on the response scale (the
            probability for bernoulli and binomial, the rate including the offset for
            poisson and negative binomial; for cumulative the probability of each
            category, on an extra dimension ``category`` labelled with the categories).
            ``"response"``: one draw from the likelihood per posterior draw (binomial
            needs the trials column in ``data``; cumulative draws the category labels).
        new_groups
            How levels not seen in fitting, and missing group values, are predicted:
            ``"sample"`` (default) draws their effects from the fitted population
            distribution, per posterior draw; rows with the same new level share the
            draw. ``"population"`` sets their effects to 0 (the population mean).
        random_seed
            Seed for the random draws; the same seed gives identical numbers.

        Returns
        -------
        xarray.DataTree
            With a ``predictions`` group holding one variable, named as the response,
            with dims ``(chain, draw, row)`` (``(chain, draw, row, category)`` for the
            category probabilities of an ordinal family); ``row`` holds the index of
            ``data``.

        Raises
        ------
        SpecError
            For an unknown ``kind`` or ``new_groups``.
        DataError
            For a missing column, a missing predictor value, or an unseen level of a
            categorical fixed predictor.

        Examples
        --------
        >>> new = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "new subject"]})
        >>> pred = fit.predict(new, kind="response", random_seed=1)  # doctest: +SKIP
        >>> pred["predictions"]["Reaction"].dims  # doctest: +SKIP
        ('chain', 'draw', 'row')
        """
        return prediction.predict(
            self, data, kind=kind, new_groups=new_groups, random_seed=random_seed
        )

    def posterior_predictive(self, *, random_seed: int | None = None) -> xr.DataTree:
        """Draw replicated data sets for the fitted rows and add them to ``fit.idata``.

        One data set per posterior draw, from the likelihood given that draw (group
        effects of the fitted levels included). This is the one call that stores
        replicated data on the fit (so that :meth:`save` writes them); the PPC plots
        draw their own when the fit has none and leave ``fit.idata`` as it was.

        Parameters
        ----------
        random_seed
            Seed; the same seed gives identical draws.

        Returns
        -------
        xarray.DataTree
            The fit's DataTree (now also ``fit.idata``) with a ``posterior_predictive``
            group: one variable named as the response, dims ``(chain, draw, obs)``.

        Examples
        --------
        >>> tree = fit.posterior_predictive(random_seed=1)  # doctest: +SKIP
        >>> tree["posterior_predictive"]["Reaction"].shape  # doctest: +SKIP
        (4, 1000, 180)
        """
        return prediction.posterior_predictive(self, random_seed=random_seed)

    def plot_ppc(
        self,
        kind: PPCKind | None = None,
        *,
        dist_kind: Literal["kde", "hist", "ecdf"] | None = None,
        group: str | None = None,
        random_seed: int | None = None,
        **kwargs,
    ):
        """Posterior predictive check: replicated data against the observed data.

        Uses the fit's ``posterior_predictive`` group if it has one (see
        :meth:`posterior_predictive`); otherwise draws replicated data for the plot
        only, so ``fit.idata`` is left unchanged.

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
        >>> pc = fit.plot_ppc("pit", random_seed=1)  # doctest: +SKIP
        >>> pc.savefig("ppc_pit.png")  # doctest: +SKIP
        """
        return ppc.plot_ppc(
            self, kind, dist_kind=dist_kind, group=group, random_seed=random_seed, **kwargs
        )

    def plot_loo_pit(self, *, random_seed: int | None = None, **kwargs):
        """LOO-PIT check (arviz-plots ``plot_loo_pit``): calibration of leave-one-out
        predictive distributions. Draws replicated data for the plot if the fit has
        none (``fit.idata`` is left unchanged).

        Returns the PlotCollection; nothing is shown.

        Examples
        --------
        >>> fit.plot_loo_pit(random_seed=1).savefig("loo_pit.png")  # doctest: +SKIP
        """
        return ppc.plot_loo_pit(self, random_seed, **kwargs)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False):
        """Save the fit to one file; read it back with :func:`hiermodels.load`.

        The file (a zip holding a Zarr store) keeps the DataTree with all its groups,
        the formula, family, link, priors, parameterisation and the model's data, so a
        loaded fit predicts exactly as this one. See :mod:`hiermodels.persistence`.

        Parameters
        ----------
        path
            Where to write, e.g. ``"sleep.hmfit"``.
        overwrite
            Replace an existing file (default: an existing file is an error).

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> fit.save("sleep.hmfit")  # doctest: +SKIP
        >>> same = hm.load("sleep.hmfit")  # doctest: +SKIP
        """
        return save_fit(self, path, overwrite=overwrite)

    # ------------------------------------------------------------------ comparison
    def loo(self) -> ELPDData:
        """PSIS-LOO cross-validation (``arviz_stats.loo``), pointwise.

        The log-likelihood is conditional on the group effects, so this estimates how
        well the model predicts new rows of the groups it has seen. Warns
        (:class:`ParetoKWarning`) when Pareto k is high for some rows; then use
        :meth:`kfold`.

        Returns
        -------
        arviz_stats.ELPDData
            With ``elpd``, ``se``, ``p``, pointwise ``elpd_i`` and ``pareto_k``.

        Examples
        --------
        >>> fit.loo().elpd  # doctest: +SKIP
        -886.2
        """
        return psis_loo(self)

    def kfold(
        self,
        k: int = 10,
        *,
        by: Literal["group"] | None = "group",
        random_seed: int | None = None,
        n_new_draws: int = 100,
        executor: object = None,
        **fit_kwargs,
    ) -> ELPDData:
        """Exact k-fold cross-validation: refit the model ``k`` times (``arviz_stats.loo_kfold``).

        Use it when PSIS-LOO is unreliable (Pareto k > 0.7), or to ask how well the model
        predicts *new groups*. Each refit uses the same priors as this fit (the resolved
        priors, so data-scaled defaults are not rescaled to the training rows) and the
        same parameterisation.

        Held-out rows of levels seen in training use those levels' posterior effects.
        Held-out rows of unseen levels integrate the group effects over their population
        distribution ``N(0, Σ)``: exactly for the gaussian family, by Monte Carlo
        (``n_new_draws`` draws per posterior draw) otherwise.

        Parameters
        ----------
        k
            Number of folds (each fold is one refit).
        by
            ``"group"`` (default): every level of the first grouping factor stays in one
            fold, so each fold predicts unseen levels (leave-group-out; a
            multiple-membership factor is split by each row's first member). ``None``:
            rows are split at random.
        random_seed
            Seeds the split of the folds, the refits and the Monte Carlo draws.
        n_new_draws
            Monte Carlo draws of new group effects per posterior draw (non-gaussian).
        executor
            Where the ``k`` refits run: ``None`` (here, one after the other), a
            :class:`concurrent.futures.Executor` or a ``distributed.Client`` (see
            :func:`hiermodels.parallel.run_tasks`). The result is the same.
        **fit_kwargs
            Options for :meth:`hiermodels.Model.fit` of each refit; by default the draws,
            tuning steps, chains, sampler and method of this fit, without a progress bar.

        Returns
        -------
        arviz_stats.ELPDData
            An ``ELPDDataLOOKFold`` with pointwise ``elpd_i``; :func:`hiermodels.compare`
            accepts it.

        Examples
        --------
        >>> cv = fit.kfold(5, random_seed=1)  # doctest: +SKIP
        >>> cv2 = fit2.kfold(5, random_seed=1)  # doctest: +SKIP
        >>> hm.compare({"varying slope": cv, "varying intercept": cv2})  # doctest: +SKIP
        """
        return kfold(
            self,
            k,
            by=by,
            random_seed=random_seed,
            n_new_draws=n_new_draws,
            executor=executor,
            **fit_kwargs,
        )

    def icc(self, *, prob: float = PROB) -> pd.DataFrame:
        """Intraclass correlation of each grouping factor, per draw, summarised.

        ``ICC_g = τ_g² / (Σ_h τ_h² + σ²_res)`` with ``τ`` the SD of the varying
        intercepts. ``σ²_res`` is ``sigma²`` for the gaussian family and the latent-scale
        variance for binomial and Bernoulli models: ``π²/3`` for logit, ``1`` for probit,
        ``π²/6`` for cloglog (see :mod:`hiermodels.variance`). With varying slopes the
        ICC is that at the predictors' zero.

        Returns
        -------
        pandas.DataFrame
            One row per factor with a varying intercept: ``mean``, ``sd``, the ETI
            bounds, ``ess_bulk``, ``ess_tail``, ``r_hat`` and ``mcse_mean``.

        Examples
        --------
        >>> fit.icc().loc["school", "mean"]  # doctest: +SKIP
        0.147
        """
        return icc_table(self, prob=prob)

    def r2(self, *, prob: float = PROB) -> pd.DataFrame:
        """Bayesian R² (Gelman et al. 2019), marginal and conditional, per draw.

        Conditional: ``Var(f + u) / (Var(f + u) + σ²_res)``; marginal:
        ``Var(f) / (Var(f + u) + σ²_res)``, with ``f`` the fixed and ``u`` the group part
        of the linear predictor over the rows of the data (see
        :mod:`hiermodels.variance`).

        Returns
        -------
        pandas.DataFrame
            Rows ``marginal`` and ``conditional``; columns as :meth:`icc`.

        Examples
        --------
        >>> fit.r2().loc["conditional", "mean"]  # doctest: +SKIP
        0.79
        """
        return r2_table(self, prob=prob)

    def plot_group_effects(
        self, group: str, *, term: str = naming.INTERCEPT, prob: float = PROB
    ) -> Figure:
        """Caterpillar plot of one factor's group effects, sorted by posterior mean.

        Each level's posterior mean with its ETI; levels whose interval excludes zero
        are highlighted. Returns the matplotlib Figure (never shown).

        Examples
        --------
        >>> fig = fit.plot_group_effects("county")  # doctest: +SKIP
        >>> fig.savefig("county.png")  # doctest: +SKIP
        """
        return fit_plots.group_effects_figure(self, group, term=term, prob=prob)
