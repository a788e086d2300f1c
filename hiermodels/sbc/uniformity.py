"""Are ranks uniform? Tests and simultaneous ECDF bands for simulation-based calibration.

In simulation-based calibration (Talts et al. 2018) each simulation gives the rank of
the true value among ``L`` posterior draws: an integer from 0 to ``L``. If the sampler
draws from the right posterior, the ranks are uniform on these ``L + 1`` values.

- :func:`chi_square_test`: Pearson's chi-square test on the ranks grouped into bins.
- :func:`ecdf_test`: the graphical ECDF test of Säilynoja, Bürkner & Vehtari (2022,
  Statistics and Computing 32:32). Its statistic is the smallest two-sided binomial tail
  probability of the ECDF over the ``L`` inner rank values. Its null distribution is
  simulated.
- :func:`ecdf_band`: the ECDF-minus-uniform band that the ECDF test's statistic stays
  inside with probability ``prob`` under uniformity. It is simultaneous over all rank
  values.
- :func:`plot_rank_ecdf`: those curves with their band, one panel per parameter.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> uniform = rng.integers(0, 100, size=200)       # L = 99: values 0..99
>>> squeezed = np.clip(rng.normal(50, 10, size=200).round(), 0, 99).astype(int)
>>> chi_square_test(uniform, n_values=100).p_value > 0.01
True
>>> ecdf_test(squeezed, n_values=100).p_value < 0.001
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = [
    "UniformityTest",
    "chi_square_test",
    "ecdf_band",
    "ecdf_test",
    "plot_rank_ecdf",
]

#: Draws of the simulated null distribution of the ECDF statistic.
NULL_DRAWS = 20_000
#: Seed of the simulated null distribution (the tests are deterministic).
NULL_SEED = 20220332


@dataclass(frozen=True)
class UniformityTest:
    """A test's statistic, its p-value and (chi-square only) its degrees of freedom."""

    statistic: float
    p_value: float
    df: int | None = None


def _checked(ranks, n_values: int) -> np.ndarray:
    ranks = np.asarray(ranks)
    if not isinstance(n_values, int | np.integer) or n_values < 2:
        raise ValueError(f"n_values must be an integer >= 2, got {n_values!r}.")
    if ranks.ndim != 1 or ranks.size == 0:
        raise ValueError(f"ranks must be a non-empty 1-D array, got shape {ranks.shape}.")
    if not np.issubdtype(ranks.dtype, np.integer) or ranks.min() < 0 or ranks.max() >= n_values:
        raise ValueError(f"ranks must be integers from 0 to {n_values - 1}.")
    return ranks.astype(np.int64)


