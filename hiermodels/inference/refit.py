"""Refits on subsets of a model's rows through one compiled model (k-fold folds).

Compiling a model costs far more than sampling it, and a refit on other rows used to
build and compile a model of its own. :class:`RowRefits` compiles the model of *all*
rows once, with a 0/1 weight per row in a data container (and, for the collapsed
gaussian form, its sufficient statistics in data containers): a refit swaps in the
weights of its training rows (nutpie's ``with_data``) and samples. Every level stays in
the model; a level without training rows is not in the likelihood, so its effects keep
their prior given the SDs, and dropping them from the draws leaves exactly the posterior
of a model fitted to the training rows alone.

Two differences from a model built on the training rows remain, both in the priors'
reading, not in the likelihood: the fixed predictors are centred on their means over
all rows (the prior on the sampled intercept applies at that centre), and a categorical
predictor that loses a level keeps its column (callers refuse that case first, as
:func:`hiermodels.analysis.kfold.kfold` does).

Examples
--------
>>> import numpy as np
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> refits = RowRefits(hm.Model("Reaction ~ Days + (1 | Subject)", sleep))
>>> refits.factor, sorted(refits.data(np.arange(180) < 90))
('Subject', ['data_collapsed_FtF', 'data_collapsed_Fty', 'data_collapsed_ZtF', \
'data_collapsed_ZtZ', 'data_collapsed_Zty', 'data_collapsed_n_obs', \
'data_collapsed_yty', 'data_refit_weights'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.errors import SpecError
from hiermodels.inference.parameterization import build_graph

# The samplers' modules (hiermodels.sampling, .inference.sample) load PyMC, so they are
# imported in the methods: a worker process unpickles tasks that name this module
# before hiermodels.parallel gives it its own compile folder.

__all__ = ["REFIT_OPTIONS", "RowRefits"]

#: The fit options a :class:`RowRefits` refit takes (those of ``Model.fit`` for NUTS
#: with nutpie); other options (another sampler, ``method="gibbs"``) need a model of
#: their own.
REFIT_OPTIONS = frozenset(
    {"draws", "tune", "chains", "cores", "sampler", "method", "target_accept"}
    | {"progressbar", "sampler_kwargs", "log_likelihood"}
)


class RowRefits:
    """One compiled model of all of ``model``'s rows; each refit fits a subset of them.

    Parameters
    ----------
    model
        A :class:`hiermodels.Model` (its design, priors and parameterisation are used).
    method
        As in ``Model.fit``: ``"auto"``, ``"marginal"`` or ``"full"`` (``"marginal"`` and
        ``"auto"`` integrate a gaussian model's collapsible factor out).
    """

    def __init__(self, model: Any, method: str = "auto"):
        if method not in ("auto", "marginal", "full"):
            raise SpecError(
                f"Refits through one compiled model take method 'auto', 'marginal' or "
                f"'full', not {method!r}."
            )
        self.model = model
        self.factor: str | None = model.collapsed_factor(method)
        several = len(model.design.groups) > 1
        centered = model.centered if (self.factor is None or several) else {}
        self.pymc_model = build_graph(model, centered, collapsed=self.factor, refit_weights=True)

    def data(self, keep: np.ndarray) -> dict[str, np.ndarray]:
        """The data containers' values for a refit on the rows where ``keep``."""
        from hiermodels.backend.refit import refit_data

        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.model.design.n_obs,) or not keep.any():
            raise SpecError(
                f"keep must mark the training rows among the model's "
                f"{self.model.design.n_obs} rows (a boolean array, some True); got shape "
                f"{keep.shape} with {int(keep.sum())} True."
            )
        return refit_data(self.model.design, keep, self.factor)

    def _kernel_model(self, keep: np.ndarray):
        """The refit on a compiled kernel (:mod:`hiermodels.kernel_entry`): from the
        training rows' statistics (collapsed) or on the training rows (GLMM); None when
        no kernel covers the model."""
        from hiermodels.collapsed import collapsed_statistics
        from hiermodels.kernel_entry import compile_collapsed, compile_glmm

        if self.factor is None:
            return compile_glmm(self.pymc_model, self.model, keep=keep)
        design = self.model.design
        weights = np.asarray(keep, dtype=float)
        stats = collapsed_statistics(design, self.factor, row_weights=weights)
        return compile_collapsed(
            self.pymc_model, design, self.model.priors, self.factor, stats=stats
        )

    def posterior(
        self,
        keep: np.ndarray,
        design: Any,
        *,
        random_seed: int | None,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        cores: int | None = None,
        target_accept: float | None = None,
        sampler_kwargs: Mapping[str, object] | None = None,
        **_ignored: object,
    ) -> xr.Dataset:
        """The posterior given the rows where ``keep``, over the levels of ``design``.

        ``design`` is the design of a model built on the training rows alone (its levels
        are those the training rows use): the draws keep only those levels, and the
        collapsed factor's effects are drawn from their exact conditional given these
        rows, as ``Model.fit`` on that model does. ``progressbar`` and
        ``log_likelihood`` (in ``**_ignored``) do not apply: refits run quietly and
        store no pointwise log-likelihood.
        """
        from hiermodels.inference.sample import add_conditional_effects
        from hiermodels.sampling import (
            check_sampler_options,
            compiled_for,
            nutpie_sample,
            resolve_seed,
        )

        check_sampler_options(
            sampler="nutpie",
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            target_accept=target_accept,
            sampler_kwargs=sampler_kwargs,
        )
        seed = resolve_seed(random_seed)
        data = self.data(keep)
        kernel = self._kernel_model(keep)
        if kernel is None:  # the PyMC graph, compiled once, with the refit's data
            compiled = compiled_for(self.pymc_model)
            used = {var.name for var in compiled.shared_var_keys}  # nutpie drops unused data
            compiled = compiled.with_data(**{k: v for k, v in data.items() if k in used})
        else:
            compiled = kernel.compiled
        tree = nutpie_sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=seed,
            target_accept=target_accept,
            sampler_kwargs=sampler_kwargs,
            progressbar=False,
        )
        if kernel is not None:
            tree = kernel.complete(tree)
        posterior = tree["posterior"].to_dataset()
        for g in design.groups:
            dim = naming.level_dim(g.name)
            if dim in posterior.dims:
                posterior = posterior.sel({dim: list(g.levels)})
        if self.factor is not None:
            tree = xr.DataTree.from_dict({"posterior": posterior})
            tree = add_conditional_effects(design, tree, self.factor, seed)
            posterior = tree["posterior"].to_dataset()
        return posterior
