"""Every family: simulated recovery with a correlated varying intercept and slope,
dispersion recovery for the negative binomial, and Student-t robustness to outliers.
The families of issue #15 (zero-inflated, hurdle, beta, gamma, lognormal) also check
their auxiliary parameter, LOO and the mean of ``predict``, and four of them agree with
glmmTMB (tests/reference/family_cases.py, glmmtmb_families.R).

Truths must lie within 3 posterior SDs (fixed seeds; see test_recovery.py).
"""

from __future__ import annotations

import warnings

import family_cases  # tests/reference, on the path (tests/conftest.py)
import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import hiermodels as hm
from hiermodels.errors import ParetoKWarning
from hiermodels.families import get_family
from hiermodels.linear_predictor import linear_predictor

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


# ---------------------------------------------------------------- issue #15 families
# One simulated data set and one fit per family (tests/reference/family_cases.py),
# shared by the recovery check, LOO and the glmmTMB comparison.
NEW_FAMILIES = sorted(family_cases.CASES)
#: glmmTMB's ML fixed effects against the posterior mean: |z| below this many posterior SDs.
GLMMTMB_SD = 0.5


@pytest.fixture(scope="module")
def new_family_fits():
    fits: dict[str, hm.Fit] = {}

    def fit_case(case: str) -> hm.Fit:
        if case not in fits:
            if case in family_cases.SALAMANDERS:
                df = hm.datasets.load("Salamanders")
                model = hm.Model(
                    family_cases.SALAMANDERS_FORMULA, df, family=family_cases.SALAMANDERS[case]
                )
                seed = 20261201
            else:
                df, _ = family_cases.simulate(case)
                seed = family_cases.CASES[case][0]
                model = hm.Model(family_cases.FORMULA, df, family=case)
            options = {**family_cases.SAMPLING, **family_cases.EXTRA_SAMPLING.get(case, {})}
            fits[case] = model.fit(random_seed=seed, **options)
        return fits[case]

    return fit_case


@pytest.mark.parametrize("case", NEW_FAMILIES)
def test_new_family_recovers_truth_and_has_loo(case, new_family_fits):
    fit = new_family_fits(case)
    truth = family_cases.CASES[case][1]
    misses, z = [], {}
    fe = fit.fixed_effects()
    for term, value in truth.fixed.items():
        z[term] = (fe.loc[term, "mean"] - value) / fe.loc[term, "sd"]
    vc = fit.variance_components().set_index(["group", "term"])
    sd, cor = family_cases.SD, family_cases.COR
    truths = {("g", "Intercept"): sd[0], ("g", "x"): sd[1], ("g", "Intercept:x"): cor}
    if case == "lognormal":  # sigma is the residual SD (of log y)
        truths[("Residual", "")] = truth.aux["sigma"]
    assert set(vc.index) == set(truths)
    for key, value in truths.items():
        z[key] = (vc.loc[key, "mean"] - value) / vc.loc[key, "sd"]
    for name, value in truth.aux.items():
        draws = fit.posterior[name]
        z[name] = (float(draws.mean()) - value) / float(draws.std())
    misses = {k: round(v, 2) for k, v in z.items() if abs(v) > K_SD}
    diagnostics = fit.diagnostics()
    print(case, {str(k): round(float(v), 2) for k, v in z.items()}, diagnostics.line())
    assert not misses, (misses, z)
    assert diagnostics.max_rhat < 1.01 and diagnostics.divergences == 0, diagnostics.line()
    family = get_family(case)
    text = str(fit.summary())
    for name in family.parameters:  # sigma is the Residual SD of the random-effects block
        line = "Residual" if name == "sigma" else f"  {name}: {family.parameter_meanings[name]}"
        assert line in text, text
    with warnings.catch_warnings():
        # 300 rows with 20 levels: a few influential rows may have a high Pareto k.
        warnings.simplefilter("ignore", ParetoKWarning)
        loo = fit.loo()
    assert np.isfinite(loo.elpd) and loo.elpd_i.shape == (fit.design.n_obs,)
    # kind="mean" is the family's mean of y; the replicated data scatter around it.
    eta = linear_predictor(fit.posterior, fit.design)
    aux = family.parameter_draws(fit.posterior)
    mean = fit.predict(kind="mean")["predictions"]["y"].values
    expected = family.expected_value(family.default_link, eta=eta, aux=aux, trials=None)
    np.testing.assert_allclose(mean, expected, rtol=1e-12)
    replicated = fit.predict(kind="response", random_seed=5)["predictions"]["y"].values
    error = replicated.mean() - mean.mean()
    assert abs(error) < 5 * replicated.std() / np.sqrt(replicated.size), error


@pytest.mark.parametrize("case", [*family_cases.SALAMANDERS, *family_cases.GLMMTMB])
def test_new_family_fixed_effects_agree_with_glmmtmb(case, new_family_fits):
    if case in family_cases.GLMMTMB:
        df, _ = family_cases.simulate(case)
        exported = pd.read_csv(family_cases.DATA_DIR / f"{case}.csv")
        # The data glmmTMB saw are the data simulated here (same seed, same generator).
        np.testing.assert_allclose(exported[["y", "x"]].to_numpy(), df[["y", "x"]].to_numpy())
    reference = family_cases.glmmtmb_rows(case)
    fit = new_family_fits(case)
    fe = fit.fixed_effects()
    z = {
        term: (fe.loc[term, "mean"] - reference.loc[("fixef", term), "estimate"])
        / fe.loc[term, "sd"]
        for term in fe.index
    }
    print(case, "vs glmmTMB", {k: round(float(v), 2) for k, v in z.items()})
    assert len(z) == int((reference.index.get_level_values("kind") == "fixef").sum())
    assert max(abs(v) for v in z.values()) < GLMMTMB_SD, z
    diagnostics = fit.diagnostics()
    assert diagnostics.max_rhat < 1.01 and diagnostics.divergences == 0, diagnostics.line()


@pytest.mark.parametrize("case", ["zero_inflated_poisson", "hurdle_poisson"])
def test_zero_inflated_and_hurdle_fits_plot_their_expected_counts(case, new_family_fits):
    """Issue #17 on the zero-inflated and hurdle fits above: fit.plot_predictions draws a
    line per group beside its data and the pooling lines (quasi-Poisson), and its
    population line is the family's mean,
    (1 - zi) mu or (1 - hu) mu / (1 - exp(-mu)) with mu = exp(Intercept + b x), written
    out from the draws."""
    fit = new_family_fits(case)
    post = fit.posterior
    intercept = post["Intercept"].values.reshape(-1, 1)
    slope = post["b"].sel(fixed_term="x").values.reshape(-1, 1)
    zero = post["zi" if case.startswith("zero") else "hu"].values.reshape(-1, 1)
    x = fit.model.data["x"]
    grid = np.linspace(x.min(), x.max(), 50)
    mu = np.exp(intercept + slope * grid)
    mean = (1 - zero) * (mu if case.startswith("zero") else mu / -np.expm1(-mu))
    groups = ["g00", "g01", "g02", "g03"]
    overlay = ["population", "no_pooling", "complete_pooling"]
    fig = fit.plot_predictions("x", by="g", levels=groups, overlay=overlay)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == [f"g {g}" for g in groups]
    for ax in axes:
        lines = {line.get_label(): line for line in ax.get_lines()}
        population = lines["population (fixed effects)"].get_ydata()
        np.testing.assert_allclose(population, mean.mean(axis=0), rtol=1e-12)
        assert len(lines) == 4 and all(np.all(line.get_ydata() > 0) for line in lines.values())
        assert len(ax.collections) == 2  # the band and the group's data
