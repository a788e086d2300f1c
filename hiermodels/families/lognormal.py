"""The lognormal family: ``log y ~ Normal(eta, sigma)``, the identity link on the log scale.

``eta`` and the coefficients are on the scale of ``log y`` (brms's ``lognormal``,
glmmTMB's ``lognormal`` has another parameterisation, lme4's ``lmer(log(y) ~ ...)`` the
same model). The mean of ``y`` is ``exp(eta + sigma² / 2)`` (``fit.predict(kind="mean")``);
``exp(eta)`` is its median.

Default priors are set on the log scale: the intercept at the mean of ``log y``, scales
by the SD of ``log y`` (:meth:`~hiermodels.families.Family.linear_scale_response`),
``sigma ~ Exponential(1 / sd(log y))`` as for the gaussian; ``parameterization="auto"``
asks the REML fit of ``log y``. The variance partition uses ``sigma²``, on the log
scale.

Examples
--------
>>> import numpy as np
>>> fam = LOGNORMAL
>>> bool(np.allclose(fam.expected_value("identity", eta=np.zeros((1, 1, 1)), trials=None,
...                                     aux={"sigma": np.ones((1, 1))}), np.exp(0.5)))
True
"""

from __future__ import annotations

import numpy as np

from hiermodels.families.base import Family, aux_column
from hiermodels.spec.priors import Prior

__all__ = ["LOGNORMAL", "Lognormal"]


class Lognormal(Family):
    """Positive responses whose logarithm is normal with mean ``eta`` and SD ``sigma``."""

    name = "lognormal"
    links = ("identity",)
    parameters = ("sigma",)
    support = "positive"
    response_scale = True
    # The REML pilot of parameterization="auto" fits log y (linear_scale_response).
    reml_pilot = True

    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "sigma":
            return Prior("Exponential", lam=1.0 / scale)
        return super().default_prior(parameter, scale=scale)

    def linear_scale_response(self, y: np.ndarray) -> np.ndarray:
        return np.log(y)

    def pymc_distribution(self, *, eta, link, aux, trials):
        """An unregistered ``pm.LogNormal.dist`` with one element per element of ``eta``."""
        import pymc as pm

        return pm.LogNormal.dist(mu=eta, sigma=aux["sigma"])

    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        return pm.LogNormal(name, mu=eta, sigma=aux["sigma"], observed=observed, dims=dims)

    def log_likelihood(self, link, *, eta, y, trials, aux):
        from scipy import stats

        log_y = np.log(y)
        return stats.norm.logpdf(log_y, loc=eta, scale=aux_column(aux, "sigma")) - log_y

    def log_cdf(self, link, *, eta, y, trials, aux):
        """``log P(Y <= y)`` per draw and row, shape of ``eta``."""
        from scipy import stats

        return stats.norm.logcdf((np.log(y) - eta) / aux_column(aux, "sigma"))

    def expected_value(self, link, *, eta, aux, trials):
        return np.exp(eta + aux_column(aux, "sigma") ** 2 / 2)

    def draw_response(self, mean, aux, *, trials, rng):
        """``exp`` of a normal draw around ``mean``, which is ``eta`` (the mean of
        ``log y``), not the mean of ``y``."""
        return np.exp(rng.normal(mean, aux_column(aux, "sigma")))

    def latent_residual_variance(self, link, posterior):
        return posterior["sigma"].values ** 2


LOGNORMAL = Lognormal()
