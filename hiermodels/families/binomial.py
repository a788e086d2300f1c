"""The binomial family: ``y ~ Binomial(n, p)``, ``y | trials(n) ~ ...``, with
``p = inverse_link(eta)`` for the logit (default), probit or cloglog link.

The variance partition (ICC, R²) is on the latent scale: the residual variance is that
of the link's standard latent error (:data:`hiermodels.families.links.LATENT_VARIANCE`).

Examples
--------
>>> import numpy as np
>>> ll = BINOMIAL.log_likelihood("logit", eta=np.zeros((1, 1, 1)), y=np.array([1.0]),
...                              trials=np.array([2.0]), aux={})
>>> np.round(np.exp(ll), 4)
array([[[0.5]]])
"""

from __future__ import annotations

import numpy as np

from hiermodels.errors import DataError
from hiermodels.families.base import Family
from hiermodels.families.links import LATENT_VARIANCE, inverse_link, inverse_link_tensor

__all__ = ["BINOMIAL", "Binomial", "binomial_log_likelihood"]

BINARY_LINKS = ("logit", "probit", "cloglog")


def binomial_log_likelihood(
    link: str, eta: np.ndarray, y: np.ndarray, trials: np.ndarray | None
) -> np.ndarray:
    """Binomial log density of ``y`` successes in ``trials`` (1 when ``None``) per draw."""
    from scipy import special

    if link == "logit":
        log_p, log_q = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
    else:
        p = np.clip(inverse_link(link, eta), 1e-300, 1 - 1e-16)
        log_p, log_q = np.log(p), np.log1p(-p)
    n = np.ones_like(y) if trials is None else trials
    log_choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    return log_choose + y * log_p + (n - y) * log_q


def latent_variance(link: str) -> np.float64:
    """The residual variance on the latent scale of a binary-response link."""
    return np.float64(LATENT_VARIANCE[link])


class Binomial(Family):
    """Successes out of a known number of trials per row."""

    name = "binomial"
    links = BINARY_LINKS
    support = "bounded_count"
    response_scale = False
    needs_trials = True

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        if link == "logit":
            return pm.Binomial(name, n=trials, logit_p=eta, observed=observed, dims=dims)
        p = inverse_link_tensor(link, eta)
        return pm.Binomial(name, n=trials, p=p, observed=observed, dims=dims)

    def working_variance(self, mu, y, trials):
        return mu * (1 - mu) / trials

    def log_likelihood(self, link, *, eta, y, trials, aux):
        return binomial_log_likelihood(link, eta, y, trials)

    def draw_response(self, mean, aux, *, trials, rng):
        if trials is None:
            raise DataError("Binomial draws need the number of trials.")
        n = np.broadcast_to(trials.astype(np.int64), mean.shape)
        return rng.binomial(n, np.clip(mean, 0.0, 1.0)).astype(np.int64)

    def latent_residual_variance(self, link, posterior):
        return latent_variance(link)


BINOMIAL = Binomial()
