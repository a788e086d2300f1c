"""Predictions, marginal means, comparisons and slopes over posterior draws (issue #17).

Fits shared by the module: Yates' oats (gaussian, Gibbs sampler, no compilation) against
emmeans on lme4; a small simulated Bernoulli GLMM (NUTS), checked against a hand
computation from the same draws; the session's sleepstudy fit; and prior draws standing
in for posteriors where any draws do (a Poisson model's figures, a toy family with
response categories, emmeans' weights as linear functions of the coefficients on Hsb82).
Real ordinal, zero-inflated and hurdle fits are checked where they are made:
tests/families/test_cumulative.py and tests/test_families.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.special import expit

import hiermodels as hm
from hiermodels.analysis.interpret import contrast_matrix, datagrid, reference_grid
from hiermodels.analysis.interpret.lines import line_fit
from hiermodels.errors import DataError, SpecError
from hiermodels.families.bernoulli import Bernoulli
from hiermodels.results import Fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "oats_emmeans.csv"
WEIGHTS = REFERENCE.with_name("hsb82_emmeans_weights.csv")
PLOTS = Path("/tmp/wt-e-plots")
#: Flat-ish priors on the fixed effects (the default SD and sigma priors stay).
FLAT = {
    "Intercept": hm.Prior("Normal", mu=0, sigma=1000),
    "b": hm.Prior("Normal", mu=0, sigma=1000),
}


@pytest.fixture(scope="module")
def oats_fit():
    oats = hm.datasets.load("oats")
    model = hm.Model("yield ~ Variety + nitro + (1 | Block/Variety)", oats, priors=FLAT)
    return model.fit(method="gibbs", draws=1000, chains=4, random_seed=1, progressbar=False)


def _simulated(family: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_groups, per = 12, 12
    g = np.repeat([f"g{i:02d}" for i in range(n_groups)], per)
    x = rng.uniform(0, 4, size=g.size)
    f = rng.choice(["a", "b", "c"], size=g.size)
    u = rng.normal(0, 0.7, n_groups).repeat(per)
    eta = -1.0 + 0.6 * x + np.select([f == "b", f == "c"], [0.8, -0.5], 0.0) + u
    if family == "bernoulli":
        y = rng.binomial(1, expit(eta))
    else:
        y = rng.poisson(np.exp(0.3 * eta + 0.5))
    return pd.DataFrame({"y": y, "x": x, "f": f, "g": g})


def _small_fit(model: hm.Model, seed: int) -> hm.Fit:
    """A short NUTS run: these fits serve exact identities and figures, not inference, so
    a low ESS warning on another CPU must not fail them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        return model.fit(draws=500, tune=500, chains=2, random_seed=seed, progressbar=False)


@pytest.fixture(scope="module")
def bernoulli_fit():
    model = hm.Model("y ~ x + f + (1 | g)", _simulated("bernoulli", 3), family="bernoulli")
    return _small_fit(model, 3)


def _prior_fit(model: hm.Model, seed: int) -> Fit:
    """Prior draws as the "posterior": no compilation of a sampler, for checks that hold
    for any draws (the figures render, identities between functions)."""
    prior = model.sample_prior_predictive(200, random_seed=seed)
    return Fit(model=model, idata=xr.DataTree.from_dict({"posterior": prior["prior"].to_dataset()}))


@pytest.fixture(scope="module")
def poisson_fit():
    # a NUTS fit of this model costs 30 s of compilation on a cold cache; the figure of
    # the fitted model was checked by eye (see the report of issue #17)
    model = hm.Model("y ~ x + (1 | g)", _simulated("poisson", 4), family="poisson")
    return _prior_fit(model, 4)


# ---------------------------------------------------------------- acceptance 1: emmeans
def _reference(kind: str) -> pd.Series:
    ref = pd.read_csv(REFERENCE)
    ref = ref[ref["kind"] == kind]
    return pd.Series(ref["estimate"].to_numpy(), index=ref["term"].to_numpy())


def _z(table: pd.DataFrame, key: str, ref: pd.Series) -> np.ndarray:
    table = table.set_index(key)
    return ((table["estimate"] - ref.reindex(table.index)) / table["sd"]).to_numpy()


