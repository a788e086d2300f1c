"""Exact sums: the exactly rounded total, whatever the order and the split of the rows."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hiermodels.kernels.exact_sums import LevelSums, exact_moments


def _exact(values, codes, J):
    """The sums by rational arithmetic, rounded once to float64."""
    return np.array(
        [
            [
                float(sum((Fraction(v) for v in values[codes == j, k]), Fraction(0)))
                for k in range(values.shape[1])
            ]
            for j in range(J)
        ]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sums_are_the_exact_totals_rounded_once(seed):
    rng = np.random.default_rng(seed)
    n, J, K = 3000, 5, 3
    # magnitudes from 1e-30 to 1e30, both signs, some zeros: plain sums lose digits
    values = rng.normal(size=(n, K)) * 10.0 ** rng.integers(-30, 30, size=(n, K))
    values[rng.random((n, K)) < 0.05] = 0.0
    codes = rng.integers(0, J, n)
    assert np.array_equal(LevelSums.of(values, codes, J).value(), _exact(values, codes, J))


def test_any_split_and_order_gives_the_same_bits():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(5000, 4)) * rng.choice([1e-8, 1.0, 1e8], size=(5000, 4))
    codes = rng.integers(0, 7, 5000)
    whole = LevelSums.of(values, codes, 7).value()
    order = rng.permutation(5000)
    cuts = np.sort(rng.choice(np.arange(1, 5000), size=9, replace=False))
    parts = [LevelSums.of(values[idx], codes[idx], 7) for idx in np.split(order, cuts)]
    total = parts[0]
    for part in parts[1:]:
        total = part + total
    assert np.array_equal(total.value(), whole)


def test_all_zero_and_empty_columns():
    assert np.array_equal(
        LevelSums.of(np.zeros((4, 2)), np.zeros(4, int), 1).value(), np.zeros((1, 2))
    )
    assert LevelSums.of(np.zeros((4, 0)), np.zeros(4, int), 1).value().shape == (1, 0)


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="finite"):
        LevelSums.of(np.array([[1.0], [np.nan]]), np.zeros(2, int), 1)


def test_moments_match_numpy_and_keep_digits_under_a_large_mean():
    rng = np.random.default_rng(4)
    values = np.column_stack([rng.normal(3.0, 2.0, 1000), 1e9 + rng.normal(0.0, 1e-3, 1000)])
    mean, sd = exact_moments(values)
    np.testing.assert_allclose(mean, values.mean(axis=0), rtol=1e-14)
    # the shift by the first row keeps the small SD under the mean of 1e9
    np.testing.assert_allclose(sd, values.std(axis=0), rtol=1e-6)
    assert exact_moments(np.array([[5.0]]))[1].tolist() == [1.0]  # one row: SD 1
