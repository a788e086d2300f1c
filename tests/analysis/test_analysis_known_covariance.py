"""A gr(g, cov=K) factor on a simulated pedigree: recovery, held-out predictions against an
independent factor, new levels conditional on their relatives, LOO and a saved fit.

One NUTS fit for the module (the independent factor's fit is a Gibbs run: no compile).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp

import hiermodels as hm
from hiermodels.analysis.heldout import heldout_log_likelihood
from hiermodels.errors import DataError

SD, SIGMA, INTERCEPT = 1.0, 0.5, 2.0


def pedigree_relationship(n_founders: int, generations: tuple[int, ...], rng) -> np.ndarray:
    """The additive relationship matrix (tabular method) of a random pedigree: unrelated
    founders, then generations whose two parents are drawn from the one before."""
    sire, dam = [-1] * n_founders, [-1] * n_founders
    previous = list(range(n_founders))
    for size in generations:
        start = len(sire)
        for _ in range(size):
            s, d = rng.choice(previous, size=2, replace=False)
            sire.append(int(s))
            dam.append(int(d))
        previous = list(range(start, len(sire)))
    n = len(sire)
    A = np.zeros((n, n))
    for i in range(n):
        s, d = sire[i], dam[i]
        A[i, i] = 1.0 + (0.5 * A[s, d] if s >= 0 else 0.0)
        for j in range(i):
            A[i, j] = A[j, i] = 0.5 * ((A[j, s] if s >= 0 else 0.0) + (A[j, d] if d >= 0 else 0.0))
    return A


def simulate(seed: int = 2024):
    """100 individuals (20 founders, two generations of 40); 30 of them held out whole."""
    rng = np.random.default_rng(seed)
    A = pedigree_relationship(20, (40, 40), rng)
    J = len(A)
    labels = [f"id{j:03d}" for j in range(J)]
    effects = SD * np.linalg.cholesky(A) @ rng.normal(size=J)
    new = np.sort(rng.choice(J, size=30, replace=False))
    seen = np.setdiff1d(np.arange(J), new)

    def rows(ids):
        return pd.DataFrame(
            {
                "y": INTERCEPT + effects[ids] + rng.normal(0.0, SIGMA, len(ids)),
                "animal": [labels[i] for i in ids],
            }
        )

    train = rows(np.repeat(seen, 2))
    test_seen, test_new = rows(seen), rows(np.repeat(new, 2))
    K = pd.DataFrame(A, index=labels, columns=labels)
    truth = pd.Series(effects, index=labels)
    return train, test_seen, test_new, K, truth


@pytest.fixture(scope="module")
def case():
    train, test_seen, test_new, K, truth = simulate()
    fit = hm.Model("y ~ 1 + (1 | gr(animal, cov=K))", train, data2={"K": K}).fit(
        draws=1000, tune=1000, chains=2, random_seed=11, progressbar=False
    )
    independent = hm.Model("y ~ 1 + (1 | animal)", train).fit(
        method="gibbs", draws=1000, tune=500, chains=2, random_seed=11, progressbar=False
    )
    return {
        "fit": fit,
        "independent": independent,
        "test_seen": test_seen,
        "test_new": test_new,
        "K": K,
        "truth": truth,
    }


def _rmse(fit, test, target=None) -> float:
    """RMSE of the posterior mean predictions against ``target`` (default: held-out y)."""
    pred = fit.predict(test, random_seed=5)["predictions"]["y"].mean(("chain", "draw"))
    target = test["y"].to_numpy() if target is None else target
    return float(np.sqrt(np.mean((pred.values - target) ** 2)))


@pytest.mark.slow
def test_sd_and_sigma_are_recovered_and_the_sampler_converged(case):
    fit = case["fit"]
    post = fit.posterior
    for name, truth in (("sd_g", SD), ("sigma", SIGMA)):
        draws = post["sd_animal"].values[..., 0] if name == "sd_g" else post["sigma"].values
        z = abs(draws.mean() - truth) / draws.std()
        assert z < 3.0, (name, draws.mean(), draws.std())
    report = fit.diagnostics()
    assert report.ok, report.advice


@pytest.mark.slow
def test_effects_match_their_exact_conditional_mean_given_the_variances(case):
    """Given (Intercept, sd, sigma), the effects' posterior is Gaussian, with mean
    (Z'Z / sigma^2 + K^-1 / sd^2)^-1 Z'(y - Intercept) / sigma^2 (the GLS / BLUP formula
    with known variances). Its average over the draws (Rao-Blackwell) must equal the
    sampled effects' posterior mean within Monte Carlo error: a check of the model graph
    against the direct Gaussian computation."""
    import arviz_stats as azs

    fit, K = case["fit"], case["K"]
    post = fit.posterior
    design = fit.design
    g = design.group("animal")
    levels = list(g.levels)
    lam, U = np.linalg.eigh(K.loc[levels, levels].to_numpy())
    codes = g.codes[:, 0]
    counts = np.bincount(codes, minlength=len(levels))
    intercept = post["Intercept"].values.reshape(-1)
    sd = post["sd_animal"].values[..., 0].reshape(-1)
    sigma = post["sigma"].values.reshape(-1)
    assert np.all(counts == counts[0])  # Z'Z = c I, so one eigenbasis serves every draw
    sums = np.stack(
        [np.bincount(codes, weights=design.y - m, minlength=len(levels)) for m in intercept]
    )
    b = sums / sigma[:, None] ** 2
    inv = 1.0 / (counts[0] / sigma[:, None] ** 2 + 1.0 / (lam[None, :] * sd[:, None] ** 2))
    rao_blackwell = ((b @ U) * inv) @ U.T
    sampled = post["r_animal"].isel({"animal__term": 0})
    mcse = sampled.std(("chain", "draw")).values / np.sqrt(azs.ess(sampled, method="mean").values)
    z = (sampled.mean(("chain", "draw")).values - rao_blackwell.mean(axis=0)) / mcse
    print(f"max |difference| {np.abs(z).max():.2f} Monte Carlo SEs over {len(z)} levels")
    assert np.abs(z).max() < 4.5


@pytest.mark.slow
def test_held_out_rmse_beats_the_independent_factor(case):
    """Held-out rows of 30 animals without training rows and one more row of each of the
    70 others; and the estimated means (Intercept + effect) against the simulated ones."""
    fit, independent, truth = case["fit"], case["independent"], case["truth"]
    new, seen = case["test_new"], case["test_seen"]
    both = pd.concat([seen, new], ignore_index=True)
    rmse = {
        what: (_rmse(fit, *args), _rmse(independent, *args))
        for what, args in {
            "new rows": (new,),
            "seen rows": (seen,),
            "all rows": (both,),
            "new means": (new, INTERCEPT + truth[new["animal"]].to_numpy()),
            "seen means": (seen, INTERCEPT + truth[seen["animal"]].to_numpy()),
        }.items()
    }
    print("held-out RMSE, K vs independent:", {k: np.round(v, 3).tolist() for k, v in rmse.items()})
    assert rmse["new rows"][0] < 0.9 * rmse["new rows"][1]
    assert rmse["all rows"][0] < rmse["all rows"][1]
    assert rmse["new means"][0] < 0.8 * rmse["new means"][1]
    assert rmse["seen means"][0] < 1.05 * rmse["seen means"][1]  # 2 rows each: data dominate


@pytest.mark.slow
def test_new_levels_are_conditional_on_their_relatives(case):
    fit, K = case["fit"], case["K"]
    test = case["test_new"].drop_duplicates("animal")
    post = fit.posterior
    fitted = list(fit.design.group("animal").levels)
    new = test["animal"].tolist()
    A = K.loc[new, fitted].to_numpy() @ np.linalg.inv(K.loc[fitted, fitted].to_numpy())
    r = post["r_animal"].values[..., 0]  # chain, draw, level
    mean = post["Intercept"].values[..., None] + np.einsum("nj,cdj->cdn", A, r)
    pred = fit.predict(test, kind="link", random_seed=3)["predictions"]["y"].values
    # pred - mean = L_S w, w ~ N(0, sd^2): standardised, the residuals are N(0, 1)
    S = K.loc[new, new].to_numpy() - A @ K.loc[fitted, new].to_numpy()
    sd = post["sd_animal"].values[..., 0]
    w = np.linalg.solve(np.linalg.cholesky(S), (pred - mean).reshape(-1, len(new)).T)
    w = w / sd.reshape(-1)
    n = w.size
    assert abs(w.mean()) < 4 / np.sqrt(n) and abs(w.var() - 1) < 4 * np.sqrt(2 / n)
    population = fit.predict(test, kind="link", new_groups="population")["predictions"]["y"]
    np.testing.assert_allclose(population.values, post["Intercept"].values[..., None] + 0 * pred)


@pytest.mark.slow
def test_a_level_missing_from_K_is_refused(case):
    fit = case["fit"]
    with pytest.raises(DataError, match=r"new level\(s\) \['zz'\] of 'animal' are not in"):
        fit.predict(pd.DataFrame({"animal": ["zz"]}))
    with pytest.raises(DataError, match="not in data2"):
        fit.predict(case["test_new"], all_new=True)
    assert fit.predict(pd.DataFrame({"animal": ["zz"]}), new_groups="population")


@pytest.mark.slow
def test_held_out_density_of_new_levels_is_the_conditional_normal(case):
    """A held-out row of a new level j: N(Intercept + (A r)_j, sigma^2 + sd^2 S_jj) per
    draw (what k-fold uses); the Monte Carlo integral agrees."""
    fit, K = case["fit"], case["K"]
    test = case["test_new"].iloc[:8]
    y = test["y"].to_numpy()
    got = heldout_log_likelihood(fit, test, y=y)
    post = fit.posterior
    fitted = list(fit.design.group("animal").levels)
    new = list(dict.fromkeys(test["animal"]))
    A = K.loc[new, fitted].to_numpy() @ np.linalg.inv(K.loc[fitted, fitted].to_numpy())
    S = K.loc[new, new].to_numpy() - A @ K.loc[fitted, new].to_numpy()
    j = [new.index(a) for a in test["animal"]]
    mean = (
        post["Intercept"].values[..., None]
        + np.einsum("nj,cdj->cdn", A, post["r_animal"].values[..., 0])[..., j]
    )
    var = post["sigma"].values[..., None] ** 2 + (
        post["sd_animal"].values[..., 0][..., None] ** 2 * np.diag(S)[j]
    )
    expected = stats.norm.logpdf(y, mean, np.sqrt(var))
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    mc = heldout_log_likelihood(
        fit, test, y=y, method="monte_carlo", n_new_draws=400, random_seed=1
    )
    lpd = logsumexp(got.reshape(-1, len(y)), axis=0)
    lpd_mc = logsumexp(mc.reshape(-1, len(y)), axis=0)
    np.testing.assert_allclose(lpd_mc, lpd, atol=0.01)


@pytest.mark.slow
def test_loo_summary_and_a_saved_fit(case, tmp_path):
    fit = case["fit"]
    loo = fit.loo(warn=False)  # Pareto k is high for a few rows: 2 rows per animal
    assert np.isfinite(loo.elpd)
    text = str(fit.summary())
    assert "gr(animal, cov=K)" in text and "Levels of animal correlated as data2['K']" in text
    assert "sd|animal|Intercept" in fit.model.prior_summary().index
    loaded = hm.load(fit.save(tmp_path / "pedigree.hmfit"))
    test = case["test_new"].iloc[:4]
    a = fit.predict(test, random_seed=2)["predictions"]["y"].values
    b = loaded.predict(test, random_seed=2)["predictions"]["y"].values
    np.testing.assert_array_equal(a, b)
