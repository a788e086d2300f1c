"""The per-draw root of a correlation matrix: the one place it is computed.

Used for new levels in predictions (:mod:`hiermodels.predict`), held-out rows of new
levels (:mod:`hiermodels.analysis.heldout`) and the exact conditional draws of a
collapsed factor (:mod:`hiermodels.collapsed`).

Examples
--------
>>> import numpy as np
>>> cor = np.array([[1.0, 0.5], [0.5, 1.0]])
>>> root = correlation_root(cor)
>>> bool(np.allclose(root @ root.T, cor))
True
>>> singular = np.array([[1.0, 1.0], [1.0, 1.0]])   # a draw with correlation exactly 1
>>> root = correlation_root(singular)
>>> bool(np.allclose(root @ root.T, singular))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["correlation_root"]


def correlation_root(cor: np.ndarray) -> np.ndarray:
    """``L`` with ``L @ L.T == cor``, batched over the leading axes.

    The Cholesky factor when every matrix is positive definite. The one fallback, when
    some draw is only semidefinite (a correlation of exactly +-1, which LKJ draws can
    round to): the symmetric eigen-root ``V sqrt(max(w, 0))`` of the whole batch. Any
    ``L`` with ``L L' = cor`` gives the same normal distribution ``L z``.
    """
    try:
        return np.linalg.cholesky(cor)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(cor)
        return vectors * np.sqrt(np.clip(values, 0.0, None))[..., None, :]
