"""The priors the Gibbs sampler evaluates: scale priors as log-densities, and the Normal
(or Flat) prior of each fixed coefficient as a mean and a precision."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hiermodels.errors import PriorError
from hiermodels.spec.priors import Prior

__all__ = ["SCALE_PRIORS", "normal_prior", "scale_log_prior"]


def _half_normal(x, sigma=None, tau=None):
    s2 = sigma**2 if sigma is not None else 1.0 / tau
    return -0.5 * x**2 / s2


def _exponential(x, lam=None, scale=None):
    return -x * (lam if lam is not None else 1.0 / scale)


def _half_student_t(x, nu, sigma=None, lam=None):
    s2 = sigma**2 if sigma is not None else 1.0 / lam
    return -0.5 * (nu + 1.0) * np.log1p(x**2 / (nu * s2))


def _half_cauchy(x, beta):
    return -np.log1p((x / beta) ** 2)


def _gamma(x, alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha, beta = mu**2 / sigma**2, mu / sigma**2
    return (alpha - 1.0) * np.log(x) - beta * x


def _inverse_gamma(x, alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha = mu**2 / sigma**2 + 2.0
        beta = mu * (alpha - 1.0)
    return -(alpha + 1.0) * np.log(x) - beta / x


def _log_normal(x, mu=0.0, sigma=None, tau=None):
    s2 = sigma**2 if sigma is not None else 1.0 / tau
    lx = np.log(x)
    return -lx - 0.5 * (lx - mu) ** 2 / s2


def _uniform(x, lower=0.0, upper=1.0):
    return np.where((x > lower) & (x < upper), 0.0, -np.inf)


def _half_flat(x):
    return np.zeros_like(x)


#: Priors for a positive scale (a group SD or ``sigma``) that the Gibbs sampler
#: evaluates, as log-densities up to a constant, with the parameter names of PyMC.
SCALE_PRIORS: dict[str, Callable] = {
    "HalfNormal": _half_normal,
    "Exponential": _exponential,
    "HalfStudentT": _half_student_t,
    "HalfCauchy": _half_cauchy,
    "Gamma": _gamma,
    "InverseGamma": _inverse_gamma,
    "LogNormal": _log_normal,
    "Uniform": _uniform,
    "HalfFlat": _half_flat,
}


def scale_log_prior(key: str, prior: Prior) -> Callable[[np.ndarray], np.ndarray]:
    """The log-density (up to a constant) of a scale prior, as a function of the scale.

    Examples
    --------
    >>> f = scale_log_prior("sigma", Prior("HalfNormal", sigma=2.0))
    >>> float(f(np.array(2.0)))
    -0.5
    """
    density = SCALE_PRIORS.get(prior.dist)
    if density is None:
        raise PriorError(
            f"method='gibbs' cannot use the prior {prior} for {key!r}; it supports "
            f"{sorted(SCALE_PRIORS)} for SDs and sigma. Use method='auto' for other priors."
        )
    params = {k: float(v) for k, v in prior.params.items()}
    try:
        density(np.array(1.0), **params)
    except TypeError:
        raise PriorError(
            f"method='gibbs' cannot read the parameters of {prior} for {key!r}."
        ) from None
    return lambda x: density(x, **params)


def normal_prior(key: str, prior: Prior) -> tuple[float, float]:
    """(mean, precision) of a fixed coefficient's prior: Normal, or Flat (precision 0)."""
    if prior.dist == "Flat":
        return 0.0, 0.0
    params = prior.params
    if prior.dist == "Normal" and "sigma" in params:
        return float(params.get("mu", 0.0)), 1.0 / float(params["sigma"]) ** 2
    if prior.dist == "Normal" and "tau" in params:
        return float(params.get("mu", 0.0)), float(params["tau"])
    raise PriorError(
        f"method='gibbs' needs a Normal (or Flat) prior on the fixed coefficient {key!r}, "
        f"got {prior}. Use method='auto' for other priors."
    )
