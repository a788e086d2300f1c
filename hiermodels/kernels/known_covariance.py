"""New levels of a ``gr(g, cov=K)`` factor, conditional on the fitted levels' effects.

With ``K`` ordered as fitted levels ``o`` then new ones ``n`` and the effects
``vec(r) ~ N(0, Sigma kron K)``, the new levels' effects given the fitted ones are

    r_n | r_o ~ N(A r_o, Sigma kron S),   A = K_no K_oo^-1,   S = K_nn - K_no K_oo^-1 K_on,

so one draw is ``A r_o + L_S W`` with ``L_S L_S' = S`` and ``W`` (new levels x terms)
holding independent rows ``N(0, Sigma)``: the draw of new levels of an ordinary factor.
A new level unrelated to the fitted ones (a zero row of ``K_no``) gets ``A r_o = 0`` and
``S = K_nn``, the population distribution.

Examples
--------
>>> import numpy as np
>>> K = np.array([[1.0, 0.5], [0.5, 1.0]])
>>> A, L_S = conditional_factors(K, n_fitted=1, new=[1])
>>> A.round(3).tolist(), (L_S @ L_S.T).round(3).tolist()
([[0.5]], [[0.75]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_factor, cho_solve

__all__ = ["conditional_effects", "conditional_factors"]


def conditional_factors(
    K: np.ndarray, *, n_fitted: int, new: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """``A = K_no K_oo^-1`` (new x fitted) and the Cholesky root of ``S`` (new x new).

    ``K`` holds the fitted levels in its first ``n_fitted`` rows; ``new`` lists the rows
    of the new levels (each ``>= n_fitted``).
    """
    new = np.asarray(new, dtype=np.int64)
    K_oo = K[:n_fitted, :n_fitted]
    K_on = K[:n_fitted][:, new]
    solved = cho_solve(cho_factor(K_oo, lower=True), K_on)  # K_oo^-1 K_on
    S = K[np.ix_(new, new)] - K_on.T @ solved
    S = (S + S.T) / 2
    return solved.T, np.linalg.cholesky(S)


def conditional_effects(
    fitted: np.ndarray, A: np.ndarray, L_S: np.ndarray, W: np.ndarray | None
) -> np.ndarray:
    """``A r_o + L_S W`` per draw: ``fitted`` (..., fitted, terms), ``W`` (..., new, terms).

    ``W=None`` gives the conditional mean ``A r_o``.
    """
    mean = np.einsum("nj,...jq->...nq", A, fitted)
    if W is None:
        return mean
    return mean + np.einsum("nm,...mq->...nq", L_S, W)
