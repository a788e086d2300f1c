"""Rank-normalised split R-hat, bulk and tail ESS, and the MCSE of the mean, computed for
every parameter at once.

The estimators are those of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021,
"Rank-normalization, folding, and localization: an improved R-hat for assessing
convergence of MCMC", *Bayesian Analysis* 16:667), with Geyer's initial monotone
sequence for the autocorrelation sum, as ArviZ and Stan compute them. ArviZ evaluates
them one parameter at a time; here the steps run over all parameters at once, and
cheaply: each parameter's draws are sorted once (the normal scores of the ranks are the
same for every parameter without ties, so they are computed once), and the
autocorrelations are summed directly only up to the lag where Geyer's sequence stops
(:mod:`hiermodels.kernels.autocorrelation`), by FFT only for the parameters that mix too
slowly for that. This matters when a fit has thousands of group effects (InstEval:
4,134 parameters, 18 s in ArviZ, about 1 s here). ``tests/test_convergence.py`` checks
the results against ``arviz_stats`` to 1e-8.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> table = convergence_table(rng.normal(size=(4, 500, 3)))
>>> sorted(table)
['ess_bulk', 'ess_tail', 'mcse_mean', 'r_hat']
>>> bool(np.all(table["r_hat"] < 1.01))
True
"""

from __future__ import annotations

import numpy as np
from arviz_base import rcParams
from scipy import fft, special

from hiermodels.kernels.autocorrelation import ess_direct
from hiermodels.kernels.ranks import fold_sorted, score_sorted

__all__ = ["MIN_DRAWS", "convergence_table", "energy_bfmi"]

#: Fewer draws per chain than this, or any missing value, and :func:`convergence_table`
#: returns ``None`` (the caller then uses ArviZ, which handles those cases).
MIN_DRAWS = 8


