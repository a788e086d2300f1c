"""The sufficient statistics of the Gibbs sampler and the sweep's expansions of them.

Known answers: the same quantities computed from dense design matrices of the rows, on a
small design with two crossed large factors, one small factor and a slope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
import hiermodels.gibbs.checks
from hiermodels.gibbs.kernels import _level_sums, _sum_of_squares
from hiermodels.gibbs.statistics import gibbs_statistics


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame(
        {
            "y": 50 + rng.normal(size=n),  # a large mean: the shift keeps r'r accurate
            "x": rng.normal(size=n),
            "A": rng.integers(0, 40, n).astype(str),
            "B": rng.integers(0, 25, n).astype(str),
            "C": rng.integers(0, 4, n).astype(str),
        }
    )
    design = hm.Model("y ~ x + (1 | A) + (1 | B) + (1 | C)", frame).design
    return design


def _dense(design, stats):
    """Block B (fixed columns, then the small factor's one-hots) and Z (large factors)."""
    F = np.column_stack([np.ones(design.n_obs), design.fixed.matrix[:, 1] - stats.centre])
    groups = {g.name: g for g in design.groups}
    one_hot = [np.eye(groups[k].n_levels)[groups[k].codes[:, 0]] for k in stats.small]
    Z = np.column_stack([np.eye(groups[k].n_levels)[groups[k].codes[:, 0]] for k in stats.large])
    return np.column_stack([F, *one_hot]), Z


def test_statistics_equal_the_dense_products(monkeypatch, case):
    monkeypatch.setattr(hiermodels.gibbs.checks, "SMALL_FACTOR_LEVELS", 10)
    stats = gibbs_statistics(case)
    assert stats.large == ["B", "A"] and stats.small == ["C"]
    B, Z = _dense(case, stats)
    y = case.y - B[:, :2] @ stats.shift
    np.testing.assert_allclose(stats.BtB, B.T @ B, atol=1e-10)
    np.testing.assert_allclose(stats.Bty, B.T @ y, atol=1e-10)
    assert stats.yy == pytest.approx(y @ y, rel=1e-12)
    np.testing.assert_allclose(stats.counts, Z.sum(axis=0))
    np.testing.assert_allclose(stats.Y, Z.T @ y, atol=1e-10)
    J = Z.shape[1]
    L = np.zeros((J, B.shape[1]))
    X = np.zeros((J, J))
    for j in range(J):
        sl = slice(stats.L_ptr[j], stats.L_ptr[j + 1])
        L[j, stats.L_col[sl]] = stats.L_val[sl]
        sl = slice(stats.X_ptr[j], stats.X_ptr[j + 1])
        X[j, stats.X_col[sl]] = stats.X_val[sl]
    np.testing.assert_allclose(L, Z.T @ B, atol=1e-10)
    np.testing.assert_allclose(X + np.diag(stats.counts), Z.T @ Z)
    # least squares of the fixed columns: the shifted y is orthogonal to them
    np.testing.assert_allclose(B[:, :2].T @ y, 0.0, atol=1e-8)


def test_level_sums_and_sum_of_squares_equal_the_residuals(monkeypatch, case):
    monkeypatch.setattr(hiermodels.gibbs.checks, "SMALL_FACTOR_LEVELS", 10)
    stats = gibbs_statistics(case)
    B, Z = _dense(case, stats)
    y = case.y - B[:, :2] @ stats.shift
    rng = np.random.default_rng(4)
    C, P, J = 3, stats.n_block, stats.n_levels
    theta, u = rng.normal(size=(C, P)), rng.normal(size=(J, C))
    start = stats.level_start
    LU = np.stack([(Z[:, start[k] : start[k + 1]].T @ B).T @ u[start[k] : start[k + 1]]
                   for k in range(2)])  # fmt: skip
    W = np.zeros((J, C))
    _level_sums(stats.Y, stats.X_ptr, stats.X_col, stats.X_val, u, 0, J, W)
    for c in range(C):
        resid = y - B @ theta[c] - Z @ u[:, c]
        for k in range(2):
            own = slice(start[k], start[k + 1])
            without = resid + Z[:, own] @ u[own, c] + B @ theta[c]
            np.testing.assert_allclose(W[own, c], Z[:, own].T @ without, atol=1e-9)
        cross = (
            u[start[0] : start[1], c] @ (Z[:, : start[1]].T @ Z[:, start[1] :]) @ u[start[1] :, c]
        )
        sse = _sum_of_squares(c, J, stats.yy, stats.Bty, stats.BtB, stats.Y, stats.counts,
                              theta, u, LU, cross)  # fmt: skip
        assert sse == pytest.approx(resid @ resid, rel=1e-11)