@pytest.mark.slow
def test_oats_agrees_with_emmeans_within_a_third_of_a_posterior_sd(oats_fit):
    means = oats_fit.marginal_means("Variety").to_frame()
    at_high = oats_fit.marginal_means("Variety", at={"nitro": 0.6}).to_frame()
    pairs = oats_fit.comparisons("Variety", re="exclude").to_frame()
    trend = oats_fit.slopes("nitro").to_frame()
    errors = {
        "emmeans": _z(means, "Variety", _reference("emmean")),
        "emmeans at nitro 0.6": _z(at_high, "Variety", _reference("emmean_nitro0.6")),
        "pairs": _z(pairs, "contrast", _reference("pairwise")),
        "emtrends": _z(trend, "term", _reference("trend")),
    }
    worst = {k: float(np.max(np.abs(v))) for k, v in errors.items()}
    print("max |error| in posterior SD:", json.dumps(worst))
    assert all(np.isfinite(v) for v in worst.values())
    assert max(worst.values()) < 0.3, worst
    # contrasts of the marginal means (per draw) are the pairwise comparisons
    mm = oats_fit.marginal_means("Variety").samples()
    np.testing.assert_allclose(pairs["estimate"][0], (mm[:, 0] - mm[:, 1]).mean(), atol=1e-9)


def test_reference_grid_and_weights(oats_fit):
    grid = reference_grid(oats_fit)
    assert len(grid) == 3 and grid["nitro"].tolist() == pytest.approx([0.3] * 3)
    equal = oats_fit.marginal_means("Variety").to_frame()
    # balanced design: proportional weights equal the equal ones
    prop = oats_fit.marginal_means("Variety", weights="proportional").to_frame()
    np.testing.assert_allclose(prop["estimate"], equal["estimate"], atol=1e-10)
    overall = oats_fit.predictions(by=True, re="exclude").to_frame()["estimate"][0]
    assert abs(overall - equal["estimate"].mean()) < 1e-8
    include = oats_fit.marginal_means("Variety", re="include").to_frame()
    assert (include["sd"] < equal["sd"]).all()  # the observed blocks' effects are known


#: lme4's coefficient names (in hsb82_emmeans_weights.csv) to the summary's.
R_NAMES = {
    "(Intercept)": "Intercept",
    "minrtyYes": "minrty[Yes]",
    "sectorPublic": "sector[Public]",
    "sxMale": "sx[Male]",
    "ses": "ses",
    "minrtyYes:sectorPublic": "minrty[Yes]:sector[Public]",
}


def test_weights_are_emmeans_linear_functions_on_an_unbalanced_design():
    """Hsb82 (unbalanced minority x sector x sex, with an interaction): per draw, the
    marginal means of sector with equal and proportional weights (also by sex) are
    emmeans' rows of linfct applied to the coefficients, to 1e-10; the average
    comparison of sector (marginaleffects) is emmeans' contrast with proportional
    weights. Any draws do (prior draws: nothing compiled)."""
    data = hm.datasets.load("Hsb82")
    model = hm.Model("mAch ~ minrty * sector + sx + ses + (1 | school)", data)
    fit = _prior_fit(model, 6)
    post = fit.posterior
    beta = np.column_stack(
        [post["Intercept"].values.ravel()]
        + [post["b"].sel(fixed_term=t).values.ravel() for t in list(R_NAMES.values())[1:]]
    )
    ref = pd.read_csv(WEIGHTS)
    worst = {}
    for weights in ("equal", "proportional"):
        for kind, table in [
            (weights, fit.marginal_means("sector", weights=weights)),
            (f"{weights}_by_sx", fit.marginal_means("sector", by="sx", weights=weights)),
        ]:
            frame = table.to_frame()
            labels = frame["sector"] + ("" if "sx" not in frame else " | " + frame["sx"])
            rows = ref[ref["kind"] == kind].set_index("term").loc[labels, list(R_NAMES)]
            worst[kind] = float(np.abs(table.samples() - beta @ rows.to_numpy().T).max())
    pairs = ref[ref["kind"] == "proportional_pairs"][list(R_NAMES)].to_numpy()
    average = fit.comparisons("sector", re="exclude")
    assert average.to_frame()["contrast"].tolist() == ["Catholic - Public"]
    worst["comparisons"] = float(np.abs(average.samples() - beta @ pairs.T).max())
    print("max |difference| from emmeans' linear functions:", worst)
    assert max(worst.values()) < 1e-10, worst
    # the design is unbalanced: the two weightings differ by more than round-off
    equal = fit.marginal_means("sector").samples()
    proportional = fit.marginal_means("sector", weights="proportional").samples()
    assert np.abs(equal - proportional).max() > 0.1


