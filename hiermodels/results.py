"""``hm.Fit``: a fitted model. It wraps (does not subclass) an ``xarray.DataTree``.

``Fit`` is a facade. Each public method is one line,
``name = facade("hiermodels.module.function")`` (:class:`hiermodels.facade.facade`), that
calls a function of the layer that owns the work, with the fit as first argument: the
tables in :mod:`hiermodels.tables`, prediction in :mod:`hiermodels.predict`, posterior
predictive checks in :mod:`hiermodels.ppc`, LOO and k-fold in :mod:`hiermodels.analysis`,
and so on. The function's module is imported when the method is first read, so a fit
does not load the plots, LOO or the interpretation tools until it uses them. The function
carries the user-facing numpydoc docstring, written for ``fit.name(...)``, with examples
that run as doctests against a small cached fit (``conftest.py``); the method gets that
docstring and the function's signature, ``fit`` renamed ``self``.

To add a method: write ``def name(fit: FitLike, ...)`` in the module that owns the work
(annotated with :class:`hiermodels.protocols.FitLike`, never importing ``Fit``), give it
the docstring, and add ``name = facade("hiermodels.module.name")`` under the right heading
below (the full path names the owner at a glance, and no module name is shadowed by a
method name such as ``predict``).
Methods that only pass on a different object (``diagnostics``, ``draws``) are written
out in a few lines.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> fit = hm.Model("Reaction ~ Days + (1 | Subject)", sleep).fit(
...     method="gibbs", draws=500, tune=200, chains=2, random_seed=1, progressbar=False)
>>> fit.fixed_effects()["mean"].round(-1).tolist()
[250.0, 10.0]
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import hiermodels.fit_plots
import hiermodels.tables
from hiermodels.diagnostics import DiagnosticsReport, diagnose
from hiermodels.facade import facade

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
        #: What is computed from ``idata`` once: name -> (the tree it came from, value).
        self._from_tree: dict[str, tuple[xr.DataTree, object]] = {}

    def _once_per_tree(self, name: str, build):
        """``build(idata)``, computed again only when ``fit.idata`` is replaced."""
        tree = self.idata
        cached = self._from_tree.get(name)
        if cached is None or cached[0] is not tree:
            cached = (tree, build(tree))
            self._from_tree[name] = cached
        return cached[1]

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
        replaced (as ``posterior_predictive(store=True)`` does).
        """
        return self._once_per_tree("posterior", lambda tree: tree["posterior"].to_dataset())

    def __repr__(self) -> str:
        post = self.idata["posterior"]
        return (
            f"hm.Fit of {self.formula!r} ({self.spec.family}): "
            f"{post.sizes['chain']} chains x {post.sizes['draw']} draws"
        )

    # ------------------------------------------------------------------ tables
    fixed_effects = facade("hiermodels.tables.fixed_effects_table")
    variance_components = facade("hiermodels.tables.variance_components_table")
    family_parameters = facade("hiermodels.tables.family_parameters_table")
    group_effects = facade("hiermodels.tables.group_effects_table")
    group_coefficients = facade("hiermodels.tables.group_coefficients_table")

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable flattened over chains, shape (samples, ...).

        Raises
        ------
        SpecError
            For a name that is not a posterior variable; the message lists them.
        """
        return hiermodels.tables.posterior_draws(self.posterior, name)

    # ------------------------------------------------------------------ checks
    def diagnostics(self) -> DiagnosticsReport:
        """R-hat, bulk/tail ESS, MCSE, divergences, tree depth and BFMI, with advice.

        Computed once per ``idata`` (``fit()``'s check, ``summary()`` and the reports
        share it); treat the report as read-only.
        """
        display = hiermodels.fit_plots.display_names(self)
        return self._once_per_tree("diagnostics", lambda tree: diagnose(tree, display=display))

    summary = facade("hiermodels.summary.summarize")

    # ------------------------------------------------------------------ plots
    plot_trace = facade("hiermodels.fit_plots.plot_trace")
    plot_rank = facade("hiermodels.fit_plots.plot_rank")
    plot_group_effects = facade("hiermodels.fit_plots.group_effects_figure")

    def plot_prior_predictive(self, draws: int = 500, **kwargs):
        """The model's prior-predictive plot (see ``Model.plot_prior_predictive``)."""
        return self.model.plot_prior_predictive(draws, **kwargs)

    # ------------------------------------------------------------------ prediction
    predict = facade("hiermodels.predict.predict")
    posterior_predictive = facade("hiermodels.predict.posterior_predictive")
    plot_ppc = facade("hiermodels.ppc.plot_ppc")
    plot_loo_pit = facade("hiermodels.ppc.plot_loo_pit")

    # ------------------------------------------------------------------ saving
    save = facade("hiermodels.persistence.save_fit")

    # ------------------------------------------------------------------ comparison
    loo = facade("hiermodels.analysis.loo.loo")
    kfold = facade("hiermodels.analysis.kfold.kfold")
    icc = facade("hiermodels.analysis.partition.icc_table")
    r2 = facade("hiermodels.analysis.partition.r2_table")

    # ------------------------------------------------------------------ interpretation
    predictions = facade("hiermodels.analysis.interpret.predicted.predictions")
    marginal_means = facade("hiermodels.analysis.interpret.marginal.marginal_means")
    comparisons = facade("hiermodels.analysis.interpret.counterfactual.comparisons")
    slopes = facade("hiermodels.analysis.interpret.counterfactual.slopes")
    plot_predictions = facade("hiermodels.prediction_plots.plot_predictions")
    plot_smooth = facade("hiermodels.smooth_plots.plot_smooth")
    smooth_curve = facade("hiermodels.smooth_plots.smooth_curve")
    hypothesis = facade("hiermodels.analysis.hypothesis.hypothesis")
