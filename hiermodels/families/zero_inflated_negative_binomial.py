"""The zero-inflated negative binomial family: overdispersed counts with structural zeros.

``y = 0`` with probability ``zi``, otherwise ``y ~ NegativeBinomial(mu = exp(eta),
alpha)`` with ``var = mu + mu² / alpha`` (glmmTMB's ``nbinom2``, brms's
``zero_inflated_negbinomial``); ``E[y] = (1 - zi) mu``. PyMC's
``ZeroInflatedNegativeBinomial`` has ``psi = 1 - zi``.

Priors: ``zi ~ Beta(1, 1)`` as for the zero-inflated Poisson, ``alpha ~ Gamma(2, 0.1)`` as
for the negative binomial. The variance partition (ICC, R²) is not defined.

Examples
--------
>>> import numpy as np
>>> ll = ZERO_INFLATED_NEGATIVE_BINOMIAL.log_likelihood(
...     "log", eta=np.zeros((1, 1, 1)), y=np.array([0.0]), trials=None,
...     aux={"zi": np.full((1, 1), 0.5), "alpha": np.ones((1, 1))})
>>> np.round(np.exp(ll), 4)  # 0.5 + 0.5 * 0.5
array([[[0.75]]])
"""

from __future__ import annotations

from types import MappingProxyType

from hiermodels.families.negative_binomial import NEGATIVE_BINOMIAL
from hiermodels.families.zero_inflated_poisson import ZeroInflatedPoisson

__all__ = ["ZERO_INFLATED_NEGATIVE_BINOMIAL", "ZeroInflatedNegativeBinomial"]


class ZeroInflatedNegativeBinomial(ZeroInflatedPoisson):
    """A mixture of structural zeros (probability ``zi``) and negative binomial counts."""

    name = "zero_inflated_negative_binomial"
    parameters = ("zi", "alpha")
    parameter_meanings = MappingProxyType(
        {
            "zi": "zero-inflation probability: P(structural zero); E[y] = (1 - zi) exp(eta)",
            "alpha": "dispersion of the counts: var = mu + mu^2 / alpha (glmmTMB nbinom2)",
        }
    )
    count = NEGATIVE_BINOMIAL

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.ZeroInflatedNegativeBinomial(
            name,
            psi=1.0 - aux["zi"],
            mu=pt.exp(eta),
            alpha=aux["alpha"],
            observed=observed,
            dims=dims,
        )


ZERO_INFLATED_NEGATIVE_BINOMIAL = ZeroInflatedNegativeBinomial()
