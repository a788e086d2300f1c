"""The compiled conditional draws equal batched NumPy linear algebra."""

from __future__ import annotations

import numpy as np
import pytest

from hiermodels.kernels.conditional_draws import conditional_draws


@pytest.mark.parametrize("q", [1, 2, 3])
def test_draws_equal_the_batched_linear_algebra(q):
    rng = np.random.default_rng(q)
    C, D, J = 2, 5, 40
    L = np.tril(rng.normal(size=(C, D, q, q))) + 3 * np.eye(q)
    sigma2 = rng.uniform(0.5, 2.0, (C, D))
    B = rng.normal(size=(J, q, q))
    ZtZ = np.einsum("jab,jcb->jac", B, B) + np.eye(q)
    Ztr, z = rng.normal(size=(2, C, D, J, q))
    out = np.empty((C, D, J, q))
    conditional_draws(L, sigma2, ZtZ, Ztr, z, out)
    A = np.eye(q) + np.einsum("cdak,jab,cdbl->cdjkl", L, ZtZ, L) / sigma2[..., None, None, None]
    c = np.einsum("cdak,cdja->cdjk", L, Ztr) / sigma2[..., None, None]
    M = np.linalg.cholesky(A)
    u = np.linalg.solve(A, c[..., None])[..., 0]
    u += np.linalg.solve(np.swapaxes(M, -1, -2), z[..., None])[..., 0]
    np.testing.assert_allclose(out, np.einsum("cdkl,cdjl->cdjk", L, u), rtol=1e-12, atol=1e-12)