def test_datagrid_defaults_and_errors(oats_fit):
    grid = hm.datagrid(oats_fit, Variety="levels", nitro="range")
    assert grid.shape == (6, 3)
    assert grid["nitro"].tolist() == [0.0, 0.6] * 3
    assert set(grid["Block"]) == {"I"}  # the most frequent (first on ties) level
    assert datagrid(oats_fit)["nitro"].tolist() == [pytest.approx(0.3)]
    with pytest.raises(SpecError, match=r"'Varietyy'.*columns are \['Variety', 'nitro'"):
        hm.datagrid(oats_fit, Varietyy="Victory")
    with pytest.raises(DataError, match=r"'Glory'.*levels are \['Golden Rain', 'Marvellous'"):
        hm.datagrid(oats_fit, Variety="Glory")
    with pytest.raises(DataError, match="numeric"):
        hm.datagrid(oats_fit, nitro="high")


def test_predictions_per_row_by_group_and_new_groups(oats_fit):
    rows = oats_fit.predictions()
    assert len(rows) == 72 and rows.draws.dims == ("chain", "draw", "row")
    direct = oats_fit.predict()["predictions"]["yield"].values
    np.testing.assert_allclose(rows.draws.values, direct, atol=1e-12)
    by = oats_fit.predictions(by="Variety").to_frame()
    assert by["Variety"].tolist() == ["Golden Rain", "Marvellous", "Victory"]
    new_block = hm.datagrid(oats_fit, Block=["new"], Variety="levels")
    new = oats_fit.predictions(new_block, random_seed=1).to_frame()
    pop = oats_fit.predictions(new_block, re="exclude").to_frame()
    assert (new["sd"] > pop["sd"]).all()
    same = oats_fit.predictions(new_block, re="new", random_seed=1).to_frame()
    np.testing.assert_allclose(same["estimate"], new["estimate"], atol=1e-10)
    assert "eti89_lb" in pop.columns and "eti95_lb" in rows.to_frame(prob=0.95).columns


def test_contrast_names_and_errors(oats_fit):
    rev = oats_fit.comparisons("Variety", contrast="revpairwise", re="exclude").to_frame()
    assert rev["contrast"].tolist() == [
        "Marvellous - Golden Rain",
        "Victory - Golden Rain",
        "Victory - Marvellous",
    ]
    ctrl = oats_fit.comparisons("Variety", contrast="trt.vs.ctrl", reference="Victory")
    assert ctrl.to_frame()["contrast"].tolist()[0] == "Golden Rain - Victory"
    custom = {"Golden Rain vs rest": {"Golden Rain": 1, "Marvellous": -0.5, "Victory": -0.5}}
    one = oats_fit.comparisons("Variety", contrast=custom, re="exclude").samples()[:, 0]
    mm = oats_fit.marginal_means("Variety").samples()
    np.testing.assert_allclose(one, mm[:, 0] - mm[:, 1:].mean(axis=1), atol=1e-9)
    with pytest.raises(SpecError, match=r"sum to 0\.5, not 0"):
        contrast_matrix(["a", "b"], {"bad": {"a": 1, "b": -0.5}})
    with pytest.raises(SpecError, match=r"names \['Glory'\], not level"):
        oats_fit.comparisons("Variety", contrast={"x": {"Glory": 1, "Victory": -1}})
    with pytest.raises(SpecError, match=r"Unknown contrast 'pairs'; valid choices"):
        oats_fit.comparisons("Variety", contrast="pairs")
    with pytest.raises(SpecError, match=r"Unknown variable 'Varity'.*'Variety', 'nitro'"):
        oats_fit.comparisons("Varity")
    with pytest.raises(SpecError, match="slopes need a numeric one"):
        oats_fit.slopes("Variety")
    with pytest.raises(SpecError, match=r"Unknown variable\(s\) \['nitrogen'\]"):
        oats_fit.marginal_means("nitrogen")
    with pytest.raises(SpecError, match=r"Unknown re 'none'; valid choices"):
        oats_fit.predictions(re="none")
    with pytest.raises(SpecError, match=r"by=\['Blok'\] not column"):
        oats_fit.comparisons("Variety", by="Blok")


