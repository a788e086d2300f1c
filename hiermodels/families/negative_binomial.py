"""The negative binomial family: overdispersed counts on the log link.

``y ~ NegativeBinomial(mu = exp(eta), alpha)``, with ``var = mu + mu² / alpha`` (lme4's
theta, brms's shape); ``alpha`` has the prior ``Gamma(2, 0.1)``, weak, keeping it off 0.

Examples
--------
>>> import numpy as np
>>> ll = NEGATIVE_BINOMIAL.log_likelihood("log", eta=np.zeros((1, 1, 1)), y=np.array([0.0]),
...                                       trials=None, aux={"alpha": np.ones((1, 1))})
>>> np.round(np.exp(ll), 4)
array([[[0.5]]])
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.spec.priors import Prior

__all__ = ["NEGATIVE_BINOMIAL", "NegativeBinomial"]


class NegativeBinomial(Family):
    """Counts whose variance grows with the square of the mean."""

    name = "negative_binomial"
    links = ("log",)
    parameters = ("alpha",)
    support = "count"
    response_scale = False
    parameter_meanings = MappingProxyType(
        {"alpha": "dispersion: var = mu + mu^2 / alpha (lme4's theta, brms's shape)"}
    )

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "alpha":
            return Prior("Gamma", alpha=2.0, beta=0.1)
        return super().default_prior(parameter, scale=scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.NegativeBinomial(
            name, mu=pt.exp(eta), alpha=aux["alpha"], observed=observed, dims=dims
        )

    def working_variance(self, mu, y, trials):
        # alpha by moments around the pooled fit: the group effects' spread counts as
        # overdispersion, which lowers the weights (the safe, non-centred side).
        excess = float(np.sum((y - mu) ** 2 - mu))
        alpha = float(np.clip(np.sum(mu**2) / excess, 0.1, 1e6)) if excess > 0 else 1e6
        return mu + mu**2 / alpha

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import stats

        alpha = aux_column(aux, "alpha")
        mu = np.exp(eta)
        return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))

    def pymc_distribution(self, *, eta, link, aux, trials):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.NegativeBinomial.dist(mu=pt.exp(eta), alpha=aux["alpha"])

    def log_cdf(self, link, *, eta, y, trials, aux):
        from scipy import stats

        alpha = aux_column(aux, "alpha")
        return stats.nbinom.logcdf(y, alpha, alpha / (alpha + np.exp(eta)))

    def log_survival(self, link, *, eta, y, trials, aux):
        from scipy import stats

        alpha = aux_column(aux, "alpha")
        return stats.nbinom.logsf(y, alpha, alpha / (alpha + np.exp(eta)))

    def draw_response(self, mean, aux, *, trials, rng):
        alpha = aux_column(aux, "alpha")
        return rng.negative_binomial(alpha, alpha / (alpha + mean)).astype(np.int64)


NEGATIVE_BINOMIAL = NegativeBinomial()
