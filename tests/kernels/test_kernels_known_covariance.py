"""Conditional effects of new levels of a gr(g, cov=K) factor against the precision form.

For a joint Gaussian with covariance ``K`` and precision ``P = K^-1``, the conditional
distribution of the new block given the fitted one is ``N(-P_nn^-1 P_no r_o, P_nn^-1)``:
an independent route to ``A`` and ``S``.
"""

from __future__ import annotations

import numpy as np

from hiermodels.kernels.known_covariance import conditional_effects, conditional_factors


def _random_K(n: int, seed: int) -> np.ndarray:
    X = np.random.default_rng(seed).normal(size=(n, n + 2))
    return X @ X.T / n + 0.05 * np.eye(n)


def test_conditional_factors_equal_the_precision_form():
    K = _random_K(7, 1)
    new = [6, 4]
    fitted = [0, 1, 2, 3]  # row 5 is neither: it must not matter
    A, L_S = conditional_factors(K, n_fitted=4, new=new)
    sub = K[np.ix_(fitted + new, fitted + new)]
    P = np.linalg.inv(sub)
    P_nn, P_no = P[4:, 4:], P[4:, :4]
    np.testing.assert_allclose(L_S @ L_S.T, np.linalg.inv(P_nn), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(A, -np.linalg.solve(P_nn, P_no), rtol=1e-10, atol=1e-12)


def test_conditional_effects_per_draw_with_a_kronecker_term_covariance():
    K = _random_K(5, 2)
    A, L_S = conditional_factors(K, n_fitted=3, new=[3, 4])
    rng = np.random.default_rng(3)
    fitted = rng.normal(size=(2, 4, 3, 2))  # chain, draw, levels, terms
    W = rng.normal(size=(2, 4, 2, 2))
    out = conditional_effects(fitted, A, L_S, W)
    c, d = 1, 2
    np.testing.assert_allclose(out[c, d], A @ fitted[c, d] + L_S @ W[c, d], rtol=1e-12)
    np.testing.assert_allclose(
        conditional_effects(fitted, A, L_S, None)[c, d], A @ fitted[c, d], rtol=1e-12
    )


def test_an_unrelated_new_level_gets_the_population_distribution():
    K = np.diag([1.0, 2.0, 3.0])
    A, L_S = conditional_factors(K, n_fitted=2, new=[2])
    np.testing.assert_allclose(A, 0.0)
    np.testing.assert_allclose(L_S @ L_S.T, [[3.0]])
