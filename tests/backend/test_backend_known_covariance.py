"""The PyMC graph of a gr(g, cov=K) factor: r = L_K z L_Sigma' (vec(r) ~ N(0, Sigma kron K)),
with no sum-zero split and no shear. Forward draws only; nothing is sampled by NUTS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

import hiermodels as hm


def _data():
    rng = np.random.default_rng(0)
    levels = [f"l{j}" for j in range(5)]
    X = rng.normal(size=(5, 7))
    K = pd.DataFrame(X @ X.T / 7 + 0.1 * np.eye(5), index=levels, columns=levels)
    df = pd.DataFrame(
        {"y": rng.normal(size=20), "x": rng.normal(size=20), "g": np.repeat(levels, 4)}
    )
    return df, K


def test_graph_has_one_offset_matrix_and_no_level_mean():
    df, K = _data()
    model = hm.Model("y ~ 1 + x + (1 + x | gr(g, cov=K))", df, data2={"K": K})
    names = {v.name for v in model.pymc_model.free_RVs}
    assert "z_g" in names and "zbar_g" not in names
    assert "b" in names and "b_centered" not in names  # no shear into the slope
    assert model.pymc_model["z_g"].type.shape == (5, 2)


def test_effects_are_L_K_z_L_Sigma_transposed():
    df, K = _data()
    model = hm.Model("y ~ 1 + x + (1 + x | gr(g, cov=K))", df, data2={"K": K}).pymc_model
    r, z, sd, cor = pm.draw(
        [model[n] for n in ("r_g", "z_g", "sd_g", "cor_g")],
        draws=3,
        random_seed=1,
        mode="FAST_COMPILE",
    )
    L_K = np.linalg.cholesky(K.to_numpy())
    for i in range(3):
        Sigma = np.diag(sd[i]) @ cor[i] @ np.diag(sd[i])
        expected = L_K @ z[i] @ np.linalg.cholesky(Sigma).T
        np.testing.assert_allclose(r[i], expected, rtol=1e-8, atol=1e-10)
