"""The Poisson family: ``y ~ Poisson(exp(eta))`` for counts, on the log link.

Counts over different exposures take an offset, ``offset(log(exposure))``. The variance
partition (ICC, R²) is not defined for it.

Examples
--------
>>> import numpy as np
>>> y = POISSON.draw_response(np.full((1, 2000, 1), 3.0), {}, trials=None,
...                           rng=np.random.default_rng(0))
>>> bool(abs(y.mean() - 3.0) < 0.2), y.dtype
(True, dtype('int64'))
"""

from __future__ import annotations

import numpy as np

from hiermodels.families.base import Family

__all__ = ["POISSON", "Poisson"]


class Poisson(Family):
    """Counts with variance equal to the mean."""

    name = "poisson"
    links = ("log",)
    support = "count"
    response_scale = False

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.Poisson(name, mu=pt.exp(eta), observed=observed, dims=dims)

    def working_variance(self, mu, y, trials):
        return mu

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import stats

        return stats.poisson.logpmf(y, np.exp(eta))

    def pymc_distribution(self, *, eta, link, aux, trials):
        import pymc as pm
        import pytensor.tensor as pt

        return pm.Poisson.dist(mu=pt.exp(eta))

    def log_cdf(self, link, *, eta, y, trials, aux):
        from scipy import stats

        return stats.poisson.logcdf(y, np.exp(eta))

    def log_survival(self, link, *, eta, y, trials, aux):
        from scipy import stats

        return stats.poisson.logsf(y, np.exp(eta))

    def draw_response(self, mean, aux, *, trials, rng):
        return rng.poisson(mean).astype(np.int64)


POISSON = Poisson()
