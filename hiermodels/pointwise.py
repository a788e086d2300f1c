"""Pointwise log-likelihood from posterior draws, on arrays.

The log-likelihood is conditional on the group effects (the usual "conditional" LOO of
brms and ArviZ). It is computed in NumPy from the posterior, so no second PyMC function
has to be compiled; each family computes its own density
(:meth:`hiermodels.families.Family.log_likelihood`).

Examples
--------
>>> import numpy as np
>>> from hiermodels.pointwise import log_likelihood
>>> ll = log_likelihood("gaussian", "identity", eta=np.zeros((1, 1, 2)),
...                     y=np.array([0.0, 1.0]), trials=None, aux={"sigma": np.ones((1, 1))})
>>> np.round(ll, 4)
array([[[-0.9189, -1.4189]]])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from hiermodels.families import get_family
from hiermodels.families.row_terms import RowTerms, row_log_likelihood

__all__ = ["log_likelihood"]


def log_likelihood(
    family: str,
    link: str,
    *,
    eta: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray | None,
    aux: Mapping[str, np.ndarray],
    rows: RowTerms | None = None,
) -> np.ndarray:
    """Log density of each observation for each draw, shape of ``eta`` (chain, draw, rows).

    ``aux`` holds the family's auxiliary parameters with shape (chain, draw); ``rows``
    the known SDs, censoring and weights of ``y | se() + cens() + weights()``
    (:mod:`hiermodels.families.row_terms`).
    """
    return row_log_likelihood(
        get_family(family), link, eta=eta, y=y, trials=trials, aux=aux, rows=rows
    )
