"""Predictions, posterior predictive checks and their plots.

Fast tests use "prior fits": a Fit whose posterior is a set of prior draws (no MCMC, so
no compilation), on a model with a categorical predictor, correlated terms, an
interaction factor and multiple membership. Slow tests sample: Efron & Morris' batting
averages, sleepstudy (the shared fit) and the reproducibility of seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import hiermodels as hm
from hiermodels.errors import DataError, SpecError
from hiermodels.predict import draw_response, predict, summarize_predictions
from hiermodels.results import Fit

SYNTH_FORMULA = (
    "y ~ x + cat + (1 + x | g) + (1 | a:b) + (1 | mm(s1, s2, s3, weights=[w1, w2, w3], scale=True))"
)


def synth(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    schools = [f"s{i}" for i in range(5)]
    members = np.array([rng.choice(schools, 3, replace=False) for _ in range(n)])
    weights = rng.uniform(0.5, 2.0, (n, 3))
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "cat": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), ["lo", "mid", "hi"]),
            "g": rng.choice([f"g{i}" for i in range(6)], n),
            "a": rng.choice(["A", "B", "C"], n),
            "b": rng.choice(["x", "y"], n),
            **{f"s{k + 1}": members[:, k] for k in range(3)},
            **{f"w{k + 1}": weights[:, k] for k in range(3)},
        }
    )


def prior_fit(model: hm.Model, draws: int = 400, seed: int = 1) -> Fit:
    """A Fit whose "posterior" is prior draws: every variable, no sampling."""
    prior = model.sample_prior_predictive(draws, random_seed=seed)
    name = model.design.response_name
    observed = xr.Dataset(
        {name: ("obs", model.design.y)}, coords={"obs": np.arange(len(model.design.y))}
    )
    tree = xr.DataTree.from_dict(
        {"posterior": prior["prior"].to_dataset(), "observed_data": observed}
    )
    return Fit(model=model, idata=tree)


@pytest.fixture(scope="module")
def synth_fit() -> Fit:
    return prior_fit(hm.Model(SYNTH_FORMULA, synth()))


def values(pred: xr.DataTree, name: str = "y") -> np.ndarray:
    return pred["predictions"][name].values


# --------------------------------------------------------------------- fast: structure
def test_prediction_tree_layout(synth_fit):
    data = synth().iloc[[5, 7, 9]]
    pred = synth_fit.predict(data, random_seed=1)
    da = pred["predictions"]["y"]
    assert da.dims == ("chain", "draw", "row")
    assert da.shape == (1, 400, 3)
    assert list(da["row"].values) == [5, 7, 9]
    assert pred["predictions"].attrs["kind"] == "mean"


def test_fitted_rows_equal_the_same_rows_as_new_data(synth_fit):
    fitted = values(synth_fit.predict(random_seed=1))
    again = values(synth_fit.predict(synth(), random_seed=1))
    np.testing.assert_allclose(again, fitted, rtol=0, atol=1e-12)


def test_fitted_rows_match_the_log_likelihood_mean(synth_fit):
    """kind='mean' on the fitted rows is the linear predictor of the model (identity link)."""
    from hiermodels.linear_predictor import linear_predictor

    eta = linear_predictor(synth_fit.posterior, synth_fit.design)
    np.testing.assert_array_equal(values(synth_fit.predict()), eta)


def test_caller_data_is_not_modified(synth_fit):
    data = synth().iloc[:6].copy()
    data.loc[data.index[0], "g"] = "new"
    data.loc[data.index[1], "a"] = np.nan
    before = data.copy()
    synth_fit.predict(data, kind="response", random_seed=3)
    pd.testing.assert_frame_equal(data, before)


def test_same_seed_same_numbers_other_seed_other_numbers(synth_fit):
    data = synth().iloc[:5].assign(g="unseen")
    one = values(synth_fit.predict(data, kind="response", random_seed=7))
    two = values(synth_fit.predict(data, kind="response", random_seed=7))
    three = values(synth_fit.predict(data, kind="response", random_seed=8))
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, three)


# --------------------------------------------------------------------- fast: new levels
def test_population_prediction_is_the_fixed_part_plus_seen_effects(synth_fit):
    """Unseen levels in every factor and new_groups='population': eta = X beta exactly."""
    data = synth().iloc[:4].assign(g="G?", a="A?", s1="S1?", s2="S2?", s3="S3?")
    got = values(synth_fit.predict(data, new_groups="population"))
    post = synth_fit.posterior
    names = synth_fit.design.fixed.names
    beta = np.stack(
        [post["Intercept"].values]
        + [post["b"].sel(fixed_term=n).values for n in names if n != "Intercept"],
        axis=-1,
    )
    X = np.column_stack([np.ones(4), data["x"], data["cat"] == "mid", data["cat"] == "hi"]).astype(
        float
    )
    assert list(names) == ["Intercept", "x", "cat[mid]", "cat[hi]"]
    np.testing.assert_allclose(got, beta @ X.T, rtol=0, atol=1e-10)


def test_all_new_groups_at_the_population_drop_every_group_effect(synth_fit):
    """all_new=True: seen labels too are new levels, so 'population' gives eta = X beta;
    kind='link' is that eta (identity link here: the mean)."""
    data = synth().iloc[:4]
    unseen = data.assign(g="G?", a="A?", s1="S1?", s2="S2?", s3="S3?")
    want = values(synth_fit.predict(unseen, new_groups="population"))
    got = values(predict(synth_fit, data, kind="link", new_groups="population", all_new=True))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    seen = values(synth_fit.predict(data, kind="link"))
    assert np.abs(seen - want).max() > 1e-6  # the fitted levels' effects were dropped


def test_same_new_level_shares_its_draw_missing_values_do_not(synth_fit):
    base = synth().iloc[[0, 0, 0, 0, 0, 0]].reset_index(drop=True)
    base["x"] = 0.0
    base.loc[[0, 1], "g"] = "brand new"
    base.loc[[2, 3], "g"] = np.nan
    sample = values(synth_fit.predict(base, random_seed=4))
    np.testing.assert_array_equal(sample[..., 0], sample[..., 1])
    assert not np.allclose(sample[..., 2], sample[..., 3])
    # rows 4 and 5 keep the seen level
    np.testing.assert_array_equal(sample[..., 4], sample[..., 5])


def test_new_level_effects_follow_the_population_distribution(synth_fit):
    """Known answer: standardised by each draw's sd and Cholesky factor, the effects of
    new levels of the correlated factor are iid N(0, I)."""
    n_new = 60
    base = synth().iloc[[0]]
    rows = []
    for j in range(n_new):
        for x in (0.0, 1.0):
            rows.append(base.assign(g=f"new{j}", x=x))
    data = pd.concat(rows, ignore_index=True)
    sample = values(synth_fit.predict(data, random_seed=11))
    population = values(synth_fit.predict(data, new_groups="population"))
    dev = (sample - population).reshape(1, 400, n_new, 2)
    r = np.stack([dev[..., 0], dev[..., 1] - dev[..., 0]], axis=-1)  # (Intercept, x)
    post = synth_fit.posterior
    sd = post["sd_g"].values[:, :, None, :]
    chol = np.linalg.cholesky(post["cor_g"].values)[:, :, None]
    w = np.linalg.solve(chol, (r / sd)[..., None])[..., 0].reshape(-1, 2)
    assert np.abs(w.mean(axis=0)).max() < 0.03
    np.testing.assert_allclose(np.cov(w.T), np.eye(2), atol=0.04)


def test_multiple_membership_new_member_is_drawn_and_weighted(synth_fit):
    """One unseen member: sample - population = its normalised weight x its effect, and
    two rows holding the same new member share the draw (ratio of weights)."""
    data = synth().iloc[[0, 1]].reset_index(drop=True)
    data["s3"] = "new school"
    data[["w1", "w2", "w3"]] = [[1.0, 1.0, 2.0], [1.0, 3.0, 4.0]]
    dev = values(synth_fit.predict(data, random_seed=5)) - values(
        synth_fit.predict(data, new_groups="population")
    )
    share = np.array([2.0 / 4.0, 4.0 / 8.0])  # scale=True
    effect = dev / share
    np.testing.assert_allclose(effect[..., 0], effect[..., 1], rtol=1e-9, atol=1e-12)
    sd = synth_fit.posterior["sd_mm(s1+s2+s3)"].values[..., 0]
    z = effect[..., 0] / sd
    assert abs(z.mean()) < 0.2 and abs(z.std() - 1) < 0.15  # 400 draws


def test_interaction_factor_with_a_missing_part_is_a_new_level(synth_fit):
    data = synth().iloc[[0, 0]].reset_index(drop=True)
    data.loc[0, "a"] = np.nan
    sample = values(synth_fit.predict(data, random_seed=2))
    population = values(synth_fit.predict(data, new_groups="population"))
    seen = values(synth_fit.predict(data.iloc[[1]], random_seed=2))
    assert not np.allclose(sample[..., 0], population[..., 0])
    np.testing.assert_allclose(sample[..., 1], seen[..., 0], rtol=0, atol=1e-12)


# --------------------------------------------------------------------- fast: families
@pytest.mark.parametrize(
    ("family", "aux", "mean", "variance"),
    [
        ("gaussian", {"sigma": 2.0}, 1.5, 4.0),
        ("student_t", {"sigma": 2.0, "nu": 6.0}, 1.5, 4.0 * 6 / 4),
        ("bernoulli", {}, 0.3, 0.21),
        ("binomial", {}, 0.3 * 12, 12 * 0.3 * 0.7),
        ("poisson", {}, 3.5, 3.5),
        ("negative_binomial", {"alpha": 2.0}, 3.5, 3.5 + 3.5**2 / 2.0),
    ],
)
def test_response_draws_have_the_family_moments(family, aux, mean, variance):
    rng = np.random.default_rng(0)
    mu = 0.3 if family in ("bernoulli", "binomial") else mean
    shape = (2, 20_000, 3)
    draws = draw_response(
        family,
        np.full(shape, mu),
        {k: np.full(shape[:2], v) for k, v in aux.items()},
        trials=np.full(3, 12.0) if family == "binomial" else None,
        rng=rng,
    )
    assert draws.shape == shape
    se = np.sqrt(variance / draws.size)
    assert abs(draws.mean() - mean) < 5 * se
    assert abs(draws.var() / variance - 1) < 0.05
    if family not in ("gaussian", "student_t"):
        assert draws.dtype == np.int64


def family_data(family: str, n: int = 40, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "g": rng.choice(["p", "q", "r", "s"], n),
            "exposure": rng.uniform(1, 3, n),
            "n": rng.integers(5, 10, n),
        }
    )
    df["y"] = {
        "gaussian": rng.normal(size=n),
        "student_t": rng.standard_t(4, size=n),
        "bernoulli": rng.integers(0, 2, n),
        "binomial": rng.binomial(df["n"], 0.4),
        "poisson": rng.poisson(2 * df["exposure"]),
        "negative_binomial": rng.poisson(2 * df["exposure"]),
    }[family]
    return df


FAMILY_FORMULAS = {
    "gaussian": "y ~ x + (1 + x | g)",
    "student_t": "y ~ x + (1 + x | g)",
    "bernoulli": "y ~ x + (1 | g)",
    "binomial": "y | trials(n) ~ x + (1 | g)",
    "poisson": "y ~ x + offset(log(exposure)) + (1 | g)",
    "negative_binomial": "y ~ x + offset(log(exposure)) + (1 | g)",
}


@pytest.mark.parametrize("family", list(FAMILY_FORMULAS))
def test_every_family_predicts_means_and_draws(family):
    df = family_data(family)
    fit = prior_fit(hm.Model(FAMILY_FORMULAS[family], df, family=family), draws=100)
    new = df.iloc[:3].assign(g=["p", "new", np.nan])
    mean = values(fit.predict(new, random_seed=1))
    draws = values(fit.predict(new, kind="response", random_seed=1))
    assert mean.shape == draws.shape == (1, 100, 3)
    assert np.isfinite(mean).all() and np.isfinite(draws).all()
    if family in ("bernoulli", "binomial"):
        assert ((mean >= 0) & (mean <= 1)).all()  # a probability, not a count
        assert (draws <= new["n"].to_numpy() if family == "binomial" else draws <= 1).all()
    if family not in ("gaussian", "student_t"):
        assert draws.dtype == np.int64 and (draws >= 0).all()
    if family in ("poisson", "negative_binomial"):
        # Known answer: the mean is the rate times the exposure (offset log(exposure)).
        doubled = values(fit.predict(new.assign(exposure=2 * new["exposure"]), random_seed=1))
        np.testing.assert_allclose(doubled, 2 * mean, rtol=1e-12)


# --------------------------------------------------------------------- fast: errors
def test_unseen_categorical_level_names_column_values_and_levels(synth_fit):
    data = synth().iloc[:3].copy()
    data["cat"] = ["lo", "top", "very top"]
    with pytest.raises(DataError, match=r"'cat'.*\['top', 'very top'\].*\['lo', 'mid', 'hi'\]"):
        synth_fit.predict(data)


def test_unseen_level_of_an_expression_is_an_error_not_a_warning():
    df = synth()
    fit = prior_fit(hm.Model("y ~ C(a, levels=['C', 'B', 'A']) + (1 | g)", df), draws=20)
    with pytest.raises(DataError, match=r"'a'.*\['D'\]"):
        fit.predict(df.iloc[:2].assign(a="D"))


def test_missing_column_is_named(synth_fit):
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['x', 'w2'\]"):
        synth_fit.predict(synth().drop(columns=["x", "w2"]))


def test_missing_predictor_value_is_an_error(synth_fit):
    data = synth().iloc[:4].copy()
    data.loc[data.index[2], "x"] = np.nan
    with pytest.raises(DataError, match=r"'x': 1"):
        synth_fit.predict(data)


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("kind", "median", r"\['mean', 'link', 'response'\]"),
        ("new_groups", "zero", r"\['sample', 'population'\]"),
    ],
)
def test_bad_options_list_the_valid_choices(synth_fit, option, value, valid):
    with pytest.raises(SpecError, match=rf"{option} '{value}'.*{valid}"):
        synth_fit.predict(**{option: value})


def test_binomial_response_needs_the_trials_column_mean_does_not():
    bball = hm.datasets.load("bball1970")
    fit = prior_fit(
        hm.Model("Hits | trials(AB) ~ 1 + (1 | Player)", bball, family="binomial"), draws=50
    )
    new = pd.DataFrame({"Player": ["Clemente", "Newcomer"], "AB": [10, 400]})
    p = values(fit.predict(new.drop(columns="AB")), "Hits")
    assert ((p > 0) & (p < 1)).all()
    with pytest.raises(DataError, match=r"trials.*'AB'"):
        fit.predict(new.drop(columns="AB"), kind="response")
    y = values(fit.predict(new, kind="response", random_seed=1), "Hits")
    assert y.dtype == np.int64 and (y[..., 0] <= 10).all() and (y[..., 1] <= 400).all()


def test_rootogram_needs_counts(synth_fit):
    with pytest.raises(
        SpecError,
        match=r"count.*'binomial', 'hurdle_negative_binomial'.*'negative_binomial', 'poisson'",
    ):
        synth_fit.plot_ppc("rootogram")
    with pytest.raises(
        SpecError, match=r"\['dist', 'pit', 'tstat', 'rootogram', 'groups', 'calibration'\]"
    ):
        synth_fit.plot_ppc("violin")


def test_summarize_predictions_columns_and_index(synth_fit):
    data = synth().iloc[[3, 8]]
    table = summarize_predictions(synth_fit.predict(data), prob=0.9)
    assert list(table.columns) == ["mean", "sd", "eti90_lb", "eti90_ub"]
    assert list(table.index) == [3, 8]
    draws = values(synth_fit.predict(data))[..., 1].ravel()
    assert table["mean"].iloc[1] == pytest.approx(draws.mean())
    assert table["eti90_ub"].iloc[1] == pytest.approx(np.quantile(draws, 0.95))


def test_posterior_predictive_is_stored_only_when_asked_and_matches_predict(synth_fit):
    fit = Fit(model=synth_fit.model, idata=synth_fit.idata)
    before = fit.idata
    tree = fit.posterior_predictive(random_seed=9)
    assert fit.idata is before and "posterior_predictive" not in before.children
    pp = tree["posterior_predictive"]["y"]
    assert pp.dims == ("chain", "draw", "obs") and pp.shape == (1, 400, 120)
    np.testing.assert_array_equal(pp.values, values(fit.predict(kind="response", random_seed=9)))
    assert set(tree.children) == {*before.children, "posterior_predictive"}

    stored = fit.posterior_predictive(random_seed=9, store=True)
    assert fit.idata is stored and "posterior_predictive" not in before.children
    np.testing.assert_array_equal(stored["posterior_predictive"]["y"].values, pp.values)
    assert "posterior_predictive" not in synth_fit.idata.children
    with pytest.raises(SpecError, match=r"store must be True or False, got 'yes'"):
        fit.posterior_predictive(store="yes")


def test_gaussian_response_draws_are_normal_around_the_mean(synth_fit):
    mean = values(synth_fit.predict())
    draws = values(synth_fit.predict(kind="response", random_seed=12))
    sigma = synth_fit.posterior["sigma"].values[..., None]
    z = ((draws - mean) / sigma).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-3


# --------------------------------------------------------------------- slow: sampling
FIT = dict(chains=4, cores=2, draws=1000, tune=1000, progressbar=False)


@pytest.fixture(scope="module")
def bball_fit() -> Fit:
    bball = hm.datasets.load("bball1970")
    model = hm.Model("Hits | trials(AB) ~ 1 + (1 | Player)", bball, family="binomial")
    return model.fit(random_seed=1970, **FIT)


@pytest.mark.slow
def test_efron_morris_partial_pooling_beats_raw_averages(bball_fit):
    """Efron & Morris (1975): shrunken early-season averages predict the rest of the
    season better than the raw averages."""
    bball = hm.datasets.load("bball1970")
    pred = summarize_predictions(bball_fit.predict(kind="mean"))
    truth = bball["RemainingHits"] / bball["RemainingAB"]
    raw = bball["Hits"] / bball["AB"]
    rmse_model = float(np.sqrt(np.mean((pred["mean"].to_numpy() - truth) ** 2)))
    rmse_raw = float(np.sqrt(np.mean((raw - truth) ** 2)))
    print(f"RMSE partial pooling {rmse_model:.4f}, raw averages {rmse_raw:.4f}")
    assert rmse_model / rmse_raw < 0.8
    # shrinkage: predictions are pulled toward the overall average
    assert pred["mean"].std() < raw.std()


@pytest.mark.slow
def test_unseen_subject_is_wider_and_population_is_the_fixed_line(sleepstudy_fit):
    days = np.arange(10)
    seen = pd.DataFrame({"Days": days, "Subject": "308"})
    unseen = pd.DataFrame({"Days": days, "Subject": "999"})
    seen_sd = summarize_predictions(sleepstudy_fit.predict(seen, random_seed=1))["sd"]
    unseen_sd = summarize_predictions(sleepstudy_fit.predict(unseen, random_seed=1))["sd"]
    print("sd seen", seen_sd.round(1).tolist(), "unseen", unseen_sd.round(1).tolist())
    assert (unseen_sd.to_numpy() > 2 * seen_sd.to_numpy()).all()
    population = values(sleepstudy_fit.predict(unseen, new_groups="population"), "Reaction")
    post = sleepstudy_fit.posterior
    line = post["Intercept"].values[..., None] + post["b"].sel(fixed_term="Days").values[
        ..., None
    ] * days.astype(float)
    np.testing.assert_allclose(population, line, rtol=0, atol=1e-10)


@pytest.mark.slow
def test_response_predictions_cover_new_observations(sleepstudy_fit):
    """Known answer: about 89% of the observed reactions lie in the 89% predictive
    interval of the fitted rows."""
    sleep = hm.datasets.load("sleepstudy")
    table = summarize_predictions(sleepstudy_fit.predict(kind="response", random_seed=2))
    inside = (sleep["Reaction"] >= table["eti89_lb"]) & (sleep["Reaction"] <= table["eti89_ub"])
    print(f"89% predictive intervals hold {inside.mean():.1%} of the observations")
    assert 0.8 < inside.mean() < 0.97


def _check_png(path, pc):
    pc.savefig(path)
    assert path.stat().st_size > 10_000


@pytest.mark.slow
def test_ppc_plots_render_for_gaussian(sleepstudy_fit, tmp_path):
    fit = Fit(model=sleepstudy_fit.model, idata=sleepstudy_fit.idata)
    for kind in ("dist", "pit", "tstat"):
        _check_png(tmp_path / f"sleep_ppc_{kind}.png", fit.plot_ppc(kind, random_seed=3))
    assert "posterior_predictive" not in fit.idata.children  # drawn for the plots only
    _check_png(tmp_path / "sleep_loo_pit.png", fit.plot_loo_pit())


@pytest.mark.slow
def test_ppc_plots_render_for_binomial(bball_fit, tmp_path):
    fit = Fit(model=bball_fit.model, idata=bball_fit.idata)
    for kind in ("rootogram", "dist", "pit"):
        _check_png(tmp_path / f"bball_ppc_{kind}.png", fit.plot_ppc(kind, random_seed=3))
    _check_png(tmp_path / "bball_loo_pit.png", fit.plot_loo_pit())


REPRO = dict(draws=100, tune=100, chains=2, cores=1, progressbar=False, random_seed=42)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::hiermodels.errors.ConvergenceWarning")  # 2 x 100 draws
@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_same_seed_gives_identical_fits_and_predictions(sampler):
    bball = hm.datasets.load("bball1970")
    new = pd.DataFrame({"Player": ["Munson", "Rookie"], "AB": [30, 30]})
    results = []
    model = hm.Model("Hits | trials(AB) ~ 1 + (1 | Player)", bball, family="binomial")
    for _ in range(2):
        # the second nutpie fit reuses the compiled model: same seed, same draws
        fit = model.fit(sampler=sampler, **REPRO)
        results.append(
            (fit.posterior, values(fit.predict(new, kind="response", random_seed=5), "Hits"))
        )
    (post1, pred1), (post2, pred2) = results
    for name in post1.data_vars:
        np.testing.assert_array_equal(post1[name].values, post2[name].values)
    np.testing.assert_array_equal(pred1, pred2)
