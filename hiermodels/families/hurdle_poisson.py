"""The hurdle Poisson family: zeros from one process, positive counts from another.

``P(y = 0) = hu``; a positive count follows the zero-truncated ``Poisson(mu)``,
``mu = exp(eta)``: ``P(y = k) = (1 - hu) Poisson(k | mu) / (1 - exp(-mu))`` for ``k >= 1``.
So ``E[y] = (1 - hu) mu / (1 - exp(-mu))``. ``hu`` is one constant probability (brms's
``hu``, glmmTMB's ``truncated_poisson`` with ``ziformula = ~1``). PyMC's
``HurdlePoisson`` (``psi = 1 - hu``) has this density, but its draws fail for tiny
``mu``; the likelihood is a ``pm.CustomDist`` with the same density instead.

``hu`` has the prior ``Beta(1, 1)`` (brms's default); the share of zeros in the data
pins it down. The variance partition (ICC, R²) is not defined.

Examples
--------
>>> import numpy as np
>>> ll = HURDLE_POISSON.log_likelihood(
...     "log", eta=np.zeros((1, 1, 2)), y=np.array([0.0, 1.0]), trials=None,
...     aux={"hu": np.full((1, 1), 0.3)})
>>> np.round(np.exp(ll), 4)  # 0.3 and 0.7 e^-1 / (1 - e^-1)
array([[[0.3   , 0.4074]]])
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.families.poisson import POISSON
from hiermodels.spec.priors import Prior

__all__ = ["HURDLE_POISSON", "HurdlePoisson", "log1mexp"]

#: Rounds of redrawing the zeros of the count component before the rest are drawn by
#: inversion (:meth:`HurdlePoisson.positive_draws`).
REDRAWS = 3


def log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate near 0 and far below it."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        near = np.log(-np.expm1(x))
        far = np.log1p(-np.exp(x))
    return np.where(x > -np.log(2.0), near, far)


class HurdlePoisson(Family):
    """Zeros with probability ``hu``; otherwise a zero-truncated Poisson count."""

    name = "hurdle_poisson"
    links = ("log",)
    parameters = ("hu",)
    support = "count"
    response_scale = False
    parameter_meanings = MappingProxyType(
        {"hu": "hurdle probability: P(y = 0); positive counts are zero-truncated"}
    )
    #: The count component: its NumPy density and draws are reused here.
    count: Family = POISSON

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "hu":
            return Prior("Beta", alpha=1.0, beta=1.0)
        if parameter in self.count.parameters:  # alpha of the negative binomial forms
            return self.count.default_prior(parameter, scale=scale)
        return super().default_prior(parameter, scale=scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        """A ``pm.CustomDist`` with the hurdle density and NumPy draws.

        PyMC's ``HurdlePoisson`` draws its truncated counts by rejection and fails
        ("Truncation did not converge") when a prior draw makes ``mu`` tiny; this one
        draws them as :meth:`positive_draws` does, and its density is the same (``psi``
        of PyMC's is ``1 - hu``).
        """
        import pymc as pm
        import pytensor.tensor as pt

        names = self.parameters

        def logp(value, mu, *values):
            params = dict(zip(names, values, strict=True))
            count, log_p0 = self.count_logp_tensor(value, mu, params)
            hu = params["hu"]
            positive = pt.log1p(-hu) + count - pt.log1mexp(log_p0)
            return pt.switch(pt.eq(value, 0), pt.log(hu), positive)

        def random(mu, *values, rng=None, size=None):
            # The family's parameters are scalars (PyMC passes them broadcast to (1,)).
            params = {k: np.squeeze(v) for k, v in zip(names, values, strict=True)}
            mean = np.broadcast_to(np.asarray(mu, dtype=float), size or np.shape(mu))
            positive = self.positive_draws(mean, params, rng)
            zero = rng.random(mean.shape) < params["hu"]
            return np.where(zero, 0, positive).astype(np.int64)

        return pm.CustomDist(
            name,
            pt.exp(eta),
            *(aux[p] for p in names),
            logp=logp,
            random=random,
            observed=observed,
            dims=dims,
            dtype="int64",
        )

    def count_logp_tensor(self, value, mu, params):
        """The count component's log density at ``value`` and at 0 (PyTensor)."""
        import pymc as pm

        return pm.logp(pm.Poisson.dist(mu=mu), value), -mu

    def log_zero(self, link: str, eta: np.ndarray, aux) -> np.ndarray:
        """``log P(0 | mu)`` of the count component, shape of ``eta``."""
        zeros = np.zeros(eta.shape[-1])
        return self.count.log_likelihood(link, eta=eta, y=zeros, trials=None, aux=aux)

    def log_likelihood(self, link, *, eta, y, trials, aux):
        hu = aux_column(aux, "hu")
        count = self.count.log_likelihood(link, eta=eta, y=y, trials=None, aux=aux)
        positive = np.log1p(-hu) + count - log1mexp(self.log_zero(link, eta, aux))
        with np.errstate(divide="ignore"):
            log_hu = np.log(hu)
        return np.where(y == 0, log_hu, positive)

    def expected_value(self, link, *, eta, aux, trials):
        hu = aux_column(aux, "hu")
        return (1.0 - hu) * np.exp(eta - log1mexp(self.log_zero(link, eta, aux)))

    def positive_inverse(self, q: np.ndarray, mean: np.ndarray, aux) -> np.ndarray:
        """The count component's inverse survival function at ``q``."""
        from scipy import stats

        return stats.poisson.isf(q, mean)

    def positive_draws(self, mean, aux, rng) -> np.ndarray:
        """Zero-truncated draws of the count component with mean ``mean`` (before
        truncation): zeros are redrawn a few times, the rest drawn by inversion."""
        draws = self.count.draw_response(mean, aux, trials=None, rng=rng)
        for _ in range(REDRAWS):
            zero = draws == 0
            if not zero.any():
                return draws
            draws[zero] = self.count.draw_response(mean, aux, trials=None, rng=rng)[zero]
        zero = draws == 0
        if zero.any():
            log_p0 = self.log_zero("log", np.log(mean), aux)
            survival = -np.expm1(log_p0)
            q = (1.0 - rng.random(mean.shape)) * survival
            # the inverse (scipy's, slow) only where zeros remain, as (1, 1, n) arrays
            rows = np.nonzero(zero)
            params = {
                k: np.broadcast_to(aux_column(aux, k), mean.shape)[rows][None, None, :] for k in aux
            }
            full = self.positive_inverse(q[rows][None, None, :], mean[rows][None, None, :], params)
            draws[rows] = np.maximum(np.nan_to_num(full[0, 0], posinf=1.0), 1.0)
        return draws

    def draw_response(self, mean, aux, *, trials, rng):
        """``0`` with probability ``hu``, else a zero-truncated count whose untruncated
        mean is ``mean`` (the inverse link, as :meth:`expected_value` explains)."""
        positive = self.positive_draws(mean, aux, rng)
        zero = rng.random(mean.shape) < aux_column(aux, "hu")
        return np.where(zero, 0, positive).astype(np.int64)


HURDLE_POISSON = HurdlePoisson()
