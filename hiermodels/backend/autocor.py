"""The PyMC likelihood of a gaussian model with residual AR(1) within series.

The response is multivariate normal per series with ``cov(e_i, e_j) = sigma^2
phi^|t_i - t_j|``; its density is written in the O(rows) sequential form of
:mod:`hiermodels.kernels.ar1` (the bidiagonal Cholesky factor of the tridiagonal
precision), never with a dense matrix. ``sigma`` is the marginal residual SD and ``phi``
the correlation of successive residuals (the parameter ``ar``, brms's name).

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 4.0, 4.5], "t": [0, 1, 2] * 2,
...                    "g": ["a"] * 3 + ["b"] * 3})
>>> model = hm.Model("y ~ t + ar(t, gr = g)", df)
>>> sorted(v.name for v in model.pymc_model.free_RVs)
['Intercept_centered', 'ar', 'b', 'sigma']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.backend.priors import random_variable
from hiermodels.design import Design
from hiermodels.kernels.ar1 import ar1_residual_draws
from hiermodels.spec.priors import Prior

__all__ = ["AR", "ar1_likelihood"]

#: The name of the AR(1) coefficient (its prior key and posterior variable), as brms's.
AR = "ar"


def ar1_likelihood(design: Design, eta, priors: Mapping[str, Prior]):
    """``sigma``, ``ar`` and the observed response, one normal AR(1) series per level."""
    series = design.autocor
    previous = series.previous
    gap = series.gap
    # Data containers, not constants: the compiled code then does not depend on the rows
    # and is found in the compile cache by every model of the same structure.
    has_prev = pm.Data(naming.data_name("ar_has_previous"), (previous >= 0).astype(float))
    prev_safe = pm.Data(naming.data_name("ar_previous"), np.maximum(previous, 0).astype("int64"))
    power = pm.Data(naming.data_name("ar_gap"), np.maximum(gap, 1).astype(float))
    sigma = random_variable(naming.SIGMA, priors[naming.SIGMA])
    phi = random_variable(AR, priors[AR])
    y = pm.Data(naming.data_name("y"), design.y, dims=naming.OBS_DIM)

    def logp(value, mu, sigma, phi):
        resid = value - mu
        rho = has_prev * pt.pow(phi, power)
        mean = rho * resid[prev_safe] * has_prev
        var = sigma**2 * (1.0 - rho**2)
        return (-0.5 * (pt.log(2 * np.pi * var) + (resid - mean) ** 2 / var)).sum(axis=-1)

    def random(mu, sigma, phi, rng=None, size=None):
        rng = np.random.default_rng(rng)
        return mu + ar1_residual_draws(np.asarray(phi), np.asarray(sigma), previous, gap, rng)

    return pm.CustomDist(
        design.response_name,
        eta,
        sigma,
        phi,
        logp=logp,
        random=random,
        # one joint vector (the rows are not independent); its log density is a scalar
        signature="(n),(),()->(n)",
        observed=y,
        dims=naming.OBS_DIM,
    )