# ------------------------------------------------------ acceptance 2: Bernoulli by hand
def _hand_probabilities(fit, data: pd.DataFrame) -> np.ndarray:
    """P(y = 1) per draw (samples, rows) from the posterior variables, written out."""
    post = fit.posterior
    flat = lambda da: da.values.reshape(-1, *da.shape[2:])  # noqa: E731
    b = post["b"]
    eta = (
        flat(post["Intercept"])[:, None]
        + flat(b.sel(fixed_term="x"))[:, None] * data["x"].to_numpy()
    )
    for level in ("b", "c"):
        eta = eta + flat(b.sel(fixed_term=f"f[{level}]"))[:, None] * (data["f"] == level).to_numpy()
    r = post["r_g"]
    levels = list(r[r.dims[2]].values)
    codes = np.array([levels.index(v) for v in data["g"]])
    eta = eta + flat(r)[:, :, 0][:, codes]
    return expit(eta)


def test_bernoulli_comparisons_and_slopes_equal_the_draws_by_hand(bernoulli_fit):
    data = bernoulli_fit.model.data
    p = {lv: _hand_probabilities(bernoulli_fit, data.assign(f=lv)) for lv in "abc"}
    got = bernoulli_fit.comparisons("f").samples()  # a - b, a - c, b - c
    want = np.column_stack(
        [(p["a"] - p["b"]).mean(1), (p["a"] - p["c"]).mean(1), (p["b"] - p["c"]).mean(1)]
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    slopes = bernoulli_fit.slopes("x")
    eps = slopes.info["eps"]
    assert eps == pytest.approx(1e-4 * np.ptp(data["x"]))
    hi = _hand_probabilities(bernoulli_fit, data.assign(x=data["x"] + eps / 2))
    lo = _hand_probabilities(bernoulli_fit, data.assign(x=data["x"] - eps / 2))
    np.testing.assert_allclose(
        slopes.samples()[:, 0], ((hi - lo) / eps).mean(1), rtol=0, atol=1e-10
    )
    # the step is small enough: the analytic derivative b * p (1 - p) agrees closely
    p0 = _hand_probabilities(bernoulli_fit, data)
    bx = bernoulli_fit.posterior["b"].sel(fixed_term="x").values.reshape(-1)
    analytic = (bx[:, None] * p0 * (1 - p0)).mean(1)
    np.testing.assert_allclose(slopes.samples()[:, 0], analytic, rtol=1e-6)
    by = bernoulli_fit.slopes("x", by="f").to_frame()
    assert by["f"].tolist() == ["a", "b", "c"]
    link = bernoulli_fit.slopes("x", scale="link").samples()[:, 0]
    np.testing.assert_allclose(link, bx, rtol=1e-8)
    step = bernoulli_fit.comparisons("x", contrast=0.5).samples()[:, 0]
    up = _hand_probabilities(bernoulli_fit, data.assign(x=data["x"] + 0.5))
    np.testing.assert_allclose(step, (up - p0).mean(1), rtol=0, atol=1e-10)


def test_pooling_lines_of_zero_inflated_counts_are_quasi_poisson():
    """No working variance (zero-inflated, hurdle): the line of log E[y] solves the
    quasi-Poisson estimating equations sum (y - mu) = sum (y - mu) x = 0, as the Poisson
    line does; a logit family without one is refused by name."""
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, 300)
    y = np.where(rng.random(300) < 0.3, 0, rng.poisson(np.exp(0.5 + 0.7 * x)))
    a, b = line_fit(x, y, family="zero_inflated_poisson", link="log")
    mu = np.exp(a + b * x)
    assert abs(np.sum(y - mu)) < 1e-8 and abs(np.sum((y - mu) * x)) < 1e-8
    np.testing.assert_allclose([a, b], line_fit(x, y, family="poisson", link="log"), rtol=1e-10)
    assert abs(b - 0.7) < 0.25 and abs(a - (0.5 + np.log(0.7))) < 0.25
    with pytest.raises(SpecError, match="'cumulative' defines no working variance"):
        line_fit(x, (y > 1).astype(float), family="cumulative", link="logit")


