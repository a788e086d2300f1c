"""The Fit accessors on a shared sleepstudy fit: names, shapes, and oracle checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import SpecError

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
