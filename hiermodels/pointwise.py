"""Pointwise log-likelihood from posterior draws, on arrays (one function per family).

The log-likelihood is conditional on the group effects (the usual "conditional" LOO of
brms and ArviZ). It is computed in NumPy from the posterior, so no second PyMC function
has to be compiled.

Examples
--------
>>> import numpy as np
>>> from hiermodels.pointwise import log_likelihood
>>> ll = log_likelihood("gaussian", "identity", eta=np.zeros((1, 1, 2)),
...                     y=np.array([0.0, 1.0]), trials=None, aux={"sigma": np.ones((1, 1))})
>>> np.round(ll, 4)
array([[[-0.9189, -1.4189]]])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import special, stats

from hiermodels.linear_predictor import inverse_link

__all__ = ["log_likelihood"]


def _aux(aux: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(aux[name])[..., None]


def log_likelihood(
    family: str,
    link: str,
    *,
    eta: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray | None,
    aux: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Log density of each observation for each draw, shape of ``eta`` (chain, draw, rows).

    ``aux`` holds the family's auxiliary parameters with shape (chain, draw).
    """
    if family == "gaussian":
        return stats.norm.logpdf(y, loc=eta, scale=_aux(aux, "sigma"))
    if family == "student_t":
        return stats.t.logpdf(y, df=_aux(aux, "nu"), loc=eta, scale=_aux(aux, "sigma"))
    if family in ("bernoulli", "binomial"):
        if link == "logit":
            log_p, log_q = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
        else:
            p = np.clip(inverse_link(link, eta), 1e-300, 1 - 1e-16)
            log_p, log_q = np.log(p), np.log1p(-p)
        n = np.ones_like(y) if trials is None else trials
        log_choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
        return log_choose + y * log_p + (n - y) * log_q
    if family == "poisson":
        return stats.poisson.logpmf(y, np.exp(eta))
    if family == "negative_binomial":
        alpha = _aux(aux, "alpha")
        mu = np.exp(eta)
        return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))
    raise ValueError(f"unknown family {family!r}")  # pragma: no cover - checked by the table
