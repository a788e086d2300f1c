"""The priors the Gibbs sampler evaluates: each scale prior as a code and three numbers
for the compiled log-density (:func:`hiermodels.gibbs.kernels.log_prior`), and the
Normal (or Flat) prior of each fixed coefficient as a mean and a precision."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import hiermodels.gibbs.kernels as D
from hiermodels.errors import PriorError
from hiermodels.spec.priors import Prior

__all__ = ["SCALE_PRIORS", "normal_prior", "scale_log_prior", "scale_prior"]


def _half_normal(sigma=None, tau=None):
    return D.HALF_NORMAL, (sigma**2 if sigma is not None else 1.0 / tau,)


def _exponential(lam=None, scale=None):
    return D.EXPONENTIAL, (lam if lam is not None else 1.0 / scale,)


def _half_student_t(nu, sigma=None, lam=None):
    return D.HALF_STUDENT_T, (nu, sigma**2 if sigma is not None else 1.0 / lam)


def _half_cauchy(beta):
    return D.HALF_CAUCHY, (beta,)


def _gamma(alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha, beta = mu**2 / sigma**2, mu / sigma**2
    return D.GAMMA, (alpha, beta)


def _inverse_gamma(alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha = mu**2 / sigma**2 + 2.0
        beta = mu * (alpha - 1.0)
    return D.INVERSE_GAMMA, (alpha, beta)


def _log_normal(mu=0.0, sigma=None, tau=None):
    return D.LOG_NORMAL, (mu, sigma**2 if sigma is not None else 1.0 / tau)


def _uniform(lower=0.0, upper=1.0):
    return D.UNIFORM, (lower, upper)


def _half_flat():
    return D.HALF_FLAT, ()


#: Priors for a positive scale (a group SD or ``sigma``) that the Gibbs sampler
#: evaluates, with the parameter names of PyMC. Each entry maps those parameters to the
#: code and numbers of :func:`hiermodels.gibbs.kernels.log_prior`, which evaluates the
#: log-density up to a constant.
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


def scale_prior(key: str, prior: Prior) -> tuple[int, np.ndarray]:
    """The code and the three numbers of a scale prior for the compiled sampler.

    Examples
    --------
    >>> code, numbers = scale_prior("sigma", Prior("HalfNormal", sigma=2.0))
    >>> numbers.tolist()  # the prior's variance
    [4.0, 0.0, 0.0]
    """
    to_numbers = SCALE_PRIORS.get(prior.dist)
    if to_numbers is None:
        raise PriorError(
            f"method='gibbs' cannot use the prior {prior} for {key!r}; it supports "
            f"{sorted(SCALE_PRIORS)} for SDs and sigma. Use method='auto' for other priors."
        )
    try:
        code, numbers = to_numbers(**{k: float(v) for k, v in prior.params.items()})
    except TypeError:
        raise PriorError(
            f"method='gibbs' cannot read the parameters of {prior} for {key!r}."
        ) from None
    out = np.zeros(D.PRIOR_NUMBERS)
    out[: len(numbers)] = numbers
    return code, out


def scale_log_prior(key: str, prior: Prior) -> Callable[[np.ndarray], np.ndarray]:
    """The log-density (up to a constant) of a scale prior, as a function of the scale.

    Examples
    --------
    >>> f = scale_log_prior("sigma", Prior("HalfNormal", sigma=2.0))
    >>> float(f(np.array(2.0)))
    -0.5
    """
    code, numbers = scale_prior(key, prior)

    def log_density(x):
        x = np.asarray(x, dtype=float)
        values = [D.log_prior(code, numbers, float(v)) for v in x.ravel()]
        return np.array(values).reshape(x.shape)

    return log_density


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
