"""The Fit accessors on a shared sleepstudy fit: names, shapes, and oracle checks."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.results import Fit

pytestmark = pytest.mark.slow


def test_datatree_groups_and_log_likelihood_dims(sleepstudy_fit):
    tree = sleepstudy_fit.idata
    assert {"posterior", "sample_stats", "observed_data", "log_likelihood"} <= set(tree.children)
    ll = tree["log_likelihood"]["Reaction"]
    assert ll.dims == ("chain", "draw", "obs")
    assert ll.shape == (4, 1000, 180)
    np.testing.assert_array_equal(
        tree["observed_data"]["Reaction"].values,
        hm.datasets.load("sleepstudy")["Reaction"].to_numpy(),
    )


def test_log_likelihood_matches_scipy_by_hand(sleepstudy_fit):
    """Oracle: rebuild the Gaussian log density from the posterior draws by hand."""
    sleep = hm.datasets.load("sleepstudy")
    post = sleepstudy_fit.posterior
    subject = sleep["Subject"].astype(str).to_numpy()
    days = sleep["Days"].to_numpy(float)
    for chain, draw in [(0, 0), (1, 517), (3, 999)]:
        p = post.isel(chain=chain, draw=draw)
        r = p["r_Subject"].sel(Subject=subject)
        mu = (
            p["Intercept"].values
            + p["b"].sel(fixed_term="Days").values * days
            + r.sel(Subject__term="Intercept").values
            + r.sel(Subject__term="Days").values * days
        )
        expected = stats.norm.logpdf(sleep["Reaction"].to_numpy(), mu, p["sigma"].values)
        got = sleepstudy_fit.idata["log_likelihood"]["Reaction"].isel(chain=chain, draw=draw)
        np.testing.assert_allclose(got.values, expected, rtol=1e-10)


def test_fixed_effects_table(sleepstudy_fit):
    fe = sleepstudy_fit.fixed_effects()
    assert list(fe.index) == ["Intercept", "Days"]
    for col in ["mean", "sd", "eti89_lb", "eti89_ub", "ess_bulk", "ess_tail", "r_hat"]:
        assert col in fe.columns
    assert (fe["eti89_lb"] < fe["mean"]).all() and (fe["mean"] < fe["eti89_ub"]).all()


def test_variance_components_table(sleepstudy_fit):
    vc = sleepstudy_fit.variance_components()
    rows = list(zip(vc["group"], vc["term"], vc["kind"]))
    assert rows == [
        ("Subject", "Intercept", "sd"),
        ("Subject", "Days", "sd"),
        ("Subject", "Intercept:Days", "cor"),
        ("Residual", "", "sd"),
    ]
    assert vc.loc[vc["kind"] == "cor", "mean"].between(-1, 1).all()
    assert (vc.loc[vc["kind"] == "sd", "mean"] > 0).all()


def test_group_effects_follow_level_order(sleepstudy_fit):
    effects = sleepstudy_fit.group_effects("Subject")
    levels = list(sleepstudy_fit.design.group("Subject").levels)
    assert effects.index.names == ["level", "term"]
    assert list(effects.index.get_level_values("level").unique()) == levels
    assert effects.shape[0] == 2 * 18
    # deviations of a well-fitted model average about zero
    assert abs(effects.xs("Intercept", level="term")["mean"].mean()) < 5


def test_group_coefficients_are_fixed_plus_deviation(sleepstudy_fit):
    coef = sleepstudy_fit.group_coefficients("Subject")
    eff = sleepstudy_fit.group_effects("Subject")
    fe = sleepstudy_fit.fixed_effects()
    for term in ["Intercept", "Days"]:
        np.testing.assert_allclose(
            coef.xs(term, level="term")["mean"].to_numpy(),
            fe.loc[term, "mean"] + eff.xs(term, level="term")["mean"].to_numpy(),
            rtol=1e-10,
        )


def test_unknown_group_is_a_clear_error(sleepstudy_fit):
    with pytest.raises(SpecError, match=r"Unknown grouping factor 'subject'.*\['Subject'\]"):
        sleepstudy_fit.group_effects("subject")


def test_summary_reads_like_lme4(sleepstudy_fit):
    text = str(sleepstudy_fit.summary())
    for piece in [
        "Formula: Reaction ~ Days + (Days | Subject)",
        "Family: gaussian (link = identity)",
        "Random effects:",
        "Residual",
        "Number of obs: 180, groups:  Subject, 18",
        "Fixed effects:",
        "Diagnostics: max R-hat",
    ]:
        assert piece in text, piece


def test_diagnostics_report(sleepstudy_fit):
    report = sleepstudy_fit.diagnostics()
    assert report.n_chains == 4 and report.n_draws == 1000
    assert len(report.bfmi) == 4
    assert "r_Subject[308, Intercept]" in report.table.index
    assert "cor_Subject[Intercept:Days]" in report.table.index
    assert report.max_rhat < 1.01
    assert "divergences" in report.line()


def test_trace_and_rank_plots_render(sleepstudy_fit, tmp_path):
    for name, plot in [("trace", sleepstudy_fit.plot_trace), ("rank", sleepstudy_fit.plot_rank)]:
        pc = plot()
        path = tmp_path / f"{name}.png"
        pc.savefig(path)
        assert path.stat().st_size > 10_000


def test_pymc_model_dims_are_named_after_factors(sleepstudy_fit):
    model = sleepstudy_fit.model.pymc_model
    assert model.named_vars_to_dims["r_Subject"] == ("Subject", "Subject__term")
    assert list(model.coords["Subject"]) == list(sleepstudy_fit.design.group("Subject").levels)


def test_refit_reuses_the_compiled_model_and_the_seed_reproduces(sleepstudy_fit):
    model = sleepstudy_fit.model
    a = model.fit(draws=50, tune=50, chains=2, random_seed=9, progressbar=False)
    b = model.fit(draws=50, tune=50, chains=2, random_seed=9, progressbar=False)
    assert b.idata.attrs["seconds_compile"] < 0.5  # cached: no second compilation
    np.testing.assert_array_equal(a.posterior["sigma"].values, b.posterior["sigma"].values)


# --- the family's own parameters (Student-t nu, negative binomial alpha) -------------

NUTS = dict(draws=300, tune=300, chains=2, progressbar=False)


@pytest.fixture(scope="module")
def student_fit():
    sleep = hm.datasets.load("sleepstudy")
    return hm.Model("Reaction ~ Days + (1 | Subject)", sleep, family="student_t").fit(
        random_seed=3, **NUTS
    )


@pytest.fixture(scope="module")
def negbin_fit():
    """Simulated counts with a known dispersion alpha = 2 (variance mu + mu^2 / alpha)."""
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(20), 20)
    x = rng.uniform(-1, 1, g.size)
    mu = np.exp(1.0 + 0.5 * x + rng.normal(0, 0.3, 20)[g])
    y = rng.negative_binomial(NEGBIN_ALPHA, NEGBIN_ALPHA / (NEGBIN_ALPHA + mu))
    frame = pd.DataFrame({"y": y, "x": x, "g": [f"g{j}" for j in g]})
    model = hm.Model("y ~ x + (1 | g)", frame, family="negative_binomial")
    return model.fit(random_seed=4, **NUTS)


NEGBIN_ALPHA = 2.0


def test_student_t_nu_is_reported(student_fit):
    table = student_fit.family_parameters()
    assert list(table.index) == ["nu"]
    nu = student_fit.posterior["nu"].values.ravel()
    assert table.loc["nu", "mean"] == pytest.approx(nu.mean(), rel=1e-12)
    assert table.loc["nu", "sd"] == pytest.approx(nu.std(ddof=1), rel=1e-12)
    assert table.loc["nu", "eti89_lb"] < table.loc["nu", "mean"] < table.loc["nu", "eti89_ub"]
    assert {"ess_bulk", "r_hat"} <= set(table.columns)
    # variance_components keeps its rows: the SDs and the residual sigma only
    vc = student_fit.variance_components()
    assert list(zip(vc["group"], vc["term"])) == [("Subject", "Intercept"), ("Residual", "")]


def test_student_t_summary_has_a_further_parameters_block(student_fit):
    lines = str(student_fit.summary()).splitlines()
    start = lines.index("Further distributional parameters:")
    assert lines[start - 1] == "" and "Fixed effects:" in lines[: start - 1]
    assert lines[start + 1].split() == [
        "Estimate", "Est.Error", "l-89%", "ETI", "u-89%", "ETI", "ESS", "bulk", "R-hat"
    ]  # fmt: skip
    row = lines[start + 2].split()
    mean = student_fit.family_parameters().loc["nu", "mean"]
    assert row[0] == "nu" and float(row[1]) == pytest.approx(mean, rel=1e-3)
    assert "degrees of freedom" in lines[start + 3]


def test_negative_binomial_dispersion_is_reported_and_recovered(negbin_fit):
    table = negbin_fit.family_parameters()
    assert list(table.index) == ["alpha"]
    mean, sd = table.loc["alpha", ["mean", "sd"]]
    assert abs(mean - NEGBIN_ALPHA) < 3 * sd, (mean, sd)
    text = str(negbin_fit.summary())
    assert "Further distributional parameters:" in text
    assert "lme4's theta" in text
    assert list(negbin_fit.variance_components()["group"]) == ["g"]


@pytest.fixture(scope="module")
def gibbs_fit():
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    return model.fit(method="gibbs", draws=100, chains=2, random_seed=1, progressbar=False)


def test_gaussian_fit_has_no_further_parameters(gibbs_fit):
    table = gibbs_fit.family_parameters()
    assert table.empty
    assert list(table.columns) == list(gibbs_fit.fixed_effects().columns)
    assert "Further distributional parameters" not in str(gibbs_fit.summary())


@pytest.mark.parametrize(
    "accessor",
    ["fixed_effects", "variance_components", "family_parameters", "summary"],
)
def test_interval_probability_must_lie_between_zero_and_one(gibbs_fit, accessor):
    with pytest.raises(SpecError, match=r"prob must be a number between 0 and 1.*got 1\.2"):
        getattr(gibbs_fit, accessor)(prob=1.2)


def test_draws_of_an_unknown_variable_lists_the_variables(gibbs_fit):
    with pytest.raises(SpecError, match=r"Unknown posterior variable 'sd_schol'\.") as info:
        gibbs_fit.draws("sd_schol")
    assert "['Intercept', 'b', 'r_Subject', 'sd_Subject', 'sigma']" in str(info.value)
    with pytest.raises(SpecError, match=r"Did you mean \['sd_Subject', "):
        gibbs_fit.draws("sd_subject")
    assert gibbs_fit.draws("sd_Subject").shape == (200, 1)


def test_rank_plot_of_one_chain_says_it_needs_two():
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.warns(hm.errors.ConvergenceWarning):
        fit = model.fit(method="gibbs", draws=50, chains=1, random_seed=1, progressbar=False)
    with pytest.raises(SpecError, match=r"rank plot compares chains, and this fit has 1"):
        fit.plot_rank()


def test_posterior_is_built_once_per_idata(sleepstudy_fit):
    fit = hm.Fit(model=sleepstudy_fit.model, idata=sleepstudy_fit.idata)
    first = fit.posterior
    assert fit.posterior is first  # not rebuilt on every access
    fit.fixed_effects()
    assert fit.posterior is first
    fit.idata = fit.idata.copy()  # a new tree (as posterior_predictive() makes) is read anew
    assert fit.posterior is not first
    assert fit.posterior.equals(first)


def test_fit_is_a_facade_without_mixins():
    assert hm.Fit.__bases__ == (object,)
    assert hm.Model.__bases__ == (object,)


def test_facade_methods_show_their_functions_docstring_and_signature():
    """``Fit.x = facade(f)``: help() and inspect show f's text and f's signature with
    ``self`` for the fit; every public method keeps a docstring, facades an example."""
    facades = 0
    for name in list(vars(Fit)):
        if name.startswith("_"):
            continue
        member = getattr(Fit, name)  # a facade's function is imported on first access
        if not inspect.isfunction(member):
            continue
        assert member.__doc__, f"Fit.{name} has no docstring"
        function = getattr(member, "__facade_of__", None)
        if function is None:
            continue
        facades += 1
        assert member.__doc__ is function.__doc__ and "Examples" in member.__doc__
        assert member.__qualname__ == f"Fit.{name}" and member.__module__ == Fit.__module__
        mine = list(inspect.signature(member).parameters.values())
        theirs = list(inspect.signature(function).parameters.values())
        assert mine[0].name == "self" and mine[1:] == theirs[1:]
    assert facades >= 17


@pytest.mark.parametrize("family", ["poisson", "gamma"])
def test_a_glm_without_groups_has_an_empty_variance_table_and_a_summary(family):
    # variance_components() raised "No objects to concatenate" (no group, no sigma), so
    # summary() and the CLI's report failed after sampling.
    from comparison_fits import prior_fit

    data = hm.datasets.load("sleepstudy").assign(y=lambda d: (d["Reaction"] / 10).round())
    fit = prior_fit(hm.Model("y ~ Days", data, family=family))
    table = fit.variance_components()
    assert table.empty and list(table.columns[:3]) == ["group", "term", "kind"]
    assert "Fixed effects:" in str(fit.summary())
