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

__all__ = ["LATENT_VARIANCE", "LINKS", "inverse_link", "inverse_link_tensor"]

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
