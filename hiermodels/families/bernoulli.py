"""The Bernoulli family: a 0/1 (or boolean) response, ``y ~ Bernoulli(p)`` with
``p = inverse_link(eta)`` for the logit (default), probit or cloglog link.

The binomial family with one trial per row; its log density and latent residual
variance are the binomial ones.

Examples
--------
>>> import numpy as np
>>> y = BERNOULLI.draw_response(np.full((1, 1, 3), 0.5), {}, trials=None,
...                             rng=np.random.default_rng(0))
>>> y.dtype, bool(np.isin(y, (0, 1)).all())
(dtype('int64'), True)
"""

from __future__ import annotations

import numpy as np

from hiermodels.families.base import Family
from hiermodels.families.binomial import BINARY_LINKS, binomial_log_likelihood, latent_variance
from hiermodels.families.links import inverse_link_tensor

__all__ = ["BERNOULLI", "Bernoulli"]


class Bernoulli(Family):
    """One yes/no outcome per row."""

    name = "bernoulli"
    links = BINARY_LINKS
    support = "binary"
    response_scale = False

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        if link == "logit":
            return pm.Bernoulli(name, logit_p=eta, observed=observed, dims=dims)
        return pm.Bernoulli(name, p=inverse_link_tensor(link, eta), observed=observed, dims=dims)

    def working_variance(self, mu, y, trials):
        return mu * (1 - mu)

    def log_likelihood(self, link, *, eta, y, trials, aux):
        return binomial_log_likelihood(link, eta, y, None)

    def draw_response(self, mean, aux, *, trials, rng):
        return rng.binomial(1, np.clip(mean, 0.0, 1.0)).astype(np.int64)

    def latent_residual_variance(self, link, posterior):
        return latent_variance(link)


BERNOULLI = Bernoulli()
