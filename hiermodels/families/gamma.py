"""The gamma family: positive continuous responses (costs, durations) on the log link.

``y ~ Gamma(shape, rate = shape / mu)`` with mean ``mu = exp(eta)`` and ``var = mu² /
shape`` (brms's ``Gamma(link = "log")``, glmmTMB's ``Gamma(link = "log")``, whose
dispersion is ``1 / shape``). PyMC's ``Gamma`` takes ``alpha = shape`` and ``beta =
shape / mu``.

``shape`` has the prior ``LogNormal(2.3, 2)`` (median 10, 95% between 0.2 and 500, see
:data:`hiermodels.families.beta.PRECISION_PRIOR`): it allows both very skewed responses
(shape < 1) and nearly normal ones. The variance partition uses the residual variance
``trigamma(shape)`` on the log scale (Nakagawa, Johnson & Schielzeth 2017, *J. R. Soc.
Interface* 14: 20170213), the variance of ``log y`` given ``mu``.

Examples
--------
>>> import numpy as np
>>> ll = GAMMA.log_likelihood("log", eta=np.zeros((1, 1, 1)), y=np.array([1.0]),
...                           trials=None, aux={"shape": np.ones((1, 1))})
>>> np.round(np.exp(ll), 4)  # shape 1: exponential with mean 1
array([[[0.3679]]])
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.families.beta import PRECISION_PRIOR
from hiermodels.spec.priors import Prior

__all__ = ["GAMMA", "Gamma"]


class Gamma(Family):
    """Positive responses with mean ``exp(eta)`` and coefficient of variation
    ``1 / sqrt(shape)``."""

    name = "gamma"
    links = ("log",)
    parameters = ("shape",)
    support = "positive"
    response_scale = False
    parameter_meanings = MappingProxyType(
        {"shape": "shape: var = mu^2 / shape (glmmTMB's dispersion is 1 / shape)"}
    )

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "shape":
            return PRECISION_PRIOR
        return super().default_prior(parameter, scale=scale)

    def pymc_distribution(self, *, eta, link, aux, trials):
        """An unregistered ``pm.Gamma.dist`` with one element per element of ``eta``."""
        import pymc as pm
        import pytensor.tensor as pt

        shape = aux["shape"]
        return pm.Gamma.dist(alpha=shape, beta=shape * pt.exp(-eta))

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm
        import pytensor.tensor as pt

        shape = aux["shape"]
        return pm.Gamma(name, alpha=shape, beta=shape * pt.exp(-eta), observed=observed, dims=dims)

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import stats

        shape = aux_column(aux, "shape")
        return stats.gamma.logpdf(y, shape, scale=np.exp(eta) / shape)

    def log_cdf(self, link, *, eta, y, trials, aux):
        """``log P(Y <= y)`` per draw and row, shape of ``eta``."""
        from scipy import stats

        shape = aux_column(aux, "shape")
        return stats.gamma.logcdf(y, shape, scale=np.exp(eta) / shape)

    def working_variance(self, mu, y, trials):
        # shape by moments around the pooled fit (1 / squared coefficient of variation);
        # the group effects' spread counts as noise, lowering the weights (the safe side).
        cv2 = float(np.mean(((y - mu) / mu) ** 2))
        shape = float(np.clip(1.0 / cv2, 0.01, 1e6)) if cv2 > 0 else 1e6
        return mu**2 / shape

    def draw_response(self, mean, aux, *, trials, rng):
        shape = aux_column(aux, "shape")
        return rng.gamma(shape, mean / shape)

    def latent_residual_variance(self, link, posterior):
        from scipy import special

        return special.polygamma(1, posterior["shape"].values)


GAMMA = Gamma()
