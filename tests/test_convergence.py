"""The vectorised convergence diagnostics equal ArviZ's, parameter by parameter.

Known answer: ``arviz_stats`` (rank-normalised split R-hat, bulk and tail ESS, MCSE of
the mean) on the same draws, to 1e-8 relative, for chains that mix well and badly,
a constant parameter, tied values, an odd number of draws, one chain, and chains whose
autocorrelations never turn negative.
"""

from __future__ import annotations

import warnings

import arviz_stats as azs
import numpy as np
import pytest
import xarray as xr

from hiermodels.convergence import convergence_table, energy_bfmi
from hiermodels.diagnostics import describe_draws


def _ar1(rng, phi, shape):
    """AR(1) chains with coefficient phi, shape (chains, draws)."""
    out = np.empty(shape)
    out[:, 0] = rng.normal(size=shape[0])
    noise = rng.normal(size=shape)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + noise[:, t]
    return out


def _draws(n_chains, n_draws, seed=0):
    rng = np.random.default_rng(seed)
    columns = [_ar1(rng, phi, (n_chains, n_draws)) for phi in (0.0, 0.3, 0.9, 0.99, -0.5)]
    shifted = _ar1(rng, 0.5, (n_chains, n_draws)) + np.arange(n_chains)[:, None]  # no mixing
    columns += [shifted, np.full((n_chains, n_draws), 2.5)]
    columns.append(np.round(_ar1(rng, 0.5, (n_chains, n_draws)), 1))  # many ties
    columns.append(np.cumsum(rng.normal(size=(n_chains, n_draws)), axis=1))  # random walk
    return np.stack(columns, axis=-1)


def _arviz(draws):
    da = xr.DataArray(draws, dims=("chain", "draw", "k"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ArviZ on the constant parameter
        return _arviz_columns(da)


def _arviz_columns(da):
    return {
        "r_hat": azs.rhat(da).values,
        "ess_bulk": azs.ess(da, method="bulk").values,
        "ess_tail": azs.ess(da, method="tail").values,
        "mcse_mean": azs.mcse(da).values,
    }


@pytest.mark.parametrize("n_chains, n_draws", [(4, 1000), (2, 101), (3, 9), (1, 200)])
def test_matches_arviz(n_chains, n_draws):
    draws = _draws(n_chains, n_draws)
    ours, theirs = convergence_table(draws), _arviz(draws)
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-8, atol=1e-12, err_msg=key)


def test_too_few_draws_or_missing_values_fall_back():
    assert convergence_table(np.zeros((2, 7, 1))) is None
    draws = _draws(2, 50)
    draws[0, 3, 0] = np.nan
    assert convergence_table(draws) is None


def test_describe_draws_uses_the_same_numbers():
    draws = _draws(4, 300, seed=3)
    da = xr.DataArray(draws, dims=("chain", "draw", "k"), coords={"k": list("abcdefghi")})
    table = describe_draws(da, only_convergence=True)
    theirs = _arviz(draws)
    for key in theirs:
        np.testing.assert_allclose(table[key].values, theirs[key], rtol=1e-8, err_msg=key)
    assert list(table.index) == list("abcdefghi")


def test_both_ess_routes_are_used_by_the_arviz_comparison():
    """The AR(0.3) column stops within the direct sum; the random walk needs the FFT."""
    from hiermodels.convergence import _split_chains
    from hiermodels.kernels.autocorrelation import ess_direct

    x = _split_chains(np.moveaxis(_draws(4, 1000), 2, 0))
    _, unfinished = ess_direct(np.ascontiguousarray(x))
    assert not unfinished[1] and unfinished[-1]


@pytest.mark.parametrize("phi", [0.0, 0.6, 0.95])
def test_energy_bfmi_equals_arviz(phi):
    """E-BFMI per chain, against ``arviz_stats.bfmi`` on the same energies (1e-12)."""
    energy = _ar1(np.random.default_rng(3), phi, (4, 333)) * 7.0 + 50.0
    stats = xr.Dataset({"energy": (("chain", "draw"), energy)})
    theirs = np.atleast_1d(azs.bfmi(stats)["energy"].values)
    np.testing.assert_allclose(energy_bfmi(energy), theirs, rtol=1e-12)
