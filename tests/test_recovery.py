"""Parameter recovery on simulated data, one model per multilevel structure.

Each test simulates data with a fixed seed from known parameters, fits the model and
checks that every fixed effect, group SD, correlation and the residual SD lies within
3 posterior standard deviations of the truth. With fixed seeds the outcome is
deterministic; across seeds a 3-SD check fails for roughly 0.3% of parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm

pytestmark = pytest.mark.slow

K_SD = 3.0
FIT = dict(draws=1000, tune=1000, chains=4, cores=2, progressbar=False)


def assert_recovers(fit: hm.Fit, fixed: dict[str, float], components: dict[tuple, float]):
    """Check each truth against posterior mean +- K_SD posterior SDs; report all misses."""
    misses = []
    fe = fit.fixed_effects()
    for term, truth in fixed.items():
        row = fe.loc[term]
        if abs(row["mean"] - truth) > K_SD * row["sd"]:
            misses.append(
                f"fixed {term}: truth {truth}, posterior {row['mean']:.3f} ± {row['sd']:.3f}"
            )
    vc = fit.variance_components().set_index(["group", "term"])
    for key, truth in components.items():
        row = vc.loc[key]
        if abs(row["mean"] - truth) > K_SD * row["sd"]:
            misses.append(f"{key}: truth {truth}, posterior {row['mean']:.3f} ± {row['sd']:.3f}")
    assert set(vc.index) == set(components), "every variance component must be checked"
    assert not misses, "\n".join(misses)
    assert fit.diagnostics().max_rhat < 1.02


def test_varying_intercept_recovers_truth():
    rng = np.random.default_rng(101)
    J, n = 30, 20
    g = np.repeat(np.arange(J), n)
    x = rng.normal(size=J * n)
    u = rng.normal(0, 0.8, J)
    y = 1.0 + 0.5 * x + u[g] + rng.normal(0, 1.0, J * n)
    df = pd.DataFrame({"y": y, "x": x, "g": [f"g{j}" for j in g]})
    fit = hm.Model("y ~ x + (1 | g)", df).fit(random_seed=1, **FIT)
    assert_recovers(
        fit,
        {"Intercept": 1.0, "x": 0.5},
        {("g", "Intercept"): 0.8, ("Residual", ""): 1.0},
    )


def simulate_slopes(seed: int, rho: float):
    rng = np.random.default_rng(seed)
    J, n = 50, 12
    sd = np.array([1.0, 0.5])
    cov = np.diag(sd) @ np.array([[1, rho], [rho, 1]]) @ np.diag(sd)
    u = rng.multivariate_normal([0, 0], cov, size=J)
    g = np.repeat(np.arange(J), n)
    x = rng.uniform(-2, 2, J * n)
    y = 2.0 - 1.0 * x + u[g, 0] + u[g, 1] * x + rng.normal(0, 0.7, J * n)
    return pd.DataFrame({"y": y, "x": x, "g": [f"s{j:02d}" for j in g]})


def test_correlated_slopes_recover_negative_correlation():
    df = simulate_slopes(202, rho=-0.5)
    fit = hm.Model("y ~ x + (1 + x | g)", df).fit(random_seed=2, **FIT)
    assert_recovers(
        fit,
        {"Intercept": 2.0, "x": -1.0},
        {
            ("g", "Intercept"): 1.0,
            ("g", "x"): 0.5,
            ("g", "Intercept:x"): -0.5,
            ("Residual", ""): 0.7,
        },
    )
    cor = fit.variance_components().set_index(["group", "term"]).loc[("g", "Intercept:x")]
    assert cor["eti89_ub"] < 0, "the negative correlation must be clearly detected"


def test_uncorrelated_slopes_recover_truth():
    df = simulate_slopes(303, rho=0.0)
    model = hm.Model("y ~ x + (1 + x || g)", df)
    assert model.parameterization == {"g": "centered"}  # 12 precise rows per level
    fit = model.fit(random_seed=3, **FIT)
    assert_recovers(
        fit,
        {"Intercept": 2.0, "x": -1.0},
        {("g", "Intercept"): 1.0, ("g", "x"): 0.5, ("Residual", ""): 0.7},
    )


def test_nested_groups_recover_truth():
    rng = np.random.default_rng(404)
    A, B, n = 15, 4, 8
    a = np.repeat(np.arange(A), B * n)
    b = np.tile(np.repeat(np.arange(B), n), A)
    u_a = rng.normal(0, 1.0, A)
    u_ab = rng.normal(0, 0.6, (A, B))
    y = 5.0 + u_a[a] + u_ab[a, b] + rng.normal(0, 0.5, a.size)
    # inner labels repeat across outer levels, as in Pastes: the nesting makes them unique
    df = pd.DataFrame({"y": y, "a": [f"A{i}" for i in a], "b": [f"b{j}" for j in b]})
    fit = hm.Model("y ~ 1 + (1 | a/b)", df).fit(random_seed=4, **FIT)
    assert fit.design.group("a:b").n_levels == A * B
    assert_recovers(
        fit,
        {"Intercept": 5.0},
        {("a", "Intercept"): 1.0, ("a:b", "Intercept"): 0.6, ("Residual", ""): 0.5},
    )


def test_crossed_groups_recover_truth():
    rng = np.random.default_rng(505)
    A, B, reps = 25, 12, 2
    a = np.repeat(np.arange(A), B * reps)
    b = np.tile(np.repeat(np.arange(B), reps), A)
    x = rng.normal(size=a.size)
    y = 1.0 + 0.3 * x + rng.normal(0, 1.0, A)[a] + rng.normal(0, 0.5, B)[b]
    y = y + rng.normal(0, 0.8, a.size)
    df = pd.DataFrame({"y": y, "x": x, "a": a.astype(str), "b": [f"p{j}" for j in b]})
    fit = hm.Model("y ~ x + (1 | a) + (1 | b)", df).fit(random_seed=5, **FIT)
    assert_recovers(
        fit,
        {"Intercept": 1.0, "x": 0.3},
        {("a", "Intercept"): 1.0, ("b", "Intercept"): 0.5, ("Residual", ""): 0.8},
    )


def test_multiple_membership_with_unequal_weights_recovers_truth():
    rng = np.random.default_rng(606)
    J, N, k = 40, 800, 3
    schools = rng.integers(0, J, size=(N, k))
    n_attended = rng.integers(1, k + 1, size=N)
    weights = rng.dirichlet(np.ones(k) * 2, size=N)
    for i, m in enumerate(n_attended):
        # fewer schools: repeat the first one with weight 0
        schools[i, m:] = schools[i, 0]
        weights[i, m:] = 0.0
        weights[i] /= weights[i].sum()
    u = rng.normal(0, 1.0, J)
    x = rng.normal(size=N)
    y = 0.5 + 0.3 * x + (weights * u[schools]).sum(axis=1) + rng.normal(0, 0.5, N)
    df = pd.DataFrame({"y": y, "x": x})
    for m in range(k):
        df[f"s{m + 1}"] = [f"school{j:02d}" for j in schools[:, m]]
        df[f"w{m + 1}"] = weights[:, m]
    formula = "y ~ x + (1 | mm(s1, s2, s3, weights=[w1, w2, w3]))"
    fit = hm.Model(formula, df).fit(random_seed=6, **FIT)
    group = "mm(s1, s2, s3)"
    assert_recovers(
        fit,
        {"Intercept": 0.5, "x": 0.3},
        {(group, "Intercept"): 1.0, ("Residual", ""): 0.5},
    )
    # the weighted effects matter: ignoring membership overstates the residual SD
    sigma = fit.variance_components().set_index("group").loc["Residual", "mean"]
    assert sigma < 0.7
