"""The collapsed statistics from exact sums equal a direct computation from the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.collapsed import collapsed_statistics, fixed_columns


def _direct(design, factor, weights=None):
    """The statistics by plain floating-point sums over centred rows."""
    g = design.group(factor)
    F, _ = fixed_columns(design)  # centred on the means of all rows
    y = design.y.astype(float)
    y = y - y.mean() if design.fixed.has_intercept else y
    w = np.ones(len(y)) if weights is None else weights
    codes, Z, J = g.codes[:, 0], g.Z, g.n_levels
    per_level = lambda v: np.stack([v[codes == j].sum(axis=0) for j in range(J)])  # noqa: E731
    Zw = Z * w[:, None]
    return {
        "ZtZ": per_level(Zw[:, :, None] * Z[:, None, :]),
        "ZtF": per_level(Zw[:, :, None] * F[:, None, :]),
        "Zty": per_level(Zw * y[:, None]),
        "FtF": (F * w[:, None]).T @ F,
        "Fty": (F * w[:, None]).T @ y,
        "yty": float((w * y) @ y),
    }


@pytest.fixture(scope="module")
def design():
    rng = np.random.default_rng(5)
    n = 2500
    df = pd.DataFrame(
        {
            "y": 1e4 + rng.normal(0, 3, n),  # a large mean: centring keeps the digits
            "x": rng.normal(50, 2, n),
            "c": rng.choice(["a", "b", "c"], n),
            "g": rng.integers(0, 40, n),
        }
    )
    return hm.Model("y ~ x + c + (x | g)", df).design


def _assert_close(stats, direct):
    for key, value in direct.items():
        got = np.asarray(getattr(stats, key), dtype=float)
        scale = np.max(np.abs(value)) or 1.0
        assert np.max(np.abs(got - value)) <= 1e-9 * scale, key


def test_statistics_equal_the_direct_sums(design):
    stats = collapsed_statistics(design, "g")
    _assert_close(stats, _direct(design, "g"))
    assert stats.n_obs == design.n_obs and stats.counts.sum() == design.n_obs
    assert stats.y_mean == pytest.approx(design.y.mean(), rel=1e-15)


def test_weighted_statistics_keep_the_centring_of_all_rows(design):
    keep = (np.arange(design.n_obs) % 3 != 0).astype(float)
    stats = collapsed_statistics(design, "g", row_weights=keep)
    _assert_close(stats, _direct(design, "g", keep))
    assert stats.n_obs == keep.sum()
    assert stats.y_mean == collapsed_statistics(design, "g").y_mean
