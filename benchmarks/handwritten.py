"""Hand-written PyMC models of every benchmark case, as a competent PyMC user writes them.

Plain PyMC: ``pm.Data`` containers, named dims, non-centred group effects
(``r = z * sd``, or ``r = z @ L.T`` with an LKJ Cholesky factor for correlated terms),
compiled by nutpie with the numba backend. No tricks beyond non-centring: predictors are
not centred, there is no sum-zero split and no shear.

The priors follow hiermodels' defaults in spirit, scaled by the data:
``Intercept ~ Normal(mean(y), 2.5 sd(y))``, ``b_k ~ Normal(0, 2.5 sd(y) / sd(x_k))``,
group SDs ``HalfNormal(sd(y))`` for intercepts and ``HalfNormal(sd(y) / sd(z))`` for a
slope on ``z``, ``LKJ(eta=2)`` correlations and ``sigma ~ Exponential(1 / sd(y))``.

Examples
--------
>>> from benchmarks.cases import CASES, load
>>> case = CASES["sleepstudy"]
>>> model = build_model(case, load(case))
>>> sorted(v.name for v in model.free_RVs)
['Intercept', 'b', 'chol_Subject', 'sigma', 'z_Subject']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

from benchmarks.cases import Case, fixed_matrix, group_codes

__all__ = ["EXCLUDED_PREFIXES", "build_model"]

#: Sampler coordinates left out of the ESS and R-hat summaries.
EXCLUDED_PREFIXES = ("z_", "chol_")


def _sd(values: np.ndarray) -> float:
    sd = float(np.std(values))
    return sd if sd > 0 else 1.0


def _safe(name: str) -> str:
    return name.replace(":", "_")


def build_model(case: Case, data: pd.DataFrame) -> pm.Model:
    """The PyMC model of ``case`` on ``data``."""
    y = data[case.response].to_numpy(float)
    X = fixed_matrix(data, case.fixed)
    y_sd = _sd(y)
    factors = {_safe(g): group_codes(data, g) for g in case.groups}
    coords = {"obs": np.arange(len(y)), **{g: levels for g, (_, levels) in factors.items()}}
    if X.shape[1]:
        coords["fixed"] = list(case.fixed)
    if case.slope is not None:
        coords["term"] = ["Intercept", case.slope]
    with pm.Model(coords=coords) as model:
        intercept = pm.Normal("Intercept", mu=float(np.mean(y)), sigma=2.5 * y_sd)
        mu = intercept
        if X.shape[1]:
            x_sd = np.array([_sd(col) for col in X.T])
            X_data = pm.Data("X", X, dims=("obs", "fixed"))
            b = pm.Normal("b", mu=0.0, sigma=2.5 * y_sd / x_sd, dims="fixed")
            mu = mu + X_data @ b
        for g, (codes, _) in factors.items():
            idx = pm.Data(f"idx_{g}", codes, dims="obs")
            if case.structure == "intercepts":
                sd = pm.HalfNormal(f"sd_{g}", sigma=y_sd)
                z = pm.Normal(f"z_{g}", 0.0, 1.0, dims=g)
                r = pm.Deterministic(f"r_{g}", z * sd, dims=g)
                mu = mu + r[idx]
                continue
            slope = data[case.slope].to_numpy(float)
            z_col = pm.Data(f"{_safe(case.slope)}_{g}", slope, dims="obs")
            sd_prior = np.array([y_sd, y_sd / _sd(slope)])
            z = pm.Normal(f"z_{g}", 0.0, 1.0, dims=(g, "term"))
            if case.structure == "correlated_slopes":
                chol, corr, sds = pm.LKJCholeskyCov(
                    f"chol_{g}",
                    n=2,
                    eta=2.0,
                    sd_dist=pm.HalfNormal.dist(sigma=sd_prior, shape=2),
                    compute_corr=True,
                    store_in_trace=False,
                )
                pm.Deterministic(f"sd_{g}", sds, dims="term")
                pm.Deterministic(f"cor_{g}", corr[0, 1])
                r = pm.Deterministic(f"r_{g}", z @ chol.T, dims=(g, "term"))
            else:
                sd = pm.HalfNormal(f"sd_{g}", sigma=sd_prior, dims="term")
                r = pm.Deterministic(f"r_{g}", z * sd, dims=(g, "term"))
            mu = mu + r[idx, 0] + r[idx, 1] * z_col
        sigma = pm.Exponential("sigma", lam=1.0 / y_sd)
        y_data = pm.Data("y_obs", y, dims="obs")
        pm.Normal(case.response, mu=mu, sigma=sigma, observed=y_data, dims="obs")
    return model
