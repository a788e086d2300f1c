"""Every family: simulated recovery with a correlated varying intercept and slope,
dispersion recovery for the negative binomial, and Student-t robustness to outliers.

Truths must lie within 3 posterior SDs (fixed seeds; see test_recovery.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import hiermodels as hm

pytestmark = pytest.mark.slow

K_SD = 3.0
FIT = dict(draws=1000, tune=1000, chains=4, cores=2, progressbar=False)
TRUTH_FIXED = {"Intercept": 0.3, "x": 0.8}
TRUTH_SD = (0.6, 0.4)
TRUTH_COR = 0.3


def simulate_eta(seed: int, groups: int = 50, per_group: int = 30):
    rng = np.random.default_rng(seed)
    sd = np.array(TRUTH_SD)
    cov = np.diag(sd) @ np.array([[1, TRUTH_COR], [TRUTH_COR, 1]]) @ np.diag(sd)
    u = rng.multivariate_normal([0, 0], cov, size=groups)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.uniform(-1, 1, g.size)
    eta = TRUTH_FIXED["Intercept"] + TRUTH_FIXED["x"] * x + u[g, 0] + u[g, 1] * x
    frame = pd.DataFrame({"x": x, "g": [f"g{j:02d}" for j in g]})
    return rng, frame, eta


def simulate(family: str, seed: int) -> tuple[pd.DataFrame, dict]:
    rng, df, eta = simulate_eta(seed)
    extra: dict = {}
    if family == "bernoulli":
        df["y"] = rng.binomial(1, expit(eta))
    elif family == "binomial":
        df["n"] = rng.integers(5, 20, size=len(df))
        df["y"] = rng.binomial(df["n"], expit(eta))
    elif family == "poisson":
        # counts over a known exposure, modelled with offset(log(exposure))
        df["exposure"] = rng.uniform(0.5, 3.0, size=len(df))
        df["y"] = rng.poisson(df["exposure"] * np.exp(eta))
    elif family == "negative_binomial":
        alpha = 3.0
        mu = np.exp(eta)
        df["y"] = rng.negative_binomial(alpha, alpha / (alpha + mu))
        extra["alpha"] = alpha
    elif family == "student_t":
        df["y"] = eta + 0.5 * rng.standard_t(4, size=len(df))
        extra["sigma"], extra["nu"] = 0.5, 4.0
    return df, extra


@pytest.mark.parametrize(
    ("family", "formula", "seed"),
    [
        ("bernoulli", "y ~ x + (1 + x | g)", 11),
        ("binomial", "y | trials(n) ~ x + (1 + x | g)", 12),
        ("poisson", "y ~ x + offset(log(exposure)) + (1 + x | g)", 13),
        ("negative_binomial", "y ~ x + (1 + x | g)", 14),
        ("student_t", "y ~ x + (1 + x | g)", 15),
    ],
)
def test_family_recovers_truth(family, formula, seed):
    df, extra = simulate(family, seed)
    fit = hm.Model(formula, df, family=family).fit(random_seed=seed, **FIT)
    misses = []
    fe = fit.fixed_effects()
    for term, truth in TRUTH_FIXED.items():
        if abs(fe.loc[term, "mean"] - truth) > K_SD * fe.loc[term, "sd"]:
            misses.append((term, truth, fe.loc[term, "mean"], fe.loc[term, "sd"]))
    vc = fit.variance_components().set_index(["group", "term"])
    truths = {
        ("g", "Intercept"): TRUTH_SD[0],
        ("g", "x"): TRUTH_SD[1],
        ("g", "Intercept:x"): TRUTH_COR,
    }
    if "sigma" in extra:
        truths[("Residual", "")] = extra["sigma"]
    assert set(vc.index) == set(truths)
    for key, truth in truths.items():
        if abs(vc.loc[key, "mean"] - truth) > K_SD * vc.loc[key, "sd"]:
            misses.append((key, truth, vc.loc[key, "mean"], vc.loc[key, "sd"]))
    for name in ("alpha", "nu"):
        if name in extra:
            draws = fit.posterior[name]
            mean, sd = float(draws.mean()), float(draws.std())
            if abs(mean - extra[name]) > K_SD * sd:
                misses.append((name, extra[name], mean, sd))
    assert not misses, misses
    assert fit.diagnostics().max_rhat < 1.02


def test_student_t_is_robust_to_gross_outliers_where_gaussian_is_not():
    rng = np.random.default_rng(77)
    groups, per_group = 30, 20
    g = np.repeat(np.arange(groups), per_group)
    x = rng.uniform(0, 1, g.size)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.5, groups)[g] + rng.normal(0, 0.5, g.size)
    outliers = rng.choice(np.flatnonzero(x > 0.7), size=int(0.05 * g.size), replace=False)
    y[outliers] += 8.0  # 5% gross outliers, 16 residual SDs, at large x
    df = pd.DataFrame({"y": y, "x": x, "g": [f"g{j}" for j in g]})
    slope = {}
    for family in ("student_t", "gaussian"):
        fe = hm.Model("y ~ x + (1 | g)", df, family=family).fit(random_seed=7, **FIT)
        fe = fe.fixed_effects()
        slope[family] = (fe.loc["x", "mean"], fe.loc["x", "sd"])
    t_mean, t_sd = slope["student_t"]
    g_mean, g_sd = slope["gaussian"]
    assert abs(t_mean - 2.0) < 2 * t_sd, slope
    assert abs(g_mean - 2.0) > 2 * g_sd, slope
