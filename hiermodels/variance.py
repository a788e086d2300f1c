"""Variance partition kernels: intraclass correlations and Bayesian R², per posterior draw.

Both are computed draw by draw, so their posterior mean and interval come for free.

Residual variance
-----------------
Each family defines its own
(:meth:`hiermodels.families.Family.latent_residual_variance`):

``gaussian``
    ``sigma²``.
``bernoulli`` and ``binomial``
    On the latent scale (the scale of the linear predictor; Nakagawa & Schielzeth 2010,
    Nakagawa, Johnson & Schielzeth 2017): the variance of the standard latent error,
    ``π²/3`` for the logit link (standard logistic), ``1`` for probit (standard normal)
    and ``π²/6`` for cloglog (standard Gumbel).

Other families (Student-t, Poisson, negative binomial) have no single residual variance
and are refused with a :class:`~hiermodels.errors.SpecError`.

ICC
---
For every grouping factor ``g`` with a varying intercept, per draw,
``ICC_g = τ_g² / (Σ_h τ_h² + σ²_res)``, the sum running over every factor with a varying
intercept. For crossed or nested factors each factor gets its share of the total
variance. Varying slopes are left out: with them the variance depends on the predictor,
so the ICC reported is the one at the predictor value 0 (the intercept).

R²
--
Bayesian R² (Gelman, Goodrich, Gabry & Vehtari 2019, *The American Statistician* 73:307),
model-based: with ``f`` the fixed part of the linear predictor (offset included) and
``u`` the group part, both computed per draw over the rows of the data,

- conditional: ``Var(f + u) / (Var(f + u) + σ²_res)``,
- marginal: ``Var(f) / (Var(f + u) + σ²_res)``,

so the marginal R² is the share of the conditional model's total variance that the fixed
effects explain (Nakagawa & Schielzeth's marginal R², with the variance of ``f + u``
taken from the rows rather than from ``Σ τ²``). For binomial families this is on the
latent scale, as the ICC.

Examples
--------
>>> import numpy as np
>>> latent_residual_variance("bernoulli", "logit", None).round(4)
np.float64(3.2899)
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.design import Design
from hiermodels.errors import SpecError
from hiermodels.families import FAMILIES, get_family
from hiermodels.linear_predictor import fixed_coefficients, group_contribution

__all__ = ["icc_draws", "latent_residual_variance", "r2_draws"]


def latent_residual_variance(family: str, link: str, posterior) -> np.ndarray | float:
    """Residual variance per draw (``sigma²``) or the latent-scale constant.

    Raises :class:`SpecError` for a family without a defined residual variance.
    """
    fam = get_family(family)
    if not fam.has_latent_variance:
        supported = [name for name, f in FAMILIES.items() if f.has_latent_variance]
        raise SpecError(
            f"The variance partition (ICC, R²) is defined here for the families {supported}; "
            f"this model's family is {family!r} (link {link!r})."
        )
    return fam.latent_residual_variance(link, posterior)


def _residual_variance(design: Design, family: str, link: str, posterior):
    """:func:`latent_residual_variance`; ``se(s)`` without ``sigma=True`` has none."""
    if design.distributional:
        raise SpecError(
            "The variance partition (ICC, R²) needs one residual variance; this model gives "
            f"{[p.parameter for p in design.distributional]} formulas of their own."
        )
    rows = design.row_terms
    if rows is not None and rows.se is not None and not rows.se_sigma:
        raise SpecError(
            "The variance partition (ICC, R²) needs a residual variance; a model with se() "
            "and no residual SD has none. Write se(s, sigma=True) for one (the known SDs "
            "then stay out of the partition)."
        )
    return latent_residual_variance(family, link, posterior)


def _intercept_sd(posterior, group: str) -> np.ndarray:
    sd = posterior[naming.sd_name(group)]
    return sd.sel({naming.term_dim(group): naming.INTERCEPT}).values


def icc_draws(posterior, design: Design, family: str, link: str) -> xr.DataArray:
    """Per-draw ICC of each factor with a varying intercept, dims (chain, draw, group).

    Raises :class:`SpecError` when the model has no varying intercept.
    """
    groups = [g.name for g in design.groups if naming.INTERCEPT in g.terms]
    if not groups:
        have = [g.name for g in design.groups] or "none"
        raise SpecError(
            "The ICC needs at least one grouping factor with a varying intercept, "
            f"e.g. (1 | g); this model's factors are {have}."
        )
    resid = _residual_variance(design, family, link, posterior)
    tau2 = np.stack([_intercept_sd(posterior, g) ** 2 for g in groups], axis=-1)
    total = tau2.sum(axis=-1, keepdims=True) + np.asarray(resid)[..., None]
    values = tau2 / total
    return _draws_array(posterior, values, "group", groups, "icc")


def _part_variances(posterior, design: Design, *, chunk: int = 250):
    """Row variances of the fixed part (offset included) and of fixed + group parts.

    Both have shape (chain, draw); draws are processed in chunks to bound memory.
    """
    beta = fixed_coefficients(posterior, design.fixed.names)
    effects = {g.name: posterior[naming.effects_name(g.name)].values for g in design.groups}
    n_chain, n_draw = beta.shape[:2]
    var_fixed = np.empty((n_chain, n_draw))
    var_total = np.empty((n_chain, n_draw))
    for start in range(0, n_draw, chunk):
        stop = min(start + chunk, n_draw)
        fixed = beta[:, start:stop] @ design.fixed.matrix.T
        if design.offset is not None:
            fixed = fixed + design.offset
        total = fixed
        for g in design.groups:
            total = total + group_contribution(effects[g.name][:, start:stop], g)
        var_fixed[:, start:stop] = fixed.var(axis=-1, ddof=1)
        var_total[:, start:stop] = total.var(axis=-1, ddof=1)
    return var_fixed, var_total


def r2_draws(posterior, design: Design, family: str, link: str) -> xr.DataArray:
    """Per-draw marginal and conditional Bayesian R², dims (chain, draw, r2)."""
    if design.n_obs < 2:
        raise SpecError(f"R² needs at least two rows of data; this model has {design.n_obs}.")
    resid = _residual_variance(design, family, link, posterior)
    var_fixed, var_total = _part_variances(posterior, design)
    denominator = var_total + resid
    values = np.stack([var_fixed / denominator, var_total / denominator], axis=-1)
    return _draws_array(posterior, values, "r2", ["marginal", "conditional"], "r2")


def _draws_array(posterior, values: np.ndarray, dim: str, labels: list[str], name: str):
    coords = {d: posterior[d].values for d in naming.CHAIN_DRAW}
    coords[dim] = labels
    return xr.DataArray(values, dims=(*naming.CHAIN_DRAW, dim), coords=coords, name=name)
