"""The beta family: proportions strictly between 0 and 1, on the logit link.

``y ~ Beta(mu phi, (1 - mu) phi)`` with ``mu = logistic(eta)`` the mean and ``phi`` the
precision: ``var = mu (1 - mu) / (1 + phi)`` (brms's ``Beta``, glmmTMB's ``beta_family``,
betareg). PyMC's ``Beta(mu, nu)`` has ``nu = phi``; the likelihood is written with
``alpha = mu phi`` and ``beta = (1 - mu) phi``. A response of exactly 0 or 1 is refused
(a zero-one-inflated beta would be needed).

``phi`` has the prior ``LogNormal(2.3, 2)``: median 10, 95% between 0.2 and 500, so it
spans very noisy to very precise proportions on the log scale, where a ``Gamma(2, 0.1)``
would pull a precision of a few hundred far down. The variance partition (ICC, R²) is not
defined for it: the residual variance on the logit scale depends on the mean (there is no
constant latent error as for the binary links).

Examples
--------
>>> import numpy as np
>>> ll = BETA.log_likelihood("logit", eta=np.zeros((1, 1, 1)), y=np.array([0.5]),
...                          trials=None, aux={"phi": np.full((1, 1), 2.0)})
>>> np.round(np.exp(ll), 4)  # Beta(1, 1) is uniform
array([[[1.]]])
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.spec.priors import Prior

__all__ = ["BETA", "PRECISION_PRIOR", "Beta"]

#: The default prior of a precision (beta's ``phi``, gamma's ``shape``): log-normal with
#: median 10 and 95% of its mass between 0.2 and 500.
PRECISION_PRIOR = Prior("LogNormal", mu=2.3, sigma=2.0)


class Beta(Family):
    """Proportions with mean ``logistic(eta)`` and precision ``phi``."""

    name = "beta"
    links = ("logit",)
    parameters = ("phi",)
    support = "unit_interval"
    response_scale = False
    parameter_meanings = MappingProxyType({"phi": "precision: var = mu (1 - mu) / (1 + phi)"})

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "phi":
            return PRECISION_PRIOR
        return super().default_prior(parameter, scale=scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        phi = aux["phi"]
        return pm.Beta(
            name,
            alpha=pm.math.invlogit(eta) * phi,
            beta=pm.math.invlogit(-eta) * phi,
            observed=observed,
            dims=dims,
        )

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import special, stats

        phi = aux_column(aux, "phi")
        return stats.beta.logpdf(y, special.expit(eta) * phi, special.expit(-eta) * phi)

    def working_variance(self, mu, y, trials):
        # phi by moments around the pooled fit; the group effects' spread counts as
        # noise, which lowers phi and the weights (the safe, non-centred side).
        excess = float(np.mean((y - mu) ** 2))
        spread = float(np.mean(mu * (1 - mu)))
        phi = float(np.clip(spread / excess - 1.0, 0.1, 1e6)) if excess > 0 else 1e6
        return mu * (1 - mu) / (1 + phi)

    def draw_response(self, mean, aux, *, trials, rng):
        phi = aux_column(aux, "phi")
        mean = np.clip(mean, 1e-12, 1 - 1e-12)
        return rng.beta(mean * phi, (1 - mean) * phi)


BETA = Beta()
