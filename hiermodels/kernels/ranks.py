"""Normal scores of ranks from sorted draws, and the sorted distances from the median
(numba, cached on disk).

Rank-normalised R-hat and ESS (Vehtari et al. 2021) replace each parameter's draws by
the normal scores of their ranks, with average ranks for ties, and do the same for the
draws' distances from their median ("folded" draws). Given each parameter's draws
sorted once, the scores need no second sort: without ties they are the same table for
every parameter, and the distances from the median come sorted by merging outwards from
the median. Tied values get NaN and their average rank, for the caller to score (the
normal quantile function is SciPy's).

Examples
--------
>>> values = np.array([[0.3, -1.0, 2.0, 0.3]])
>>> order = np.argsort(values, axis=1)
>>> ordered = np.take_along_axis(values, order, axis=1)
>>> out, tie_rank = np.empty((1, 4)), np.zeros((1, 4))
>>> int(score_sorted(ordered, order, np.array([10.0, 20.0, 30.0, 40.0]), out, tie_rank))
2
>>> out[0, [1, 2]].tolist(), tie_rank[0, [0, 3]].tolist()  # ranks 1 and 4; 2.5 twice
([10.0, 40.0], [2.5, 2.5])
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["fold_sorted", "score_sorted"]


@numba.njit(cache=True, nogil=True)
def score_sorted(ordered, order, table, out, tie_rank):
    """``out[k, order[k, i]] = table[i]`` for the values of ``ordered[k]`` (ascending)
    that are not tied; tied values get NaN in ``out`` and their average rank (1-based)
    in ``tie_rank``. Returns the number of tied values."""
    K, M = ordered.shape
    tied = 0
    for k in range(K):
        i = 0
        while i < M:
            j = i
            while j + 1 < M and ordered[k, j + 1] == ordered[k, i]:
                j += 1
            if j == i:
                out[k, order[k, i]] = table[i]
            else:
                rank = 0.5 * (i + j) + 1.0
                for t in range(i, j + 1):
                    out[k, order[k, t]] = np.nan
                    tie_rank[k, order[k, t]] = rank
                tied += j - i + 1
            i = j + 1
    return tied


@numba.njit(cache=True, nogil=True)
def fold_sorted(ordered, order, median, distance, index):
    """The distances ``|x - median[k]|`` of each row of ``ordered`` (ascending, with
    ``order`` its argsort) in ascending order, with the index of each draw, by merging
    the draws below and above the median outwards."""
    K, M = ordered.shape
    for k in range(K):
        m = median[k]
        right = 0
        while right < M and ordered[k, right] <= m:
            right += 1
        left = right - 1
        for t in range(M):
            if right >= M or (left >= 0 and m - ordered[k, left] <= ordered[k, right] - m):
                distance[k, t] = m - ordered[k, left]
                index[k, t] = order[k, left]
                left -= 1
            else:
                distance[k, t] = ordered[k, right] - m
                index[k, t] = order[k, right]
                right += 1
