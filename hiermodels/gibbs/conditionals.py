"""The one-dimensional updates of the scales: slice sampling on the log scale, and the
marginal likelihoods of a scale with the effects integrated out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Scale", "block_marginal", "level_marginal", "slice_log_scale"]


def slice_log_scale(log_density, x0, width, rng, *, max_steps: int = 50):
    """One slice-sampling update (stepping out, then shrinkage) of ``x0`` per chain.

    ``log_density`` maps a (chains,) array of log-scales to log-densities.
    """
    level = log_density(x0) - rng.standard_exponential(x0.shape)
    left = x0 - width * rng.uniform(size=x0.shape)
    right = left + width
    for _ in range(max_steps):
        out = log_density(left) > level
        if not out.any():
            break
        left = np.where(out, left - width, left)
    for _ in range(max_steps):
        out = log_density(right) > level
        if not out.any():
            break
        right = np.where(out, right + width, right)
    x = x0.copy()
    pending = np.ones(x0.shape, dtype=bool)
    for _ in range(200):
        proposal = left + rng.uniform(size=x0.shape) * (right - left)
        accept = pending & (log_density(proposal) > level)
        x = np.where(accept, proposal, x)
        pending &= ~accept
        if not pending.any():
            break
        below = proposal < x0
        left = np.where(pending & below, proposal, left)
        right = np.where(pending & ~below, proposal, right)
    return x


class Scale:
    """A positive scale per chain (a group SD or sigma), drawn by slice sampling on the
    log scale, with the slice width tuned during warm-up to about three steps' size."""

    def __init__(self, value: np.ndarray, log_prior: Callable):
        self.value = value
        self.log_prior = log_prior
        self._width = np.ones(len(value))

    def draw(self, log_likelihood: Callable, rng, tuning: bool) -> np.ndarray:
        """Update from ``log_prior(s) + log_likelihood(log s)`` (Jacobian included)."""

        def density(x):
            return self.log_prior(np.exp(x)) + x + log_likelihood(x)

        old = np.log(self.value)
        new = slice_log_scale(density, old, self._width, rng)
        if tuning:
            step = np.clip(3.0 * np.abs(new - old), 1e-4, 10.0)
            self._width = 0.8 * self._width + 0.2 * step
        self.value = np.exp(new)
        return self.value


def level_marginal(R: np.ndarray, counts: np.ndarray, s2: np.ndarray) -> Callable:
    """log p(residuals | tau) with one factor's effects integrated out, in log tau.

    ``R`` (chains, J) holds per level the sum of the residuals without the factor; per
    level the rows are N(0, sigma^2 I + tau^2 11'), whose log-density in tau is
    ``-1/2 log(1 + n_j tau^2 / sigma^2) + tau^2 R_j^2 / (2 sigma^2 (sigma^2 + n_j tau^2))``.
    """
    s2 = s2[:, None]
    R2 = R**2

    def f(x):
        t2 = np.exp(2.0 * x)[:, None]
        d = s2 + counts * t2
        return np.sum(-0.5 * np.log(d / s2) + t2 * R2 / (2.0 * s2 * d), axis=1)

    return f


def block_marginal(BtB, linear, precision, columns: slice, s2) -> Callable:
    """log p(residuals | tau) with the whole block integrated out, in log tau of the
    small factor at ``columns``.

    With block coefficients ``N(m, Lambda^-1)`` and ``Q = Lambda + B'B / sigma^2``, the
    terms that depend on ``tau`` are ``1/2 log|Lambda| - 1/2 log|Q| + 1/2 b'Q^-1 b``, where
    ``b = Lambda m + B'r / sigma^2`` does not depend on ``tau`` (the effects have mean 0).
    """
    n_levels = columns.stop - columns.start
    base = BtB / s2[:, None, None]
    diag = np.arange(BtB.shape[0])
    rest = precision.copy()

    def f(x):
        rest[:, columns] = np.exp(-2.0 * x)[:, None]
        Q = base.copy()
        Q[:, diag, diag] += rest
        chol = np.linalg.cholesky(Q)
        z = np.linalg.solve(chol, linear[..., None])[..., 0]
        logdet = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        return -n_levels * x - logdet + 0.5 * np.sum(z**2, axis=1)

    return f
