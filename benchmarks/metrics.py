"""Sampling quality measured the same way for every tool.

The minimum bulk and tail ESS and the maximum R-hat run over every element of every
reported parameter: fixed effects, group-level SDs and correlations, the residual SD and
every group effect. Raw sampler coordinates (standardised offsets, Cholesky factors) are
left out, as each tool leaves them out of its own summaries. Constant elements (the
diagonal of a correlation matrix) have no ESS and are skipped.

Examples
--------
>>> import numpy as np, xarray as xr
>>> rng = np.random.default_rng(0)
>>> post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(4, 500))),
...                    "z_g": (("chain", "draw", "g"), rng.normal(size=(4, 500, 3)))})
>>> quality = sampling_quality(post, exclude_prefixes=("z_",))
>>> quality["n_parameters"], quality["min_ess_bulk"] > 1000
(1, True)
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["count_divergences", "sampling_quality"]


def sampling_quality(
    posterior: xr.Dataset,
    *,
    exclude_prefixes: tuple[str, ...] = (),
    exclude_suffixes: tuple[str, ...] = (),
) -> dict[str, float]:
    """Min bulk/tail ESS, max R-hat and the number of scalar parameters summarised."""
    import arviz_stats as azs

    keep = [
        name
        for name in posterior.data_vars
        if not str(name).startswith(exclude_prefixes) and not str(name).endswith(exclude_suffixes)
    ]
    bulk, tail, rhat = [], [], []
    for name in keep:
        da = posterior[name]
        bulk.append(np.ravel(azs.ess(da, method="bulk").values))
        tail.append(np.ravel(azs.ess(da, method="tail").values))
        rhat.append(np.ravel(azs.rhat(da).values))
    if not keep:
        return {
            "min_ess_bulk": float("nan"),
            "min_ess_tail": float("nan"),
            "max_rhat": float("nan"),
            "n_parameters": 0,
        }
    bulk_all, tail_all, rhat_all = (np.concatenate(v) for v in (bulk, tail, rhat))
    varying = np.isfinite(bulk_all)
    return {
        "min_ess_bulk": float(np.min(bulk_all[varying])) if varying.any() else float("nan"),
        "min_ess_tail": float(np.nanmin(tail_all)) if varying.any() else float("nan"),
        "max_rhat": float(np.nanmax(rhat_all)) if varying.any() else float("nan"),
        "n_parameters": int(varying.sum()),
    }


def count_divergences(sample_stats: xr.Dataset) -> int:
    """Divergent transitions after tuning (nutpie and PyMC both call them ``diverging``)."""
    if "diverging" not in sample_stats:
        return 0
    return int(sample_stats["diverging"].sum())
