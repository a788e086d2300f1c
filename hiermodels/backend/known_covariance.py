"""Group effects of a ``gr(g, cov=K)`` factor: ``r = L_K W``, non-centred.

With ``L_K`` the Cholesky factor of the known covariance of the fitted levels
(:mod:`hiermodels.design.known_covariance`) and ``W`` (levels x terms) holding rows
``w_j ~ N(0, Sigma)`` (``W = z * sd``, or ``z @ L_Sigma'`` for a correlated block, ``z``
standard normal), the effects ``r = L_K W`` have ``vec(r) ~ N(0, Sigma kron K)``: for a
varying intercept ``r ~ N(0, sd^2 K)``, as brms's ``gr(g, cov=K)``.

The levels are not exchangeable, so neither the sum-to-zero split of
:func:`hiermodels.backend.group_effects.group_effects` nor the shear of the fixed coefficients
applies: the factor's mean is not a free direction of the model. The effects are always
non-centred (``r`` itself would be a correlated Gaussian, hard for NUTS to sample).

Examples
--------
>>> import numpy as np, pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 4.0, 6.0], "g": list("aabbcc")})
>>> K = np.array([[1.0, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 1.0]])
>>> model = hm.Model("y ~ 1 + (1 | gr(g, cov=K))", df, data2={"K": K})
>>> sorted(v.name for v in model.pymc_model.free_RVs)
['Intercept_centered', 'sd_g', 'sigma', 'z_g']
"""

from __future__ import annotations

from collections.abc import Mapping

import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import scales
from hiermodels.design import GroupDesign
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.priors import Prior

__all__ = ["known_covariance_contribution", "known_covariance_effects"]


def known_covariance_effects(g: GroupDesign, priors: Mapping[str, Prior]):
    """The effects ``r = L_K W`` (levels x terms), registered as ``r_<factor>``."""
    J, q = g.n_levels, len(g.terms)
    z = pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, shape=(J, q))
    parts = []
    for block, sd, chol, _ in scales(g, priors):
        cols = list(block)
        parts.append(z[:, cols] * sd if chol is None else z[:, cols] @ chol.T)
    W = pt.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    # Data, not a constant: models that differ only in K share one compiled graph.
    chol = pm.Data(naming.group_data_name("cov_chol", g.name), g.covariance.chol)
    effects = pt.dot(chol, W)
    dims = (naming.level_dim(g.name), naming.term_dim(g.name))
    pm.Deterministic(naming.effects_name(g.name), effects, dims=dims)
    return effects


def known_covariance_contribution(g: GroupDesign, priors: Mapping[str, Prior]):
    """The factor's contribution to the linear predictor, its codes and Z as ``pm.Data``."""
    effects = known_covariance_effects(g, priors)
    codes = pm.Data(naming.group_data_name("codes", g.name), g.codes)
    Z = None
    if g.terms != (naming.INTERCEPT,):
        Z = pm.Data(naming.group_data_name("Z", g.name), g.Z)
    return group_contribution(effects, g, codes=codes, Z=Z)
