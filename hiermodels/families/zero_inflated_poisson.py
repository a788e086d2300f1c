"""The zero-inflated Poisson family: counts with structural zeros on the log link.

``y = 0`` with probability ``zi`` (a structural zero), otherwise ``y ~ Poisson(mu)`` with
``mu = exp(eta)``; so ``P(y = 0) = zi + (1 - zi) exp(-mu)`` and ``E[y] = (1 - zi) mu``.
``zi`` is one constant probability (brms's ``zi``, glmmTMB's ``ziformula = ~1``). PyMC's
``ZeroInflatedPoisson`` has ``psi = 1 - zi``, the probability of the count component.

``zi`` has the prior ``Beta(1, 1)`` (brms's default): uniform, so that a model without
excess zeros can put ``zi`` near 0. The variance partition (ICC, R²) is not defined.

Examples
--------
>>> import numpy as np
>>> ll = ZERO_INFLATED_POISSON.log_likelihood(
...     "log", eta=np.zeros((1, 1, 2)), y=np.array([0.0, 1.0]), trials=None,
...     aux={"zi": np.full((1, 1), 0.5)})
>>> np.round(np.exp(ll), 4)  # 0.5 + 0.5 e^-1 and 0.5 e^-1
array([[[0.6839, 0.1839]]])
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.families.poisson import POISSON
from hiermodels.spec.priors import Prior

__all__ = ["ZERO_INFLATED_POISSON", "ZeroInflatedPoisson"]


class ZeroInflatedPoisson(Family):
    """A mixture of structural zeros (probability ``zi``) and Poisson counts."""

    name = "zero_inflated_poisson"
    links = ("log",)
    parameters = ("zi",)
    support = "count"
    response_scale = False
    parameter_meanings = MappingProxyType(
        {"zi": "zero-inflation probability: P(structural zero); E[y] = (1 - zi) exp(eta)"}
    )
    #: The count component: its NumPy density and draws are reused here.
    count: Family = POISSON

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "zi":
            return Prior("Beta", alpha=1.0, beta=1.0)
        if parameter in self.count.parameters:  # alpha of the negative binomial forms
            return self.count.default_prior(parameter, scale=scale)
        return super().default_prior(parameter, scale=scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.ZeroInflatedPoisson(
            name, psi=1.0 - aux["zi"], mu=pt.exp(eta), observed=observed, dims=dims
        )

    def log_likelihood(self, link, *, eta, y, trials, aux):
        zi = aux_column(aux, "zi")
        count = self.count.log_likelihood(link, eta=eta, y=y, trials=None, aux=aux)
        with np.errstate(divide="ignore"):
            log_zi = np.log(zi)
        positive = np.log1p(-zi) + count
        return np.where(y == 0, np.logaddexp(log_zi, positive), positive)

    def expected_value(self, link, *, eta, aux, trials):
        return (1.0 - aux_column(aux, "zi")) * np.exp(eta)

    def draw_response(self, mean, aux, *, trials, rng):
        """Count draws with mean ``mean`` (the count component's), zeroed with prob. ``zi``."""
        counts = self.count.draw_response(mean, aux, trials=None, rng=rng)
        structural = rng.random(mean.shape) < aux_column(aux, "zi")
        return np.where(structural, 0, counts).astype(np.int64)


ZERO_INFLATED_POISSON = ZeroInflatedPoisson()
