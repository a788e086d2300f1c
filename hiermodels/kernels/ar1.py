"""Residual AR(1) within series, on arrays: densities, leave-one-out densities, draws.

Within a series the residuals ``e`` are multivariate normal with ``cov(e_i, e_j) =
sigma^2 phi^|t_i - t_j|`` (``sigma`` the marginal residual SD, as in nlme and brms). The
process is Markov, so its precision matrix is tridiagonal and every quantity here costs
O(rows), without a dense matrix. Writing ``rho_i = phi^gap_i`` for the correlation with the
row's predecessor (0 for a series' first row) and ``s_i = sigma sqrt(1 - rho_i^2)``:

- the joint density factorises as ``prod_i N(e_i | rho_i e_prev(i), s_i)``;
- the precision is ``Q = B' D^-1 B`` with ``B`` unit lower bidiagonal (``-rho_i`` below
  the diagonal) and ``D = diag(s_i^2)``, so ``Q_ii = 1/s_i^2 + rho_n^2 / s_n^2`` (``n`` the
  row's successor) and ``(Q e)_i = w_i - rho_n w_n`` with ``w_i = (e_i - rho_i e_prev) /
  s_i^2``;
- leaving row ``i`` out, ``e_i | e_-i ~ N(e_i - (Q e)_i / Q_ii, 1 / Q_ii)`` (Buerkner,
  Gabry & Vehtari 2020, "Efficient leave-one-out cross-validation for Bayesian
  non-factorized normal and Student-t models", Comput. Stat. 36: 1243-1261; brms does the
  same).

Arrays: ``resid`` has shape ``(..., rows)``, ``phi`` and ``sigma`` shape ``(...)``;
``previous``/``following`` hold the row of the predecessor/successor (``-1``: none) and
``gap`` the time steps to the predecessor.

Examples
--------
>>> import numpy as np
>>> e = np.array([0.5, -0.2, 0.1])
>>> prev, nxt, gap = np.array([-1, 0, 1]), np.array([1, 2, -1]), np.array([0, 1, 1])
>>> phi, sigma = np.array(0.6), np.array(1.3)
>>> cov = 1.3**2 * 0.6 ** np.abs(np.subtract.outer(range(3), range(3)))
>>> from scipy.stats import multivariate_normal
>>> bool(np.isclose(ar1_log_density(e, phi, sigma, prev, gap).sum(),
...                 multivariate_normal(np.zeros(3), cov).logpdf(e)))
True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ar1_correlations",
    "ar1_log_density",
    "ar1_loo_log_likelihood",
    "ar1_residual_draws",
]


def ar1_correlations(phi: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``phi^gap`` per row, 0 for a series' first row (``gap == 0``); shape ``(..., rows)``."""
    phi = np.asarray(phi, dtype=float)[..., None]
    return np.where(gap > 0, phi ** np.maximum(gap, 1), 0.0)


def ar1_log_density(resid, phi, sigma, previous, gap) -> np.ndarray:
    """``log N(e_i | rho_i e_prev(i), s_i)`` per row; their sum is the joint log density."""
    rho = ar1_correlations(phi, gap)
    sigma = np.asarray(sigma, dtype=float)[..., None]
    mean = rho * np.where(previous >= 0, resid[..., np.maximum(previous, 0)], 0.0)
    var = sigma**2 * (1.0 - rho**2)
    return -0.5 * (np.log(2 * np.pi * var) + (resid - mean) ** 2 / var)


def ar1_loo_log_likelihood(resid, phi, sigma, previous, following, gap) -> np.ndarray:
    """``log p(e_i | e_-i)`` per row: the non-factorised leave-one-out density."""
    rho = ar1_correlations(phi, gap)
    sigma = np.asarray(sigma, dtype=float)[..., None]
    var = sigma**2 * (1.0 - rho**2)
    prev_e = np.where(previous >= 0, resid[..., np.maximum(previous, 0)], 0.0)
    w = (resid - rho * prev_e) / var
    has_next = following >= 0
    nxt = np.maximum(following, 0)
    rho_n = np.where(has_next, rho[..., nxt], 0.0)
    var_n = var[..., nxt]
    w_n = np.where(has_next, w[..., nxt], 0.0)
    q = 1.0 / var + rho_n**2 / var_n
    g = w - rho_n * w_n
    return 0.5 * np.log(q / (2 * np.pi)) - 0.5 * g**2 / q


def ar1_residual_draws(phi, sigma, previous, gap, rng: np.random.Generator) -> np.ndarray:
    """Draws of the residuals of every series, shape ``(..., rows)`` (``phi``'s shape).

    Each series is drawn forward in time: ``e_i = rho_i e_prev(i) + s_i z_i``.
    """
    rho = ar1_correlations(phi, gap)
    sigma = np.asarray(sigma, dtype=float)[..., None]
    scale = sigma * np.sqrt(1.0 - rho**2)
    out = scale * rng.standard_normal(rho.shape)
    todo = previous >= 0
    done = ~todo
    while todo.any():
        ready = todo & done[np.maximum(previous, 0)]
        idx = np.flatnonzero(ready)
        out[..., idx] += rho[..., idx] * out[..., previous[idx]]
        done[idx] = True
        todo[idx] = False
    return out
