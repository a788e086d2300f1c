"""Data simulated from the priors (behind ``Model.sample_prior_predictive``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import xarray as xr

from hiermodels.sampling import check_positive_int, quiet_forward_sampling, resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import ModelLike

__all__ = ["sample_prior_predictive"]


def sample_prior_predictive(
    model: ModelLike, draws: int = 500, *, random_seed: int | None = None
) -> xr.DataTree:
    """Groups ``prior``, ``prior_predictive`` and ``observed_data`` of ``model``; see
    :meth:`hiermodels.Model.sample_prior_predictive`."""
    import pymc as pm

    check_positive_int("draws", draws)
    with quiet_forward_sampling():
        tree = pm.sample_prior_predictive(
            draws=draws,
            model=model.pymc_model,
            random_seed=resolve_seed(random_seed),
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    groups = {k: tree[k].to_dataset() for k in ("prior", "prior_predictive", "observed_data")}
    return xr.DataTree.from_dict(groups)
