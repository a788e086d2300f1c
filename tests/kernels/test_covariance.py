"""The one root of the group effects' correlation matrix, and the sites that use it."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import hiermodels as hm
from hiermodels import naming
from hiermodels.kernels.covariance import correlation_root


def _lkj_like(rng, shape, q):
    """Random correlation matrices, shape (*shape, q, q)."""
    a = rng.standard_normal((*shape, q, q + 2))
    cov = a @ np.swapaxes(a, -1, -2)
    d = np.sqrt(np.einsum("...ii->...i", cov))
    return cov / d[..., :, None] / d[..., None, :]


def test_positive_definite_input_gives_the_cholesky_factor_exactly():
    cor = _lkj_like(np.random.default_rng(1), (2, 5), 3)
    assert np.array_equal(correlation_root(cor), np.linalg.cholesky(cor))


def test_a_correlation_of_one_falls_back_to_the_eigen_root():
    cor = _lkj_like(np.random.default_rng(2), (2, 3), 2)
    cor[1, 2] = [[1.0, 1.0], [1.0, 1.0]]  # one draw at the boundary: not positive definite
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(cor)
    root = correlation_root(cor)
    np.testing.assert_allclose(root @ np.swapaxes(root, -1, -2), cor, atol=1e-12)


@pytest.fixture(scope="module")
def correlated():
    """A correlated factor's design and a posterior of its SDs and correlations."""
    model = hm.Model(
        "Reaction ~ Days + (Days | Subject)",
        hm.datasets.load("sleepstudy"),
        parameterization="centered",
    )
    g = model.design.groups[0]
    rng = np.random.default_rng(3)
    q = len(g.terms)
    term, bis = naming.term_dim(g.name), naming.term_dim_bis(g.name)
    posterior = xr.Dataset(
        {
            naming.sd_name(g.name): (("chain", "draw", term), rng.gamma(2.0, 5.0, (2, 4, q))),
            naming.cor_name(g.name): (("chain", "draw", term, bis), _lkj_like(rng, (2, 4), q)),
        }
    )
    return g, posterior


def test_every_site_uses_the_same_root(correlated):
    """New-level draws, held-out densities and collapsed draws: one covariance root."""
    from hiermodels.analysis.heldout import _covariance_factor as heldout_root
    from hiermodels.collapsed import _covariance_factor as collapsed_root

    g, posterior = correlated
    sd = posterior[naming.sd_name(g.name)].values
    expected = sd[..., :, None] * correlation_root(posterior[naming.cor_name(g.name)].values)
    assert np.array_equal(heldout_root(posterior, g), expected)
    assert np.array_equal(collapsed_root(posterior, g), expected)
