"""Straight-line GLM fits of the response on one predictor, for the pooling overlays of
``fit.plot_predictions``: one line through all rows (complete pooling, the "traditional
regression") or one per group (no pooling).

The fit is maximum likelihood by iteratively reweighted least squares, with the family's
working variance (:meth:`hiermodels.families.Family.working_variance`) and the model's
link (least squares for the identity link), so any family that defines a working variance
has its pooling lines. A log-link family without one (zero-inflated, hurdle) gets the
quasi-Poisson line: variance proportional to the mean, whose estimating equations give the
log-linear line of E[y] whatever the dispersion or the share of zeros. A group whose data
separate (all 0 or all 1 on one side) has no finite estimate; its line stops at a steep
finite one after the iterations.

Examples
--------
>>> import numpy as np
>>> x = np.array([0.0, 1.0, 2.0, 3.0])
>>> line_fit(x, 2 + 3 * x, family="gaussian", link="identity").round(6).tolist()
[2.0, 3.0]
"""

from __future__ import annotations

import numpy as np

from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.links import inverse_link, link_function, mean_derivative

__all__ = ["line_fit"]

#: Where a start on the mean scale is clipped to for links with a bounded mean.
_BOUNDED = ("logit", "probit", "cloglog")


def line_fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    family: str,
    link: str,
    trials: np.ndarray | None = None,
    iterations: int = 50,
) -> np.ndarray:
    """Intercept and slope of ``link(E[y]) = a + b x`` by IRLS.

    ``y`` is on the mean scale (a proportion for binomial rows with ``trials``). With one
    distinct ``x`` the slope is 0. Raises :class:`SpecError` for a family without a
    working variance, unless its link is the identity or the log (quasi-Poisson).
    """
    fam = get_family(family)
    quasi_poisson = link == "log" and not fam.has_working_variance
    if link not in ("identity", "log") and not fam.has_working_variance:
        raise SpecError(
            f"Family {family!r} defines no working variance, so no pooling lines can be "
            "fitted for it."
        )
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    X = np.column_stack([np.ones_like(x), x - x.mean()])
    if np.ptp(x) == 0:
        X = X[:, :1]
    mu = 0.5 * y + 0.5 * y.mean()
    if link in _BOUNDED:
        mu = np.clip(mu, 0.02, 0.98)
    elif link == "log":
        mu = np.maximum(mu, 0.1)
    eta = link_function(link, mu)
    coef = np.zeros(X.shape[1])
    for _ in range(iterations):
        d = mean_derivative(link, eta)
        if link == "identity":  # least squares: one step
            var = np.ones_like(mu)
        elif quasi_poisson:
            var = np.maximum(mu, 1e-10)
        else:
            var = np.maximum(fam.working_variance(mu, y, trials), 1e-10)
        w = d**2 / var
        z = eta + (y - mu) / np.where(d == 0, 1e-10, d)
        xtw = X.T * w
        new = np.linalg.solve(xtw @ X + 1e-8 * np.eye(X.shape[1]), xtw @ z)
        eta = np.clip(X @ new, -30, 30)
        mu = inverse_link(link, eta)
        done = np.allclose(new, coef, rtol=1e-10, atol=1e-10)
        coef = new
        if done:
            break
    slope = coef[1] if len(coef) > 1 else 0.0
    return np.array([coef[0] - slope * x.mean(), slope])
