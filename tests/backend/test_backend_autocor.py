"""Residual AR(1) models, ``ar(time, gr=id)``: the likelihood, the refusals, and two fits.

The statistical tests (marked slow) fit sleepstudy against ``nlme::lme(...,
correlation = corAR1())`` (tests/reference/nlme_ar1_sleepstudy.R) and recover phi = 0.7
from simulated series.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.inference.sample import autocor_sampler_kwargs

REFERENCE = Path(__file__).parents[1] / "reference" / "nlme_ar1_sleepstudy.csv"
FORMULA = "Reaction ~ Days + (1 | Subject) + ar(Days, gr = Subject)"


def small_frame():
    rng = np.random.default_rng(0)
    t = [0, 1, 2, 4, 0, 1, 3, 0, 2, 3]
    g = ["a"] * 4 + ["b"] * 3 + ["c"] * 3
    return pd.DataFrame({"y": rng.normal(size=10), "x": rng.normal(size=10), "t": t, "g": g})


def test_log_density_is_the_multivariate_normal_of_each_series():
    df = small_frame().sample(frac=1.0, random_state=1)  # rows in no particular order
    model = hm.Model("y ~ x + ar(t, gr = g)", df)
    pm_model = model.pymc_model
    point = pm_model.initial_point()
    point["ar_interval__"] = np.array(-0.9)  # phi = tanh(-0.45) < 0: negative correlation
    point["sigma_log__"] = np.array(0.3)
    fast = {"mode": "FAST_COMPILE"}  # no C compilation: the test takes a second, not 20
    logp = pm_model.compile_logp(vars=pm_model.observed_RVs, **fast)(point)
    names = [v.name for v in pm_model.unobserved_value_vars]
    values = dict(zip(names, pm_model.compile_fn(pm_model.unobserved_value_vars, **fast)(point)))
    a, b, sigma, phi = (values[k] for k in ("Intercept", "b", "sigma", "ar"))
    assert phi < 0
    mu = a + b[0] * df["x"].to_numpy()
    expected = 0.0
    for _, rows in df.groupby("g"):
        t = rows["t"].to_numpy(dtype=float)
        cov = sigma**2 * phi ** np.abs(np.subtract.outer(t, t))
        expected += multivariate_normal(mu[df.index.get_indexer(rows.index)], cov).logpdf(rows["y"])
    np.testing.assert_allclose(logp, expected, rtol=1e-8)


def test_prior_slot_and_refusals():
    model = hm.Model("y ~ x + (1 | g) + ar(t, gr = g)", small_frame())
    priors = model.prior_summary()
    assert priors.loc["ar", "prior"] == "Uniform(lower=-1, upper=1)"
    assert model.collapsed_factor() is None  # the collapsed likelihood does not apply
    # the REML pilot of "auto" ignores ar(): non-centred, and nutpie adapts a low-rank
    # mass matrix unless told otherwise
    assert model.parameterization == {"g": "non_centered"}
    assert autocor_sampler_kwargs(model.design, "nutpie", None) == {"adaptation": "low_rank"}
    assert autocor_sampler_kwargs(model.design, "nutpie", {"adaptation": "diag"}) == {
        "adaptation": "diag"
    }
    with pytest.raises(SpecError, match=r"method='marginal'.*ar\(\)"):
        model.collapsed_factor("marginal")
    with pytest.raises(SpecError, match=r"method='gibbs'.*ar\(\)"):
        model.fit(method="gibbs", draws=10, tune=10)
    with pytest.raises(SpecError, match=r"optimize\(\).*ar\(\)"):
        model.optimize()
    custom = hm.Model(
        "y ~ x + ar(t, gr = g)", small_frame(), priors={"ar": hm.Prior("Uniform", lower=0, upper=1)}
    )
    assert custom.prior_sources["ar"].startswith("user")
    assert "ar(t, gr = g)" in custom.formula


def test_prior_predictive_draws_whole_series():
    model = hm.Model("y ~ x + (1 | g) + ar(t, gr = g)", small_frame())
    tree = model.sample_prior_predictive(draws=50, random_seed=1)
    y = tree["prior_predictive"]["y"]
    assert y.shape == (1, 50, 10) and np.isfinite(y.values).all()


@pytest.fixture(scope="module")
def sleep_fit():
    data = hm.datasets.load("sleepstudy")
    with warnings.catch_warnings():
        # The tests check R-hat and ESS themselves, with the margins they need.
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        return hm.Model(FORMULA, data).fit(
            draws=1500, tune=1000, chains=2, random_seed=16, progressbar=False
        )


@pytest.mark.slow
def test_sleepstudy_agrees_with_nlme_corar1(sleep_fit):
    ref = pd.read_csv(REFERENCE).set_index("term")
    post = sleep_fit.posterior
    draws = {
        "Intercept": post["Intercept"],
        "Days": post["b"].sel(fixed_term="Days"),
        "sd|Subject|Intercept": post["sd_Subject"],
        "sigma": post["sigma"],
        "ar": post["ar"],
    }
    for term, da in draws.items():
        values = da.values.ravel()
        z = abs(values.mean() - ref.loc[term, "estimate"]) / values.std()
        print(f"nlme {term}: {z:.2f} posterior SD")
        assert z < 1.0, (term, z)
    phi = post["ar"].values.ravel()
    lo, hi = np.quantile(phi, [0.025, 0.975])
    print(f"ar 95% interval [{lo:.3f}, {hi:.3f}]")
    assert lo < ref.loc["ar", "upper"] and hi > ref.loc["ar", "lower"]
    report = sleep_fit.diagnostics()
    # The subject SD, sigma and ar trade off (a subject's level and a long run of
    # correlated residuals look alike): 2 x 1500 draws give a bulk ESS of about 80-200.
    print(report.line())
    assert report.max_rhat < 1.05 and report.min_ess_bulk > 40, report.line()


@pytest.mark.slow
def test_sleepstudy_summary_loo_and_predictions(sleep_fit):
    text = str(sleep_fit.summary())
    assert "Correlation structures:" in text and "ar[1]" in text
    table = sleep_fit.summary().correlation
    assert list(table.index) == ["ar[1]"]
    loo = sleep_fit.loo(warn=False)
    # one row left out of its series: finite, and reliable for almost every row
    k = np.asarray(loo.pareto_k)
    assert np.isfinite(loo.elpd) and (k < 0.7).mean() > 0.95
    ll = sleep_fit.idata["log_likelihood"]["Reaction"].values
    assert ll.shape == (2, 1500, 180) and np.isfinite(ll).all()
    rep = sleep_fit.posterior_predictive(random_seed=2)["posterior_predictive"]["Reaction"]
    resid = rep.values - sleep_fit.predict(kind="mean")["predictions"]["Reaction"].values
    # successive days of one subject: correlation ~ phi in the replicated residuals
    first, second = resid[..., 0::10].ravel(), resid[..., 1::10].ravel()
    r = np.corrcoef(first, second)[0, 1]
    phi = float(sleep_fit.posterior["ar"].mean())
    assert abs(r - phi) < 0.1, (r, phi)


def simulate_ar1(seed: int = 7, phi: float = 0.7) -> np.ndarray:
    """A response on sleepstudy's rows (18 subjects, days 0-9 in order): intercept 250,
    slope 10, subject SD 30, residual SD 25 with AR(1) correlation ``phi``."""
    rng = np.random.default_rng(seed)
    y = []
    for _ in range(18):
        u = rng.normal(0.0, 30.0)
        e = rng.normal(0.0, 25.0)
        for day in range(10):
            if day:
                e = phi * e + np.sqrt(1 - phi**2) * rng.normal(0.0, 25.0)
            y.append(250.0 + 10.0 * day + u + e)
    return np.array(y)


@pytest.mark.slow
def test_recovers_phi_07(sleep_fit):
    """Refit the compiled sleepstudy model to a simulated response (no second compile)."""
    import nutpie

    from hiermodels.sampling import compiled_for

    data = hm.datasets.load("sleepstudy")
    assert (data["Days"].to_numpy() == np.tile(np.arange(10), 18)).all()
    compiled = compiled_for(sleep_fit.model.pymc_model)
    tree = nutpie.sample(
        compiled.with_data(data_y=simulate_ar1()),
        draws=1500,
        tune=1000,
        chains=2,
        seed=3,
        progress_bar=False,
    )
    post = tree["posterior"]
    draws = {
        "ar": (post["ar"], 0.7),
        "sigma": (post["sigma"], 25.0),
        "sd_Subject": (post["sd_Subject"], 30.0),
        "Intercept": (post["Intercept"], 250.0),
        "Days": (post["b"].sel(fixed_term="Days"), 10.0),
    }
    for name, (da, value) in draws.items():
        values = da.values.ravel()
        z = abs(values.mean() - value) / values.std()
        print(f"recovery {name}: {z:.2f} posterior SD")
        assert z < 3.0, (name, z)
