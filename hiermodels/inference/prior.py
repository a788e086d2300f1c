"""Data simulated from the priors (behind ``Model.sample_prior_predictive``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import xarray as xr

from hiermodels.design.statistics import require_rows
from hiermodels.sampling import check_positive_int, quiet_forward_sampling, resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import ModelLike

__all__ = ["plot_prior_predictive", "sample_prior_predictive"]


def sample_prior_predictive(
    model: ModelLike, draws: int = 500, *, random_seed: int | None = None
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

    check_positive_int("draws", draws)
    require_rows(model.design, "The prior predictive distribution of the rows")
    with quiet_forward_sampling():
        tree = pm.sample_prior_predictive(
            draws=draws,
            model=model.pymc_model,
            random_seed=resolve_seed(random_seed),
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    groups = {k: tree[k].to_dataset() for k in ("prior", "prior_predictive", "observed_data")}
    return xr.DataTree.from_dict(groups)


def plot_prior_predictive(
    model: ModelLike,
    draws: int = 500,
    *,
    random_seed: int | None = None,
    num_samples: int = 50,
    **kwargs,
):
    """Densities of data simulated from the priors against the observed data.

    A thin wrapper over arviz-plots' ``plot_ppc_dist`` on the prior predictive;
    returns the PlotCollection.
    """
    from arviz_plots import plot_ppc_dist

    tree = sample_prior_predictive(model, draws, random_seed=random_seed)
    return plot_ppc_dist(
        tree, group="prior_predictive", num_samples=min(num_samples, draws), **kwargs
    )
