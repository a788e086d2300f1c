"""The Student-t family: ``y ~ StudentT(nu, eta, sigma)`` on the identity link.

A gaussian model with heavy tails, robust to outliers. It has no single residual
variance, so the variance partition (ICC, R²) refuses it.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = STUDENT_T.draw_response(np.zeros((1, 4000, 1)), {"sigma": np.ones((1, 4000)),
...                             "nu": np.full((1, 4000), 5.0)}, trials=None, rng=rng)
>>> bool(abs(y.var() - 5 / 3) < 0.2)
True
"""

from __future__ import annotations

from types import MappingProxyType

from hiermodels.families.base import Family, aux_column
from hiermodels.spec.priors import Prior

__all__ = ["STUDENT_T", "StudentT"]


class StudentT(Family):
    """Student-t response: scale ``sigma`` (prior ``Exponential(1 / sd(y))``) and degrees
    of freedom ``nu`` (prior ``Gamma(2, 0.1)``, Juarez & Steel 2010)."""

    name = "student_t"
    links = ("identity",)
    parameters = ("sigma", "nu")
    support = "real"
    response_scale = True
    # Heavy tails inflate the pilot's residual variance, so the pilot errs towards the
    # non-centred choice, which is the safe one when the data are weak.
    reml_pilot = True
    parameter_meanings = MappingProxyType({"nu": "degrees of freedom (Student-t)"})

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "sigma":
            return Prior("Exponential", lam=1.0 / scale)
        if parameter == "nu":
            return Prior("Gamma", alpha=2.0, beta=0.1)
        return super().default_prior(parameter, scale=scale)

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        return pm.StudentT(
            name, nu=aux["nu"], mu=eta, sigma=aux["sigma"], observed=observed, dims=dims
        )

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import stats

        return stats.t.logpdf(y, df=aux_column(aux, "nu"), loc=eta, scale=aux_column(aux, "sigma"))

    def draw_response(self, mean, aux, *, trials, rng):
        return mean + aux_column(aux, "sigma") * rng.standard_t(
            aux_column(aux, "nu"), size=mean.shape
        )


STUDENT_T = StudentT()
