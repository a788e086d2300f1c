"""Fits shared by test_compare, test_plots and test_variance, made once per process.

Compiling a model costs 10-20 s and sampling about 1 s, so every fit here is cached
(``functools.cache``) and reused by all three modules. Seeds are fixed, so the numbers
the tests check are deterministic.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

import hiermodels as hm
from hiermodels.compare import compare_pooling

SEED = 20261122
FIT = dict(draws=1000, tune=1000, chains=4, cores=2, progressbar=False, random_seed=SEED)

# Simulated random-intercept data: y = MU + a_g + e, a_g ~ N(0, TAU), e ~ N(0, SIGMA).
MU, TAU, SIGMA = 5.0, 1.0, 2.0
N_GROUPS = 40


@functools.cache
def radon_pooling():
    """Complete, no and partial pooling of county for log_radon ~ floor (919 homes)."""
    radon = hm.datasets.load("radon")
    return compare_pooling(radon, response="log_radon", predictors=["floor"], group="county", **FIT)


@functools.cache
def simulated_data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    sizes = rng.integers(2, 30, size=N_GROUPS)
    effects = rng.normal(0.0, TAU, size=N_GROUPS)
    group = np.repeat([f"g{j:02d}" for j in range(N_GROUPS)], sizes)
    code = np.repeat(np.arange(N_GROUPS), sizes)
    y = MU + effects[code] + rng.normal(0.0, SIGMA, size=code.size)
    return pd.DataFrame({"y": y, "g": pd.Categorical(group)})


@functools.cache
def simulated_fit() -> hm.Fit:
    """y ~ 1 + (1 | g) on the simulated data (40 groups of 2-29 rows)."""
    return hm.Model("y ~ 1 + (1 | g)", simulated_data()).fit(**FIT)


@functools.cache
def gcse_fit() -> hm.Fit:
    """gcse ~ lrt + (1 | school): 4059 pupils in 65 schools (lme4 reference case)."""
    return hm.Model("gcse ~ lrt + (1 | school)", hm.datasets.load("gcse")).fit(**FIT)


def prior_fit(model: hm.Model, draws: int = 200, seed: int = 1) -> hm.Fit:
    """A Fit whose "posterior" is prior draws split into two chains: every variable,
    nothing sampled, so plots and tables can be checked in a second or two."""
    import xarray as xr

    from hiermodels.results import Fit

    prior = model.sample_prior_predictive(draws, random_seed=seed)["prior"].to_dataset()
    prior = prior.isel(chain=0, drop=True)
    half = draws // 2
    first = prior.isel(draw=slice(0, half))
    second = prior.isel(draw=slice(half, 2 * half)).assign_coords(draw=first["draw"])
    posterior = xr.concat([first, second], dim=pd.Index([0, 1], name="chain"))
    posterior = posterior.transpose("chain", "draw", ...)
    name = model.design.response_name
    observed = xr.Dataset(
        {name: ("obs", model.design.y)}, coords={"obs": np.arange(len(model.design.y))}
    )
    return Fit(
        model=model,
        idata=xr.DataTree.from_dict({"posterior": posterior, "observed_data": observed}),
    )
