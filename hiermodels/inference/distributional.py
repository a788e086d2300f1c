"""Draws of distributional parameters on each row (NumPy), for the fitted rows.

The pointwise log-likelihood (LOO), posterior predictive draws and predictions give the
family ``aux[p]`` with shape (chain, draw, rows) for a parameter ``p`` with a formula,
where other parameters have (chain, draw). :func:`part_posterior` renames the part's
variables (``sigma_Intercept``, ``sigma_b``, ``r_g__sigma``, ``sd_g__sigma``, ...) to
the names of a plain model (``Intercept``, ``b``, ``r_g``, ``sd_g``), so the linear
predictor and the new-level code of the mean serve the parts as well.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.design import Design
from hiermodels.design.distributional import DistributionalPart, part_group_name
from hiermodels.families.links import inverse_link
from hiermodels.linear_predictor import linear_predictor

__all__ = ["distributional_draws", "part_posterior"]


def part_posterior(posterior: xr.Dataset, part: DistributionalPart) -> xr.Dataset:
    """The variables of ``part``, named as a model with only its formula names them."""
    p = part.parameter
    out = {}
    if f"{p}_{naming.INTERCEPT}" in posterior:
        out[naming.INTERCEPT] = posterior[f"{p}_{naming.INTERCEPT}"]
    if f"{p}_{naming.SLOPES}" in posterior:
        out[naming.SLOPES] = posterior[f"{p}_{naming.SLOPES}"].rename(
            {f"{p}_{naming.FIXED_DIM}": naming.FIXED_DIM}
        )
    for g in part.design.groups:
        inner = part_group_name(p, g.name)
        dims = {
            naming.level_dim(inner): naming.level_dim(g.name),
            naming.term_dim(inner): naming.term_dim(g.name),
            naming.term_dim_bis(inner): naming.term_dim_bis(g.name),
        }
        for name in (naming.effects_name, naming.sd_name, naming.cor_name):
            if name(inner) in posterior:
                da = posterior[name(inner)]
                out[name(g.name)] = da.rename({k: v for k, v in dims.items() if k in da.dims})
    return xr.Dataset(out)


def distributional_draws(posterior: xr.Dataset, design: Design) -> dict[str, np.ndarray]:
    """Per parameter with a formula, its value on each fitted row, (chain, draw, rows)."""
    return {
        part.parameter: inverse_link(
            part.link, linear_predictor(part_posterior(posterior, part), part.design)
        )
        for part in design.distributional
    }