def convergence_table(draws: np.ndarray) -> dict[str, np.ndarray] | None:
    """R-hat, bulk and tail ESS and MCSE of the mean for draws of shape (chain, draw, K).

    Returns a dict of arrays of length ``K``, or ``None`` when there are fewer than
    :data:`MIN_DRAWS` draws per chain or any value is missing.
    """
    draws = np.asarray(draws, dtype=float)
    n_chains, n_draws = draws.shape[:2]
    if n_draws < MIN_DRAWS or not np.all(np.isfinite(draws)):
        return None
    x = np.moveaxis(draws.reshape(n_chains, n_draws, -1), 2, 0)  # (K, chains, draws)
    # In blocks of parameters: the work arrays stay small enough to be reused.
    step = max(1, CHUNK_VALUES // (n_chains * n_draws))
    parts = [_table(x[i : i + step], n_chains, n_draws) for i in range(0, len(x), step)]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


#: Draws per block of parameters in :func:`convergence_table` (2 million: 16 MB arrays).
CHUNK_VALUES = 2_000_000


def energy_bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI of each chain from its energies, shape (chain, draw): the mean squared
    energy change between draws over the energy's variance (Betancourt 2016), as
    ``arviz_stats.bfmi`` computes it. Here, since importing ``arviz_stats`` costs a fresh
    process about 0.6 s (it loads ``scipy.stats``), and every fit checks its E-BFMI.

    Examples
    --------
    >>> energy_bfmi(np.array([[1.0, 2.0, 1.0, 2.0]])).round(3).tolist()
    [3.0]
    """
    energy = np.atleast_2d(np.asarray(energy, dtype=float))
    return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1, ddof=1)


def _table(x: np.ndarray, n_chains: int, n_draws: int) -> dict[str, np.ndarray]:
    """:func:`convergence_table` of draws arranged (K, chains, draws)."""
    split = _split_chains(x)
    K = len(x)
    flat = split.reshape(K, -1)
    size = flat.shape[1]
    order = np.argsort(flat, axis=1)
    ordered = np.take_along_axis(flat, order, axis=1)
    median = 0.5 * (ordered[:, (size - 1) // 2] + ordered[:, size // 2])
    z_split = _normal_scores(ordered, order).reshape(split.shape)
    # |split - median| sorted by merging outwards from the median, not by a second sort
    distance, index = np.empty_like(ordered), np.empty_like(order)
    fold_sorted(ordered, order, median, distance, index)
    z_folded = _normal_scores(distance, index).reshape(split.shape)
    r_hat = np.maximum(_rhat(z_split), _rhat(z_folded))
    if n_chains < 2:
        r_hat = np.full(K, np.nan)
    # Tail ESS at the quantiles 1 - p and p, with p = ArviZ's stats.ci_prob (0.89 by
    # default), as arviz_stats 1.x computes it (Vehtari et al. use 0.05 and 0.95). The
    # split chains drop the middle draw of an odd number; quantiles and the SD use all.
    p = float(rcParams["stats.ci_prob"])
    levels = sorted((p, 1 - p))
    if n_draws % 2 == 0:
        every = ordered
        quantiles = [_sorted_quantile(ordered, q) for q in levels]
    else:
        every = x.reshape(K, -1)
        quantiles = list(np.quantile(every, levels, axis=1))
    tail = np.minimum.reduce([_ess((split <= q[:, None, None]).astype(float)) for q in quantiles])
    return {
        "r_hat": r_hat,
        "ess_bulk": _ess(z_split),
        "ess_tail": tail,
        "mcse_mean": every.std(axis=1, ddof=1) / np.sqrt(_ess(split)),
    }


def _split_chains(x: np.ndarray) -> np.ndarray:
    """Each chain's first and last halves as separate chains: (K, 2 chains, draws // 2),
    C-contiguous (the kernels and the flattening below need no further copies)."""
    half = x.shape[2] // 2
    out = np.empty((x.shape[0], 2 * x.shape[1], half))
    out[:, : x.shape[1]] = x[..., :half]
    out[:, x.shape[1] :] = x[..., x.shape[2] - half :]
    return out


def _normal_scores(ordered: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks (Blom's offset 3/8, average ranks for ties) of values
    given sorted per row (``ordered``) with their positions (``order``): (K, M)."""
    size = ordered.shape[1]
    table = special.ndtri((np.arange(1, size + 1) - 0.375) / (size + 0.25))
    out, tie_rank = np.empty(ordered.shape), np.empty(ordered.shape)
    if score_sorted(ordered, order, table, out, tie_rank):
        tied = np.isnan(out)
        out[tied] = special.ndtri((tie_rank[tied] - 0.375) / (size + 0.25))
    return out


def _sorted_quantile(ordered: np.ndarray, q: float) -> np.ndarray:
    """NumPy's default ("linear") quantile of each row of sorted values, as
    ``np.quantile`` computes it: virtual index ``(n - 1) q`` and its two-sided lerp."""
    n = ordered.shape[1]
    virtual = (n - 1) * q
    below = np.floor(virtual)
    gamma = virtual - below
    i = min(int(below), n - 1)
    a, b = ordered[:, i], ordered[:, min(i + 1, n - 1)]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _rhat(x: np.ndarray) -> np.ndarray:
    """Potential scale reduction of (K, chains, draws): sqrt of (B/W + n - 1) / n."""
    n = x.shape[2]
    between = n * x.mean(axis=2).var(axis=1, ddof=1)
    within = x.var(axis=2, ddof=1).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant parameter: nan
        return np.sqrt((between / within + n - 1) / n)


def _ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of (K, chains, draws), Geyer's initial monotone sequence:
    summed directly where the sequence stops early, by FFT where it does not."""
    out, unfinished = ess_direct(np.ascontiguousarray(x, dtype=float))
    if unfinished.any():
        out[unfinished] = _ess_fft(x[unfinished])
    return out


def _ess_fft(x: np.ndarray) -> np.ndarray:
    """Effective sample size of (K, chains, draws), Geyer's initial monotone sequence, from
    autocovariances by FFT."""
    K, n_chains, n = x.shape
    total = n_chains * n
    centred = x - x.mean(axis=2, keepdims=True)
    size = fft.next_fast_len(2 * n)
    spectrum = fft.rfft(centred, n=size, axis=2)
    acov = fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=2)[..., :n] / n
    mean_var = acov[:, :, 0].mean(axis=1) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if n_chains > 1:
        var_plus = var_plus + x.mean(axis=2).var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov.mean(axis=1)) / var_plus[:, None]
    rho[:, 0] = 1.0
    # Sums of consecutive pairs (rho_2k + rho_2k+1) for k = 0 .. last.
    last = (n - 3) // 2
    pairs = rho[:, 0 : 2 * last + 2 : 2] + rho[:, 1 : 2 * last + 2 : 2]
    # The sum stops at the first pair k >= 1 that is not positive (initial positive
    # sequence), or at the last pair.
    stop_here = pairs[:, 1:] <= 0
    if last >= 1:
        stop = np.where(stop_here.any(axis=1), stop_here.argmax(axis=1) + 1, last)
    else:
        stop = np.zeros(K, dtype=int)
    # Initial monotone sequence: each pair sum is at most the one before.
    monotone = np.cumsum(np.minimum.accumulate(pairs, axis=1), axis=1)
    rows = np.arange(K)
    kept = np.where(stop >= 1, monotone[rows, np.maximum(stop - 1, 0)], 0.0)
    # The even autocorrelation of the stopping pair is added when the pair was kept
    # (non-negative sum) or when it is positive itself.
    even = rho[rows, 2 * stop]
    extra = np.where((pairs[rows, stop] >= 0) | (even > 0), even, 0.0)
    tau = np.maximum(-1.0 + 2.0 * kept + extra, 1.0 / np.log10(total))
    ess = total / tau
    ess = np.where(np.isnan(rho).any(axis=1), np.nan, ess)
    constant = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) < np.finfo(float).resolution
    return np.where(constant, float(total), ess)
