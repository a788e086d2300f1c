"""Link functions: their inverses on arrays and on PyMC tensors, and their latent scales.

A family lists the links it accepts (:attr:`hiermodels.families.Family.links`); every
link named there must be one of :data:`LINKS`.

Examples
--------
>>> import numpy as np
>>> inverse_link("logit", np.array([0.0]))
array([0.5])
>>> round(LATENT_VARIANCE["logit"], 4)
3.2899
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "LATENT_VARIANCE",
    "LINKS",
    "inverse_link",
    "inverse_link_tensor",
    "link_function",
    "mean_derivative",
]

#: Every link a family may name.
LINKS: tuple[str, ...] = ("identity", "log", "logit", "probit", "cloglog")

#: Variance of the standard latent error of a binary-response link (Nakagawa & Schielzeth
#: 2010): standard logistic for logit, standard normal for probit, standard Gumbel for
#: cloglog. It is the residual variance of the variance partition on the latent scale.
LATENT_VARIANCE: dict[str, float] = {
    "logit": math.pi**2 / 3,
    "probit": 1.0,
    "cloglog": math.pi**2 / 6,
}


def inverse_link(link: str, eta: np.ndarray) -> np.ndarray:
    """Mean of the response given the linear predictor ``eta`` (NumPy)."""
    if link == "identity":
        return eta
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        return 1.0 / (1.0 + np.exp(-eta))
    if link == "probit":
        from scipy.special import ndtr

        return ndtr(eta)
    if link == "cloglog":
        return -np.expm1(-np.exp(eta))
    raise ValueError(f"unknown link {link!r}; valid links are {list(LINKS)}")


def inverse_link_tensor(link: str, eta):
    """Mean of the response given the linear predictor tensor ``eta`` (PyTensor)."""
    import pymc as pm
    import pytensor.tensor as pt

    if link == "identity":
        return eta
    if link == "log":
        return pt.exp(eta)
    if link == "logit":
        return pm.math.invlogit(eta)
    if link == "probit":
        return pm.math.invprobit(eta)
    if link == "cloglog":
        return 1.0 - pt.exp(-pt.exp(eta))
    raise ValueError(f"unknown link {link!r}; valid links are {list(LINKS)}")


def link_function(link: str, mu: np.ndarray) -> np.ndarray:
    """The link applied to a mean ``mu`` (the inverse of ``inverse_link``)."""
    if link == "identity":
        return mu
    if link == "log":
        return np.log(mu)
    if link == "logit":
        return np.log(mu / (1 - mu))
    if link == "probit":
        from scipy import special

        return special.ndtri(mu)
    if link == "cloglog":
        return np.log(-np.log1p(-mu))
    raise ValueError(f"unknown link {link!r}")


def mean_derivative(link: str, eta: np.ndarray) -> np.ndarray:
    """``d mu / d eta`` at ``eta``: the slope of :func:`inverse_link`."""
    if link == "identity":
        return np.ones_like(eta)
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        p = 1.0 / (1.0 + np.exp(-eta))
        return p * (1 - p)
    if link == "probit":
        return np.exp(-0.5 * eta**2) / math.sqrt(2 * math.pi)
    if link == "cloglog":
        return np.exp(eta - np.exp(eta))
    raise ValueError(f"unknown link {link!r}")
