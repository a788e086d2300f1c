"""Variance partition: ICC and Bayesian R², by hand on synthetic draws and against lme4."""

from __future__ import annotations

import math

import comparison_fits as cases
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hiermodels.design import build_design
from hiermodels.errors import SpecError
from hiermodels.spec.formula import parse_formula
from hiermodels.variance import icc_draws, latent_residual_variance, r2_draws

REFERENCE = "tests/reference/lme4_reference.csv"


def _crossed():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "y": rng.normal(size=24),
            "x": rng.normal(size=24),
            "a": np.repeat(list("ABCD"), 6),
            "c": np.tile(list("uvw"), 8),
        }
    )
    design = build_design(parse_formula("y ~ x + (1 | a) + (1 | c)"), df, family="gaussian")
    shape = (2, 5)
    post = xr.Dataset(
        {
            "Intercept": (("chain", "draw"), rng.normal(size=shape)),
            "b": (("chain", "draw", "fixed_term"), rng.normal(size=(*shape, 1))),
            "sd_a": (("chain", "draw", "a__term"), rng.uniform(0.5, 2, size=(*shape, 1))),
            "sd_c": (("chain", "draw", "c__term"), rng.uniform(0.5, 2, size=(*shape, 1))),
            "r_a": (("chain", "draw", "a", "a__term"), rng.normal(size=(*shape, 4, 1))),
            "r_c": (("chain", "draw", "b", "c__term"), rng.normal(size=(*shape, 3, 1))),
            "sigma": (("chain", "draw"), rng.uniform(0.5, 2, size=shape)),
        },
        coords={
            "chain": [0, 1],
            "draw": np.arange(5),
            "fixed_term": ["x"],
            "a__term": ["Intercept"],
            "c__term": ["Intercept"],
            "a": list("ABCD"),
            "c": list("uvw"),
        },
    )
    return df, design, post


def test_icc_of_crossed_factors_by_hand():
    _, design, post = _crossed()
    icc = icc_draws(post, design, "gaussian", "identity")
    assert icc.dims == ("chain", "draw", "group")
    assert list(icc["group"].values) == ["a", "c"]
    for c, d in [(0, 0), (1, 4)]:
        ta = post["sd_a"].values[c, d, 0] ** 2
        tb = post["sd_c"].values[c, d, 0] ** 2
        s2 = post["sigma"].values[c, d] ** 2
        np.testing.assert_allclose(
            icc.values[c, d], [ta / (ta + tb + s2), tb / (ta + tb + s2)], rtol=1e-12
        )


def test_icc_uses_latent_variance_for_binomial_links():
    _, design, post = _crossed()
    for link, resid in [("logit", math.pi**2 / 3), ("probit", 1.0), ("cloglog", math.pi**2 / 6)]:
        icc = icc_draws(post, design, "bernoulli", link)
        ta = post["sd_a"].values[0, 0, 0] ** 2
        tb = post["sd_c"].values[0, 0, 0] ** 2
        assert icc.values[0, 0, 0] == pytest.approx(ta / (ta + tb + resid))


def test_r2_by_hand():
    df, design, post = _crossed()
    r2 = r2_draws(post, design, "gaussian", "identity")
    assert list(r2["r2"].values) == ["marginal", "conditional"]
    a_code = df["a"].map({k: i for i, k in enumerate("ABCD")}).to_numpy()
    b_code = df["c"].map({k: i for i, k in enumerate("uvw")}).to_numpy()
    for c, d in [(0, 1), (1, 3)]:
        p = post.isel(chain=c, draw=d)
        fixed = p["Intercept"].values + p["b"].values[0] * df["x"].to_numpy()
        total = fixed + p["r_a"].values[a_code, 0] + p["r_c"].values[b_code, 0]
        denom = np.var(total, ddof=1) + p["sigma"].values ** 2
        np.testing.assert_allclose(
            r2.values[c, d], [np.var(fixed, ddof=1) / denom, np.var(total, ddof=1) / denom]
        )


def test_unsupported_families_are_refused():
    assert latent_residual_variance("binomial", "probit", None) == 1.0
    with pytest.raises(
        SpecError, match=r"families \['gaussian', 'bernoulli', 'binomial'.*'poisson'"
    ):
        latent_residual_variance("poisson", "log", None)
    df, _, post = _crossed()
    no_intercept = build_design(parse_formula("y ~ x + (0 + x | a)"), df, family="gaussian")
    with pytest.raises(SpecError, match=r"varying intercept.*\['a'\]"):
        icc_draws(post, no_intercept, "gaussian", "identity")


# ------------------------------------------------------------------ fitted models


@pytest.fixture(scope="module")
def gcse():
    return cases.gcse_fit()


@pytest.mark.slow
def test_gcse_icc_agrees_with_lme4(gcse):
    """REML ICC 0.1422 (tests/reference); the posterior mean must lie within 2 posterior
    SDs and 0.02 of it (the posterior of τ is right-skewed with 65 schools, so its mean
    sits a little above the REML mode)."""
    ref = pd.read_csv(REFERENCE)
    reml = float(ref.query("case == 'gcse' and kind == 'icc'")["estimate"].iloc[0])
    icc = gcse.icc()
    row = icc.loc["school"]
    print(f"\nICC posterior {row['mean']:.4f} ± {row['sd']:.4f} vs REML {reml:.4f}")
    assert list(icc.index) == ["school"]
    assert abs(row["mean"] - reml) < 2 * row["sd"]
    assert abs(row["mean"] - reml) < 0.02
    assert row["eti89_lb"] < reml < row["eti89_ub"]


@pytest.mark.slow
def test_conditional_r2_equals_arviz_bayesian_r2(gcse):
    import arviz_stats as azs

    from hiermodels.linear_predictor import linear_predictor

    post = gcse.posterior
    mu = linear_predictor(post, gcse.design)
    tree = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"mu": (("chain", "draw", "obs"), mu), "sigma": post["sigma"]})}
    )
    expected = azs.bayesian_r2(tree, pred_mean="mu", scale="sigma", summary=False)
    ours = r2_draws(post, gcse.design, "gaussian", "identity").sel(r2="conditional")
    np.testing.assert_allclose(np.sort(ours.values.ravel()), np.sort(np.ravel(expected)))
    table = gcse.r2()
    print("\n" + table.to_string())
    assert list(table.index) == ["marginal", "conditional"]
    assert 0 < table.loc["marginal", "mean"] < table.loc["conditional", "mean"] < 1


@pytest.mark.slow
def test_simulated_icc_recovers_the_truth():
    """Simulated τ = 1, σ = 2: ICC = 1 / (1 + 4) = 0.2."""
    icc = cases.simulated_fit().icc().loc["g"]
    assert abs(icc["mean"] - 0.2) < 3 * icc["sd"]
