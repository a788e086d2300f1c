"""The effective sample size from autocorrelations summed directly, lag by lag, only as
far as Geyer's initial monotone sequence needs them (numba, cached on disk, IEEE
arithmetic).

A chain that mixes well needs a handful of lags, so this costs a few passes over the
draws, where the FFT route costs the whole spectrum of every chain; with thousands of
parameters (InstEval's 4,134) that is most of the convergence check. A parameter whose
sequence has not stopped after :data:`MAX_PAIRS` pairs of lags gets NaN and a flag, and
the caller computes it by FFT (:func:`hiermodels.convergence` does).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> ess, unfinished = ess_direct(rng.normal(size=(1, 4, 500)))
>>> bool(1500 < ess[0] < 2500), bool(unfinished[0])
(True, False)
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["MAX_PAIRS", "ess_direct"]

#: Pairs of lags summed directly before a parameter is left to the FFT route.
MAX_PAIRS = 32
_RESOLUTION = float(np.finfo(np.float64).resolution)


@numba.njit(cache=True, nogil=True)
def _autocovariance(centred, lag):
    """Mean over chains of each chain's autocovariance at ``lag`` (divided by n)."""
    n_chains, n = centred.shape
    total = 0.0
    for c in range(n_chains):
        x = centred[c]
        # four partial sums: independent additions, same result on every machine
        s0 = s1 = s2 = s3 = 0.0
        m = n - lag
        i = 0
        while i + 3 < m:
            s0 += x[i] * x[i + lag]
            s1 += x[i + 1] * x[i + 1 + lag]
            s2 += x[i + 2] * x[i + 2 + lag]
            s3 += x[i + 3] * x[i + 3 + lag]
            i += 4
        while i < m:
            s0 += x[i] * x[i + lag]
            i += 1
        total += ((s0 + s1) + (s2 + s3)) / n
    return total / n_chains


@numba.njit(cache=True, nogil=True)
def _rho(centred, lag, mean_var, var_plus):
    """Autocorrelation at ``lag`` combined over chains (Vehtari et al. 2021, eq. 10)."""
    return 1.0 - (mean_var - _autocovariance(centred, lag)) / var_plus


@numba.njit(cache=True, nogil=True)
def ess_direct(x):
    """Effective sample size of each parameter of ``x`` (K, chains, draws).

    Returns the ESS (K,) and a boolean array marking the parameters whose
    autocorrelation sum did not stop within :data:`MAX_PAIRS` pairs (their ESS is NaN).
    The estimator is that of Vehtari et al. (2021) with Geyer's initial monotone
    sequence, as ArviZ computes it.
    """
    K, n_chains, n = x.shape
    total = n_chains * n
    out = np.empty(K)
    unfinished = np.zeros(K, dtype=np.bool_)
    centred = np.empty((n_chains, n))
    means = np.empty(n_chains)
    last = (n - 3) // 2
    floor = 1.0 / math.log10(total)
    for k in range(K):
        low, high = np.inf, -np.inf
        for c in range(n_chains):
            s = 0.0
            for i in range(n):
                v = x[k, c, i]
                s += v
                low = min(low, v)
                high = max(high, v)
            means[c] = s / n
            for i in range(n):
                centred[c, i] = x[k, c, i] - means[c]
        if high - low < _RESOLUTION:
            out[k] = total  # a constant parameter
            continue
        mean_var = _autocovariance(centred, np.int64(0)) * n / (n - 1.0)
        var_plus = mean_var * (n - 1.0) / n
        if n_chains > 1:
            grand = 0.0
            for c in range(n_chains):
                grand += means[c]
            grand /= n_chains
            between = 0.0
            for c in range(n_chains):
                between += (means[c] - grand) ** 2
            var_plus += between / (n_chains - 1)
        if not var_plus > 0.0:
            out[k] = np.nan
            continue

        # Pairs (rho_2j + rho_2j+1); the sum stops at the first pair j >= 1 that is not
        # positive, or at the last pair. Pair 0 starts with rho_0 = 1.
        pair = 1.0 + _rho(centred, np.int64(1), mean_var, var_plus)
        running_min = pair
        kept = 0.0
        stop_even = 1.0
        stopped = last < 1
        j = 0
        while not stopped:
            kept += running_min
            j += 1
            if j > MAX_PAIRS:
                break
            even = _rho(centred, 2 * j, mean_var, var_plus)
            pair = even + _rho(centred, 2 * j + 1, mean_var, var_plus)
            running_min = min(running_min, pair)
            stop_even = even
            if pair <= 0.0 or j == last:
                stopped = True
        if not stopped:
            out[k] = np.nan
            unfinished[k] = True
            continue
        if last < 1:
            kept, stop_even = 0.0, 1.0
        extra = stop_even if (pair >= 0.0 or stop_even > 0.0) else 0.0
        out[k] = total / max(-1.0 + 2.0 * kept + extra, floor)
    return out, unfinished