def default_bins(n_sims: int, n_values: int) -> int:
    """Bins for the chi-square test: at least 5 expected ranks per bin, at most 20 bins.

    Examples
    --------
    >>> default_bins(100, 100), default_bins(1000, 100), default_bins(12, 100)
    (20, 20, 2)
    """
    return int(max(2, min(20, n_values, n_sims // 5)))


def chi_square_test(ranks, *, n_values: int, bins: int | None = None) -> UniformityTest:
    """Pearson's chi-square test that ``ranks`` are uniform on ``0 .. n_values - 1``.

    The rank values are grouped into ``bins`` consecutive bins (default
    :func:`default_bins`); when ``bins`` does not divide ``n_values`` the expected
    counts follow the bins' widths.

    Examples
    --------
    >>> chi_square_test([0, 1, 2, 3] * 10, n_values=4, bins=4)
    UniformityTest(statistic=0.0, p_value=1.0, df=3)
    """
    ranks = _checked(ranks, n_values)
    bins = default_bins(ranks.size, n_values) if bins is None else int(bins)
    if not 2 <= bins <= n_values:
        raise ValueError(f"bins must be between 2 and n_values={n_values}, got {bins}.")
    bin_of_value = np.arange(n_values) * bins // n_values
    expected = np.bincount(bin_of_value, minlength=bins) / n_values * ranks.size
    observed = np.bincount(bin_of_value[ranks], minlength=bins)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    df = bins - 1
    return UniformityTest(statistic, float(stats.chi2.sf(statistic, df)), df)


def _tail_statistic(counts: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Per row of ECDF counts: ``min_k 2 min(P(X <= c_k), P(X >= c_k))``, X ~ Bin(n, z_k)."""
    lower = special.bdtr(counts, n, z)
    upper = np.where(counts > 0, special.bdtrc(counts - 1, n, z), 1.0)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper).min(axis=-1))


def _ecdf_counts(ranks: np.ndarray, n_values: int) -> np.ndarray:
    """Counts of ranks <= k for k = 0 .. n_values - 2 (the last is always all)."""
    return np.cumsum(np.bincount(ranks, minlength=n_values))[:-1]


@functools.cache
def _null_statistics(n: int, n_values: int) -> np.ndarray:
    """Sorted statistics of :data:`NULL_DRAWS` uniform rank samples of size ``n``."""
    rng = np.random.default_rng(NULL_SEED)
    z = np.arange(1, n_values) / n_values
    out = np.empty(NULL_DRAWS)
    chunk = 2_000
    for start in range(0, NULL_DRAWS, chunk):
        size = min(chunk, NULL_DRAWS - start)
        ranks = rng.integers(0, n_values, size=(size, n))
        offsets = (np.arange(size) * n_values)[:, None]
        counts = np.bincount((ranks + offsets).ravel(), minlength=size * n_values)
        counts = np.cumsum(counts.reshape(size, n_values), axis=1)[:, :-1]
        out[start : start + size] = _tail_statistic(counts, n, z)
    out.sort()
    return out


def ecdf_test(ranks, *, n_values: int) -> UniformityTest:
    """The ECDF test that ``ranks`` are uniform on ``0 .. n_values - 1``.

    The statistic is the smallest two-sided binomial tail probability of the ECDF at
    the rank values ``0 .. n_values - 2`` (small = far from uniform). The p-value is the
    share of :data:`NULL_DRAWS` simulated uniform samples with a statistic as small or
    smaller, so p-values below about 1e-4 are not resolved.

    Examples
    --------
    >>> ecdf_test([0] * 30, n_values=10).p_value < 1e-3
    True
    """
    ranks = _checked(ranks, n_values)
    z = np.arange(1, n_values) / n_values
    statistic = float(_tail_statistic(_ecdf_counts(ranks, n_values), ranks.size, z))
    null = _null_statistics(int(ranks.size), int(n_values))
    at_most = np.searchsorted(null, statistic * (1 + 1e-12), side="right")
    return UniformityTest(statistic, float((1 + at_most) / (1 + null.size)))


def ecdf_band(n: int, *, n_values: int, prob: float = 0.95):
    """Simultaneous band of ``ECDF(k) - (k + 1) / n_values`` for ``n`` uniform ranks.

    The band holds the counts whose two-sided binomial tail probability exceeds the
    ``1 - prob`` quantile of the ECDF statistic's null distribution. Uniform ranks
    leave it, anywhere, with probability about ``1 - prob``. This is the same event as
    an ECDF test p-value below ``1 - prob``.

    Returns
    -------
    x, lower, upper : numpy.ndarray
        ``x = (k + 1) / n_values`` for ``k = 0 .. n_values - 2``, and the band's bounds
        on the ECDF-minus-uniform scale.

    Examples
    --------
    >>> x, lower, upper = ecdf_band(100, n_values=100)
    >>> bool((lower < 0).all() and (upper > 0).all())
    True
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob must be between 0 and 1, got {prob!r}.")
    null = _null_statistics(int(n), int(n_values))
    gamma = float(np.quantile(null, 1 - prob))
    x = np.arange(1, n_values) / n_values
    lower = stats.binom.ppf(gamma / 2, n, x)
    upper = stats.binom.isf(gamma / 2, n, x)
    return x, lower / n - x, upper / n - x


def plot_rank_ecdf(
    ranks: Mapping[str, Sequence[int]],
    *,
    n_values: int,
    prob: float = 0.95,
    p_values: Mapping[str, float] | None = None,
    title: str | None = None,
    columns: int = 4,
):
    """ECDF minus uniform of each parameter's ranks, with the simultaneous band.

    Parameters
    ----------
    ranks
        Parameter name to its ranks (``0 .. n_values - 1``), e.g. the columns of
        ``SBCResult.ranks``.
    n_values
        Number of possible rank values.
    prob
        Coverage of the band under uniformity.
    p_values
        Parameter name to a p-value shown in its panel (optional).
    title
        Figure title.
    columns
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        Made without pyplot; save it with ``fig.savefig(...)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_rank_ecdf({"a": rng.integers(0, 20, 50), "b": rng.integers(0, 20, 50)},
    ...                      n_values=20)
    >>> len(fig.axes)
    2
    """
    from matplotlib.figure import Figure

    names = list(ranks)
    if not names:
        raise ValueError("ranks is empty: nothing to plot.")
    ncols = max(1, min(columns, len(names)))
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(3.0 * ncols, 2.4 * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes, names):
        values = _checked(ranks[name], n_values)
        x, lower, upper = ecdf_band(values.size, n_values=n_values, prob=prob)
        diff = _ecdf_counts(values, n_values) / values.size - x
        edges = np.concatenate([[0.0], x, [1.0]])
        ax.fill_between(
            edges,
            np.concatenate([[0.0], lower, [0.0]]),
            np.concatenate([[0.0], upper, [0.0]]),
            step="post",
            color="0.85",
            linewidth=0,
            label=f"{prob:.0%} band",
        )
        ax.step(edges, np.concatenate([[0.0], diff, [0.0]]), where="post", color="#1b6fb5")
        ax.axhline(0.0, color="0.4", linewidth=0.8, linestyle=":")
        label = name if p_values is None else f"{name}\np = {p_values[name]:.3g}"
        ax.set_title(label, fontsize=9)
    for ax in axes[-ncols:]:
        ax.set_xlabel("fractional rank")
    for ax in axes[::ncols]:
        ax.set_ylabel("ECDF - uniform")
    if title:
        fig.suptitle(title)
    return fig
