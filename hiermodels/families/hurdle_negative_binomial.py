"""The hurdle negative binomial family: zeros from one process, overdispersed positive
counts from another.

``P(y = 0) = hu``; a positive count follows the zero-truncated ``NegativeBinomial(mu =
exp(eta), alpha)``, ``var = mu + mu² / alpha`` before truncation (brms's
``hurdle_negbinomial``, glmmTMB's ``truncated_nbinom2``). ``E[y] = (1 - hu) mu / (1 -
P0)`` with ``P0 = (alpha / (alpha + mu))^alpha``. The likelihood is a ``pm.CustomDist``
with the density of PyMC's ``HurdleNegativeBinomial`` (``psi = 1 - hu``), as for
:mod:`~hiermodels.families.hurdle_poisson`.

Priors: ``hu ~ Beta(1, 1)``, ``alpha ~ Gamma(2, 0.1)`` (as for the negative binomial).
The variance partition (ICC, R²) is not defined.

Examples
--------
>>> import numpy as np
>>> ll = HURDLE_NEGATIVE_BINOMIAL.log_likelihood(
...     "log", eta=np.zeros((1, 1, 2)), y=np.array([0.0, 1.0]), trials=None,
...     aux={"hu": np.full((1, 1), 0.3), "alpha": np.ones((1, 1))})
>>> np.round(np.exp(ll), 4)  # 0.3 and 0.7 * 0.25 / 0.5
array([[[0.3 , 0.35]]])
"""

from __future__ import annotations

from types import MappingProxyType

from hiermodels.families.base import aux_column
from hiermodels.families.hurdle_poisson import HurdlePoisson
from hiermodels.families.negative_binomial import NEGATIVE_BINOMIAL

__all__ = ["HURDLE_NEGATIVE_BINOMIAL", "HurdleNegativeBinomial"]


class HurdleNegativeBinomial(HurdlePoisson):
    """Zeros with probability ``hu``; otherwise a zero-truncated negative binomial count."""

    name = "hurdle_negative_binomial"
    parameters = ("hu", "alpha")
    parameter_meanings = MappingProxyType(
        {
            "hu": "hurdle probability: P(y = 0); positive counts are zero-truncated",
            "alpha": "dispersion before truncation: var = mu + mu^2 / alpha",
        }
    )
    count = NEGATIVE_BINOMIAL

    def count_logp_tensor(self, value, mu, params):
        import pymc as pm
        import pytensor.tensor as pt

        alpha = params["alpha"]
        count = pm.logp(pm.NegativeBinomial.dist(mu=mu, alpha=alpha), value)
        return count, -alpha * pt.log1p(mu / alpha)

    def positive_inverse(self, q, mean, aux):
        from scipy import stats

        alpha = aux_column(aux, "alpha")
        return stats.nbinom.isf(q, alpha, alpha / (alpha + mean))


HURDLE_NEGATIVE_BINOMIAL = HurdleNegativeBinomial()
