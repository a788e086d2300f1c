"""The cumulative (ordinal) family: density, probabilities, draws, the response's coding
and its errors, priors of the thresholds, and two fits (simulated truth, ordinal::clmm)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import DataError, FormulaError, PriorError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

FAM = get_family("cumulative")
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "clmm_wine.csv"

CUTS = np.array([-1.3, 0.1, 0.9, 2.4])
ETA = np.array([-2.0, -0.3, 0.0, 0.7, 1.1, 3.5, -4.0, 6.0])
Y = np.array([0, 1, 2, 3, 4, 4, 0, 2], dtype=float)
CDF = {"logit": stats.logistic.cdf, "probit": stats.norm.cdf}


def by_hand(link, eta, y, cuts):
    """log(F(c_y - eta) - F(c_{y-1} - eta)) straight from the definition."""
    padded = np.concatenate([[-np.inf], cuts, [np.inf]])
    k = y.astype(int)
    return np.log(CDF[link](padded[k + 1] - eta) - CDF[link](padded[k] - eta))


def numpy_density(link, eta=ETA, y=Y, cuts=CUTS):
    return FAM.log_likelihood(
        link, eta=eta[None, None, :], y=y, trials=None, aux={"Intercept": cuts[None, None, :]}
    )[0, 0]


def pymc_density_and_gradient(link, eta=ETA, y=Y, cuts=CUTS):
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    c = pt.dvector("c")
    with pm.Model():
        rv = FAM.pymc_likelihood(
            "y",
            eta=pt.as_tensor(eta),
            link=link,
            aux={"Intercept": c},
            observed=y,
            trials=None,
            dims=None,
        )
    logp = pm.logp(rv, y)
    grad = pytensor.grad(logp.sum(), c)
    return pytensor.function([c], [logp, grad], mode="FAST_COMPILE")(cuts)


# --- the density ---------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_log_density_is_the_difference_of_two_cdfs(link):
    np.testing.assert_allclose(numpy_density(link), by_hand(link, ETA, Y, CUTS), atol=1e-10)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_pymc_density_agrees_and_its_gradient_is_finite(link):
    logp, grad = pymc_density_and_gradient(link)
    # PyMC's normal log CDF differs from SciPy's (which matches the definition to 1e-10,
    # above) by up to 1.4e-7 relative here, at log(Phi(2.7)).
    np.testing.assert_allclose(logp, numpy_density(link), rtol=1e-6, atol=1e-12)
    assert np.all(np.isfinite(grad)) and np.all(grad != 0)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_far_tails_keep_their_digits(link):
    # eta far beyond the thresholds: 1 - F underflows as a difference, not in logs.
    eta = np.array([40.0, -40.0, 40.0, -40.0])
    y = np.array([0.0, 4.0, 2.0, 2.0])
    ll = numpy_density(link, eta=eta, y=y)
    assert np.all(np.isfinite(ll)) and np.all(ll < -20)
    if link == "logit":
        # log F(c_1 - 40) = -log(1 + exp(40 - c_1)) to the last digit
        assert ll[0] == pytest.approx(-np.logaddexp(0, 40 - CUTS[0]), rel=1e-12)
    else:
        assert ll[0] == pytest.approx(stats.norm.logcdf(CUTS[0] - 40), rel=1e-10)
    logp, grad = pymc_density_and_gradient(link, eta=eta, y=y)
    np.testing.assert_allclose(logp, ll, rtol=1e-6)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_probabilities_sum_to_one_and_draws_follow_them(link):
    eta = np.array([[[-1.0, 0.5, 2.0]]])
    probs = FAM.expected_value(link, eta=eta, aux={"Intercept": CUTS[None, None]}, trials=None)
    assert probs.shape == (1, 1, 3, 5)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        np.log(probs[0, 0, 1]), numpy_density(link, eta=np.full(5, 0.5), y=np.arange(5.0))
    )
    rng = np.random.default_rng(5)
    n = 40_000
    draws = FAM.draw_response(np.broadcast_to(probs, (1, n, 3, 5)), {}, trials=None, rng=rng)
    assert draws.dtype == np.int64 and draws.shape == (1, n, 3)
    for row in range(3):
        freq = np.bincount(draws[0, :, row], minlength=5) / n
        p = probs[0, 0, row]
        assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-9)


def test_latent_variance_and_declarations():
    assert FAM.latent_residual_variance("logit", None) == pytest.approx(math.pi**2 / 3)
    assert FAM.latent_residual_variance("probit", None) == 1.0
    assert FAM.links == ("logit", "probit") and FAM.parameters == ()
    assert FAM.thresholds and not FAM.has_intercept and FAM.category_dim == "category"
    assert FAM.default_prior("threshold", scale=1.0) == Prior("StudentT", nu=3.0, mu=0.0, sigma=2.5)


# --- the response and the design -------------------------------------------------------------


def frame(y, n_groups=3):
    rng = np.random.default_rng(0)
    n = len(y)
    return pd.DataFrame(
        {
            "y": y,
            "x": rng.normal(size=n),
            "f": np.array(["a", "b"])[np.arange(n) % 2],
            "g": [f"g{i % n_groups}" for i in range(n)],
        }
    )


def design_of(df, formula="y ~ x + (1 | g)", **kwargs):
    return hm.Model(formula, df, family="cumulative", **kwargs).design


def test_an_ordered_categorical_is_coded_in_its_declared_order():
    y = pd.Categorical(
        ["low", "high", "mid", "mid", "low", "high"],
        categories=["low", "mid", "high"],
        ordered=True,
    )
    df = frame(y)
    design = design_of(df)
    assert design.categories == ("low", "mid", "high")
    assert design.y.tolist() == [0, 2, 1, 1, 0, 2]
    assert design.fixed.names == ("x",)  # the thresholds take the intercept's place
    assert isinstance(df["y"].dtype, pd.CategoricalDtype)  # the caller's frame unchanged


def test_integers_are_categories_from_the_smallest_to_the_largest():
    design = design_of(frame([3, 5, 4, 4, 3, 5, 5]))
    assert design.categories == (3, 4, 5) and design.y.tolist() == [0, 2, 1, 1, 0, 2, 2]


def test_factor_keeps_its_intercept_coding_and_newdata_drops_the_intercept_too():
    df = frame([0, 1, 2, 2, 1, 0, 2, 1])
    model = hm.Model("y ~ x + f + (1 | g)", df, family="cumulative")
    assert model.design.fixed.names == ("x", "f[b]")
    from hiermodels.design import prediction_design

    new = prediction_design(model.design, model.spec, df.iloc[:3])
    np.testing.assert_array_equal(new.design.fixed.matrix, model.design.fixed.matrix[:3])
    with pytest.raises(FormulaError, match=r"thresholds in place of an intercept.*'0 \+'"):
        hm.Model("y ~ 0 + f + (1 | g)", df, family="cumulative")
    assert hm.Model("y ~ 0 + x", df, family="cumulative").design.fixed.names == ("x",)


@pytest.mark.parametrize(
    ("y", "error"),
    [
        (
            pd.Categorical(["a", "b", "c", "a"], ordered=False),
            r"'y' is an unordered Categorical with categories \['a', 'b', 'c'\].*as_ordered",
        ),
        (
            pd.Categorical(["a", "c", "c", "a"], categories=["a", "b", "c"], ordered=True),
            r"categories without rows: \['b'\] \(of \['a', 'b', 'c'\]\)",
        ),
        ([1.0, 2.5, 3.0, 2.0], r"must hold integers.*first rows: \[1\], values \[2.5\]"),
        ([1, 3, 3, 1, 4], r"runs from 1 to 4 but has no rows with 1 value\(s\).*\[2\]"),
        ([0, 1, 2, 2**53], r"runs from 0 to 9007199254740992 .* 9007199254740989 .*\[3, 4, 5,"),
        ([0, 1, 1, 0], r"has 2 categories \[0, 1\].*at least 3.*family='bernoulli'"),
        (
            pd.Categorical(["a", "b", "a", "b"], ordered=True),
            r"has 2 categories \['a', 'b'\]",
        ),
        ([True, False, True, False], r"'y' is boolean"),
        (["x", "y", "z", "x"], r"'y' is not numeric"),
    ],
)
def test_bad_responses_are_named(y, error):
    with pytest.raises(DataError, match=error):
        design_of(frame(y), formula="y ~ x")


def test_missing_category_code_in_an_ordered_categorical_is_named_with_rows():
    y = pd.Categorical(["a", "b", "c", "a", "b"], categories=["a", "b", "c"], ordered=True)
    df = frame(y)
    df.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match=r"Missing values"):
        design_of(df, formula="y ~ x")


def test_threshold_priors_default_and_set_by_key():
    df = frame([0, 1, 2, 3, 3, 2, 1, 0])
    model = hm.Model("y ~ x + (1 | g)", df, family="cumulative")
    table = model.prior_summary()
    thresholds = ["Intercept[1]", "Intercept[2]", "Intercept[3]"]
    assert table.index[:3].tolist() == thresholds
    assert set(table.loc[thresholds, "prior"]) == {"StudentT(mu=0, nu=3, sigma=2.5)"}
    user = hm.Model(
        "y ~ x + (1 | g)",
        df,
        family="cumulative",
        priors={
            "Intercept": Prior("Normal", mu=0, sigma=5),
            "Intercept[2]": Prior("Normal", mu=1, sigma=2),
        },
    )
    assert user.priors["Intercept[1]"] == Prior("Normal", mu=0, sigma=5)
    assert user.priors["Intercept[2]"] == Prior("Normal", mu=1, sigma=2)
    assert user.prior_summary().loc["Intercept[2]", "source"] == "user (Intercept[2])"
    mixed = hm.Model(
        "y ~ x", df, family="cumulative", priors={"Intercept[1]": Prior("Cauchy", alpha=0, beta=2)}
    )
    with pytest.raises(PriorError, match=r"one ordered vector.*share one distribution"):
        mixed.pymc_model  # noqa: B018 - building the graph is the check


def test_prior_predictive_draws_ordered_thresholds_and_codes():
    df = frame([0, 1, 2, 3, 3, 2, 1, 0])
    model = hm.Model("y ~ x", df, family="cumulative")
    tree = model.sample_prior_predictive(200, random_seed=2)
    cuts = tree["prior"]["Intercept"].values
    assert cuts.shape[-1] == 3 and np.all(np.diff(cuts, axis=-1) > 0)
    draws = tree["prior_predictive"]["y"].values
    assert set(np.unique(draws)) <= {0, 1, 2, 3}


# --- recovery of a simulated truth: varying intercept and slope, crossed factor ---------------

TRUTH = {
    "Intercept[1]": -1.0,
    "Intercept[2]": 0.4,
    "Intercept[3]": 1.8,
    "x": 0.8,
    "z[b]": -0.6,
    "sd_g_Intercept": 0.8,
    "sd_g_x": 0.5,
    "sd_h_Intercept": 0.6,
}


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20261201)
    n_g, n_h, n = 12, 8, 600
    g = rng.integers(n_g, size=n)
    h = rng.integers(n_h, size=n)
    x = rng.normal(size=n)
    z = rng.integers(2, size=n)
    u = rng.normal(0, TRUTH["sd_g_Intercept"], n_g)
    v = rng.normal(0, TRUTH["sd_g_x"], n_g)
    w = rng.normal(0, TRUTH["sd_h_Intercept"], n_h)
    eta = (TRUTH["x"] + v[g]) * x + TRUTH["z[b]"] * z + u[g] + w[h]
    latent = eta + rng.logistic(size=n)
    cuts = [TRUTH[f"Intercept[{k}]"] for k in (1, 2, 3)]
    y = np.searchsorted(cuts, latent) + 1  # categories 1..4
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "z": np.array(["a", "b"])[z],
            "g": [f"g{j}" for j in g],
            "h": [f"h{j}" for j in h],
        }
    )


@pytest.fixture(scope="module")
def recovery_fit(simulated):
    model = hm.Model("y ~ x + z + (1 + x || g) + (1 | h)", simulated, family="cumulative")
    return model.fit(draws=1000, tune=500, chains=4, random_seed=7, progressbar=False)


@pytest.mark.slow
def test_recovery_of_thresholds_coefficients_and_sds(recovery_fit):
    # Measured: largest error 2.04 posterior SDs (z[b]; the others <= 1.49), R-hat <= 1.005.
    fe = recovery_fit.fixed_effects()
    vc = recovery_fit.variance_components().set_index(["group", "term"])
    estimates = {
        name: fe.loc[name] for name in ("Intercept[1]", "Intercept[2]", "Intercept[3]", "x", "z[b]")
    }
    estimates["sd_g_Intercept"] = vc.loc[("g", "Intercept")]
    estimates["sd_g_x"] = vc.loc[("g", "x")]
    estimates["sd_h_Intercept"] = vc.loc[("h", "Intercept")]
    errors = {k: abs(row["mean"] - TRUTH[k]) / row["sd"] for k, row in estimates.items()}
    assert max(errors.values()) < 3, errors
    assert max(row["r_hat"] for row in estimates.values()) < 1.01
    assert int(recovery_fit.idata["sample_stats"]["diverging"].sum()) == 0


@pytest.mark.slow
def test_summary_predict_and_variance_partition(recovery_fit, simulated):
    text = str(recovery_fit.summary())
    assert "Family: cumulative (link = logit)" in text
    assert " Intercept[1] " in text and " Intercept[3] " in text
    new = pd.DataFrame({"x": [0.0, 1.0], "z": ["a", "b"], "g": ["g1", "new"], "h": ["h0", "h2"]})
    mean = recovery_fit.predict(new, random_seed=1)["predictions"]["y"]
    assert mean.dims == ("chain", "draw", "row", "category")
    assert mean["category"].values.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(mean.sum("category"), 1.0, atol=1e-12)
    table = hm.summarize_predictions(recovery_fit.predict(new, random_seed=1))
    assert table.index.names == ["row", "category"] and len(table) == 8
    drawn = recovery_fit.predict(new, kind="response", random_seed=1)["predictions"]["y"]
    assert set(np.unique(drawn.values)) <= {1, 2, 3, 4}
    # The draws' frequencies follow the mean probabilities of the same draws.
    freq = (drawn.values[..., None] == np.arange(1, 5)).mean(axis=(0, 1))
    assert np.abs(freq - mean.values.mean(axis=(0, 1))).max() < 0.05
    coefs = recovery_fit.group_coefficients("g")
    assert coefs.loc["g0"].index.tolist() == [
        "Intercept[1]",
        "Intercept[2]",
        "Intercept[3]",
        "x",
        "z[b]",
    ]
    post = recovery_fit.posterior
    level = post["Intercept"].isel(threshold=1) - post["r_g"].sel(g="g0", g__term="Intercept")
    assert coefs.loc[("g0", "Intercept[2]"), "mean"] == pytest.approx(float(level.mean()))
    icc = recovery_fit.icc()
    assert set(icc.index) == {"g", "h"} and (icc["mean"] > 0).all() and icc["mean"].sum() < 1
    replicated = recovery_fit.posterior_predictive(random_seed=3)["posterior_predictive"]["y"]
    assert set(np.unique(replicated.values)) <= {0, 1, 2, 3}


# --- against ordinal::clmm on the wine data -------------------------------------------------

#: Weak priors, so that the posterior means sit near clmm's maximum likelihood: flat-ish
#: on the thresholds and coefficients, brms's scale 2.5 for the judge SD. Measured gaps
#: (posterior SDs, seeds 11-13 on the GLMM kernel): thresholds 0.17-0.21, 0.14-0.15,
#: 0.31, 0.41-0.43, temp 0.33-0.35, contact 0.24; judge SD 0.64-0.72 (its posterior mean
#: 1.48-1.52 against clmm's 1.13: the posterior is right-skewed).
WEAK = {
    "Intercept": Prior("Normal", mu=0, sigma=10),
    "b": Prior("Normal", mu=0, sigma=10),
    "sd": Prior("HalfNormal", sigma=2.5),
}


@pytest.fixture(scope="module")
def wine_fit():
    wine = hm.datasets.load("wine")
    model = hm.Model(
        "rating ~ temp + contact + (1 | judge)", wine, family="cumulative", priors=WEAK
    )
    return model.fit(draws=1000, tune=500, chains=4, random_seed=11, progressbar=False)


@pytest.mark.slow
def test_wine_agrees_with_clmm(wine_fit):
    ref = pd.read_csv(REFERENCE).set_index("term")
    fe = wine_fit.fixed_effects()
    for term in (
        "Intercept[1]",
        "Intercept[2]",
        "Intercept[3]",
        "Intercept[4]",
        "temp[warm]",
        "contact[yes]",
    ):
        gap = abs(fe.loc[term, "mean"] - ref.loc[term, "estimate"]) / fe.loc[term, "sd"]
        assert gap < 0.5, (term, gap)
    vc = wine_fit.variance_components()
    sd = vc[(vc["group"] == "judge") & (vc["kind"] == "sd")].iloc[0]
    judge = ref[ref["kind"] == "sd"].iloc[0]
    assert abs(sd["mean"] - judge["estimate"]) / sd["sd"] < 1
    assert int(wine_fit.idata["sample_stats"]["diverging"].sum()) == 0


@pytest.mark.slow
def test_wine_loo_and_pointwise_density(wine_fit):
    loo = wine_fit.loo()
    assert np.isfinite(loo.elpd) and loo.elpd < 0
    ll = wine_fit.idata["log_likelihood"]["rating"].values
    assert ll.shape[-1] == 72 and np.all(ll < 0)
    # the stored log-likelihood is the family's density at each draw
    post = wine_fit.posterior
    from hiermodels.linear_predictor import linear_predictor

    eta = linear_predictor(post, wine_fit.design)
    again = FAM.log_likelihood(
        "logit",
        eta=eta,
        y=wine_fit.design.y,
        trials=None,
        aux={"Intercept": post["Intercept"].values},
    )
    np.testing.assert_allclose(ll, again, rtol=1e-12)


@pytest.mark.slow
def test_wine_marginal_means_comparisons_and_plot_by_hand(wine_fit):
    """Issue #17 on a real ordinal fit: the marginal means of temp are the category
    probabilities F(c_k - eta) - F(c_{k-1} - eta) averaged over contact, draw by draw;
    the figure draws those numbers, one dodged bar per category."""
    post = wine_fit.posterior
    cuts = post["Intercept"].values.reshape(-1, 4)
    b = {t: post["b"].sel(fixed_term=t).values.ravel() for t in ("temp[warm]", "contact[yes]")}
    ones = np.ones((cuts.shape[0], 1))

    def probabilities(warm: int, contact: int) -> np.ndarray:
        eta = b["temp[warm]"] * warm + b["contact[yes]"] * contact
        cdf = 1 / (1 + np.exp(-(cuts - eta[:, None])))
        return np.diff(np.hstack([0 * ones, cdf, ones]), axis=1)

    by_hand = np.hstack([(probabilities(w, 0) + probabilities(w, 1)) / 2 for w in (0, 1)])
    means = wine_fit.marginal_means("temp")
    np.testing.assert_allclose(means.samples(), by_hand, rtol=0, atol=1e-12)
    assert means.to_frame()[["temp", "category"]].values.tolist()[4:6] == [["cold", 5], ["warm", 1]]
    diff = wine_fit.comparisons("temp", re="exclude").samples()  # cold - warm, per category
    np.testing.assert_allclose(diff, by_hand[:, :5] - by_hand[:, 5:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(diff.sum(axis=1), 0.0, atol=1e-12)

    fig = wine_fit.plot_predictions("temp", by="contact")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["contact no", "contact yes"]
    table = wine_fit.predictions(
        hm.datagrid(wine_fit, contact="levels", temp="levels"), re="exclude"
    ).to_frame()
    for ax, contact in zip(axes, ("no", "yes"), strict=True):
        bars = ax.containers
        assert len(bars) == 5  # one per category
        # (category, temp level)
        xs = np.array([bar.lines[0].get_xdata() for bar in bars], dtype=float)
        ys = np.array([bar.lines[0].get_ydata() for bar in bars], dtype=float)
        assert np.all(np.diff(xs[:, 0]) > 0.1) and np.all(np.abs(xs - [0, 1]) <= 0.25)
        mine = table[table["contact"] == contact].sort_values(["category", "temp"])
        np.testing.assert_allclose(ys.ravel(), mine["estimate"].to_numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(ys.sum(axis=0), 1.0, atol=1e-12)
