"""``Model.optimize``: REML, ML or MAP point estimates, whichever engine computes them.

Examples
--------
>>> import hiermodels as hm
>>> ox = hm.datasets.load("Oxboys")
>>> est = optimize_model(hm.Model("height ~ age + (age | Subject)", ox), criterion="ml")
>>> round(est.loglik, 2)
-362.98
"""

from __future__ import annotations

from typing import Literal

from hiermodels.map_estimate import fit_map
from hiermodels.optimize import PointEstimate, check_optimizable, fit_point_estimate

__all__ = ["optimize_model"]


def optimize_model(model, *, criterion: Literal["reml", "ml", "map"] = "reml") -> PointEstimate:
    """Point estimates with the group effects integrated out: REML, ML or MAP.

    Only for the gaussian family. Returns a
    :class:`hiermodels.optimize.PointEstimate` with lme4-style tables, the
    log-likelihood, AIC and BIC. For ``"reml"`` and ``"ml"`` priors play no part
    (the numbers match lme4); ``"map"`` is the mode of the collapsed posterior that
    ``fit(method="marginal")`` samples, priors included, with Laplace standard errors
    (one grouping factor; see :mod:`hiermodels.map_estimate`).

    Examples
    --------
    >>> import hiermodels as hm
    >>> ox = hm.datasets.load("Oxboys")
    >>> est = hm.Model("height ~ age + (age | Subject)", ox).optimize(criterion="ml")
    >>> round(est.loglik, 2)
    -362.98
    """
    check_optimizable(model.design, model.family, model.spec.response.additions)
    if criterion == "map":
        return fit_map(model)
    return fit_point_estimate(model.design, criterion=criterion)