# ------------------------------------------------------------ acceptance 5: the figures
def _save(fig, name: str) -> None:
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOTS / name, dpi=80)


def test_plot_predictions_gaussian(sleepstudy_fit, oats_fit):
    fig = sleepstudy_fit.plot_predictions(
        "Days", by="Subject", overlay=["population", "no_pooling"]
    )
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 18
    first = fig.axes[0]
    labels = [line.get_label() for line in first.get_lines()]
    assert "population (fixed effects)" in labels and "no pooling" in labels
    _save(fig, "gaussian_sleepstudy_by_subject.png")
    fig = sleepstudy_fit.plot_predictions(
        "Days", by="Subject", facet=False, overlay=["complete_pooling"]
    )
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 19
    _save(fig, "gaussian_sleepstudy_lines_per_subject.png")
    fig = oats_fit.plot_predictions("nitro", by="Variety")
    assert len(fig.axes[0].get_lines()) == 3
    _save(fig, "gaussian_oats_by_variety.png")
    _save(oats_fit.plot_predictions("Variety"), "gaussian_oats_variety.png")
    with pytest.raises(SpecError, match=r"Unknown predictor 'Day'"):
        sleepstudy_fit.plot_predictions("Day")


def test_plot_predictions_bernoulli_and_poisson(bernoulli_fit, poisson_fit):
    fig = bernoulli_fit.plot_predictions("x", by="f")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert all(0 <= y <= 1 for line in lines for y in line.get_ydata())
    _save(fig, "bernoulli_by_factor.png")
    fig = bernoulli_fit.plot_predictions("x", by="g", overlay=["population", "no_pooling"])
    _save(fig, "bernoulli_by_group.png")
    fig = poisson_fit.plot_predictions("x", by="g", overlay=["population", "complete_pooling"])
    assert all(min(line.get_ydata()) > 0 for line in fig.axes[0].get_lines())
    _save(fig, "poisson_prior_draws_by_group.png")
    _save(poisson_fit.plot_predictions("x"), "poisson_prior_draws_population.png")


# ------------------------------------------- a family with response categories plugs in
class TwoCategories(Bernoulli):
    """Bernoulli whose expected value is the probability of each category (0, 1), as an
    ordinal family's is: a trailing axis."""

    name = "two_categories_toy"

    def expected_value(self, link, *, eta, aux, trials):
        p = super().expected_value(link, eta=eta, aux=aux, trials=trials)
        return np.stack([1 - p, p], axis=-1)


@pytest.fixture(scope="module")
def category_fit():
    family = hm.families.register(TwoCategories())
    try:
        data = _simulated("bernoulli", 5)
        yield _prior_fit(hm.Model("y ~ x + f + (1 | g)", data, family=family.name), 5)
    finally:
        hm.families.unregister(TwoCategories.name)


def test_a_category_axis_becomes_an_identifying_column(category_fit):
    grid = hm.datagrid(category_fit, f="levels")
    pred = category_fit.predictions(grid, re="exclude")
    table = pred.to_frame()
    assert len(table) == 6 and table["category"].tolist() == [0, 1] * 3
    totals = pred.samples().reshape(-1, 3, 2).sum(axis=-1)
    np.testing.assert_allclose(totals, 1.0, atol=1e-12)
    comp = category_fit.comparisons("f", re="exclude").to_frame()
    assert comp["contrast"].tolist()[:2] == ["a - b", "a - b"] and "category" in comp
    np.testing.assert_allclose(comp["estimate"][0], -comp["estimate"][1], atol=1e-12)
    means = category_fit.marginal_means("f").to_frame()
    assert means[["f", "category"]].values.tolist()[:2] == [["a", 0], ["a", 1]]
    fig = category_fit.plot_predictions("x")
    assert len(fig.axes[0].get_lines()) == 2
    _save(fig, "categories_toy.png")
