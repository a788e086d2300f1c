"""The known covariance ``K`` of ``gr(g, cov=K)``: its checks, its order, and the methods
that refuse a factor with one (none of these tests samples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import DataError, SpecError

LEVELS = ["a", "b", "c"]
K = np.array([[1.0, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 1.0]])
FORMULA = "y ~ 1 + (1 | gr(g, cov=K))"


def frame() -> pd.DataFrame:
    return pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 4.0, 6.0], "g": ["c", "a", "b", "c", "a", "b"]})


def labelled(matrix=K, labels=LEVELS) -> pd.DataFrame:
    return pd.DataFrame(matrix, index=labels, columns=labels)


def model(data2, data=None, formula=FORMULA, **options) -> hm.Model:
    return hm.Model(formula, frame() if data is None else data, data2=data2, **options)


def test_a_labelled_K_is_reordered_to_the_levels_and_keeps_extra_levels():
    order = ["x", "c", "a", "b"]  # "x" has no rows: kept for predicting it
    full = np.eye(4)
    full[1:, 1:] = K[np.ix_([2, 0, 1], [2, 0, 1])]
    cov = model({"K": labelled(full, order)}).design.group("g").covariance
    assert cov.labels == ("a", "b", "c", "x")
    np.testing.assert_allclose(cov.chol @ cov.chol.T, K)
    np.testing.assert_allclose(cov.matrix[:3, :3], K)


def test_an_array_is_in_the_order_of_the_levels():
    cov = model({"K": K}).design.group("g").covariance
    assert cov.labels == tuple(LEVELS)
    np.testing.assert_allclose(cov.chol @ cov.chol.T, K)


def test_integer_labels_match_the_level_labels():
    data = frame().assign(g=frame()["g"].map({"a": 1, "b": 2, "c": 3}))
    cov = model({"K": labelled(K, [1.0, 2.0, 3.0])}, data=data).design.group("g").covariance
    assert cov.labels == ("1", "2", "3")


def test_neither_the_data_nor_K_is_changed():
    data, Kdf = frame(), labelled(K, ["c", "a", "b"])
    before_data, before_K = data.copy(), Kdf.copy()
    model({"K": Kdf}, data=data)
    pd.testing.assert_frame_equal(data, before_data)
    pd.testing.assert_frame_equal(Kdf, before_K)


def _not_pd():
    """a and b perfectly correlated (clones): singular."""
    bad = K.copy()
    bad[0, 1] = bad[1, 0] = 1.0
    bad[0, 2] = bad[2, 0] = bad[1, 2]
    return bad


@pytest.mark.parametrize(
    ("data2", "error", "message"),
    [
        (None, SpecError, r"needs the matrix 'K' in data2.*holds nothing"),
        ({"L": K}, SpecError, r"needs the matrix 'K' in data2.*\['L'\]"),
        ([K], SpecError, "data2 must be a dict"),
        ({"K": "K"}, DataError, "must be a pandas DataFrame .* or a square NumPy array"),
        ({"K": np.ones((3, 2))}, DataError, r"square matrix; it has shape \(3, 2\)"),
        ({"K": np.eye(4)}, DataError, "4 x 4 array, but the factor has 3 levels"),
        ({"K": labelled(K, ["a", "b", "z"])}, DataError, r"lacks 1 level\(s\) .*\['c'\]"),
        ({"K": labelled(K, ["a", "b", "b"])}, DataError, r"repeats the row name\(s\) \['b'\]"),
        (
            {"K": pd.DataFrame(K, index=LEVELS, columns=["a", "b", "d"])},
            DataError,
            r"same levels in its index and its columns; \['c', 'd'\]",
        ),
        ({"K": K + np.triu(np.full((3, 3), 0.1), 1)}, DataError, "not symmetric: K.'a', 'b'."),
        ({"K": np.where(np.eye(3) > 0, np.nan, K)}, DataError, "missing or infinite"),
        ({"K": _not_pd()}, DataError, "not positive definite: its smallest eigenvalue"),
        ({"K": -np.eye(3)}, DataError, "not positive definite"),
        ({"K": [["1", "0", "x"]] * 3}, DataError, "must hold numbers"),
    ],
)
def test_bad_K_is_named(data2, error, message):
    with pytest.raises(error, match=message):
        model(data2)


def test_K_mixed_with_the_plain_factor_is_refused():
    with pytest.raises(hm.errors.FormulaError, match="different options"):
        data = frame().assign(x=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
        model({"K": K}, data=data, formula="y ~ 1 + (1 | g) + (0 + x | gr(g, cov=K))")


def test_methods_that_assume_independent_levels_refuse_it():
    m = model({"K": K})
    assert m.collapsed_factor() is None and m.parameterization == {"g": "non_centered"}
    with pytest.raises(SpecError, match=r"method='marginal' .* gr\(g, cov=K\) factors"):
        m.collapsed_factor("marginal")
    with pytest.raises(SpecError, match=r"method='gibbs' .* known covariance"):
        m.fit(method="gibbs")
    with pytest.raises(SpecError, match=r"optimize\(\) .* known covariance"):
        m.optimize()
    with pytest.raises(SpecError, match="always non-centred"):
        model({"K": K}, parameterization="centered").centered  # noqa: B018


def test_a_plain_factor_beside_it_is_still_collapsed():
    data = frame().assign(h=["u", "v", "u", "v", "u", "v"])
    m = model({"K": K}, data=data, formula="y ~ 1 + (1 | gr(g, cov=K)) + (1 | h)")
    assert m.collapsed_factor() == "h"
