"""The diagnostics report: parameters named as the user wrote the factors, and R-hat
needs two or more chains (the report says so)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from comparison_fits import prior_fit

import hiermodels as hm
from hiermodels.diagnostics import describe_draws, diagnose
from hiermodels.errors import ConvergenceWarning, SpecError
from hiermodels.results import Fit

MM = "mm(school1, school2, school3)"


@pytest.fixture(scope="module")
def mm_fit() -> Fit:
    pupils = hm.datasets.load("pupils_multiple_membership").iloc[:400]
    formula = "score ~ prior + (1 | mm(school1, school2, school3, weights=[w1, w2, w3]))"
    fit = prior_fit(hm.Model(formula, pupils), draws=400)
    # make the chains of the group effects disagree, so the advice names the worst one
    post = fit.idata["posterior"].to_dataset()
    stored = "r_mm(school1+school2+school3)"
    shifted = post[stored].values.copy()
    shifted[1] += 10.0 * np.arange(shifted.shape[2])[None, :, None]
    post[stored] = post[stored].copy(data=shifted)
    tree = fit.idata.copy()
    tree["posterior"] = post
    return Fit(model=fit.model, idata=tree)


def test_diagnostics_show_the_multiple_membership_factor_as_written(mm_fit):
    report = mm_fit.diagnostics()
    names = list(report.table.index)
    assert f"sd_{MM}[Intercept]" in names
    assert any(n.startswith(f"r_{MM}[") for n in names)
    assert not [n for n in names if "+" in n]
    assert len(report.advice) >= 1 and f"(worst: r_{MM}[" in report.advice[0]
    assert f"r_{MM}[" in str(mm_fit.summary())
    # the stored variables keep their names (saved fits and the backend read them)
    assert "r_mm(school1+school2+school3)" in mm_fit.posterior


def test_trace_legend_uses_the_names_as_written(mm_fit):
    import matplotlib.pyplot as plt

    pc = mm_fit.plot_trace()
    fig = pc.get_viz("figure")
    try:
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
        assert f"sd_{MM}[Intercept]" in texts
        labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
        assert f"sd_{MM}" in labels and not [t for t in labels if "+" in t]
    finally:
        plt.close(fig)


def test_correlated_terms_of_a_factor_named_like_a_dimension():
    """A factor called "level" is stored as "level__level"; its correlations are still
    found (this raised KeyError 'level__level__level__term', so fit() failed)."""
    sleep = hm.datasets.load("sleepstudy").rename(columns={"Subject": "level"})
    fit = prior_fit(hm.Model("Reaction ~ Days + (Days | level)", sleep), draws=40)
    names = list(fit.diagnostics().table.index)
    assert "cor_level[Intercept:Days]" in names and "sd_level[Days]" in names


ONE_CHAIN = "R-hat needs two or more chains; this fit has 1"


def _tree(n_chains: int, n_draws: int = 400, seed: int = 0) -> xr.DataTree:
    rng = np.random.default_rng(seed)
    post = xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(size=(n_chains, n_draws))),
            "b": (("chain", "draw", "k"), rng.normal(size=(n_chains, n_draws, 3))),
        }
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((n_chains, n_draws), bool))})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def test_one_chain_is_not_reported_as_fine():
    """R-hat is NaN for one chain; the report must not call that fine (nor warn)."""
    report = diagnose(_tree(1))
    assert math.isnan(report.max_rhat)  # no "All-NaN axis" RuntimeWarning (warnings are errors)
    assert not report.ok
    assert report.advice[0].startswith(ONE_CHAIN)
    text = str(report)
    assert "All diagnostics look fine" not in text
    assert "R-hat not available (needs 2 or more chains)" in text
    assert "nan" not in text


def test_two_well_mixed_chains_are_fine():
    report = diagnose(_tree(2))
    assert report.ok, report.advice
    assert report.max_rhat < 1.01
    assert "max R-hat 1.0" in report.line()


def test_few_draws_of_one_chain_fall_back_to_arviz_without_warnings():
    report = diagnose(_tree(1, n_draws=6))
    assert report.advice[0].startswith(ONE_CHAIN)


@pytest.fixture(scope="module")
def one_chain_fit():
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.warns(ConvergenceWarning, match=ONE_CHAIN):
        return model.fit(method="gibbs", draws=100, chains=1, random_seed=1, progressbar=False)


def test_one_chain_summary_says_rhat_needs_two_chains(one_chain_fit):
    text = str(one_chain_fit.summary())
    assert "Draws: 1 chain x 100" in text
    assert "R-hat not available (needs 2 or more chains)" in text
    assert ONE_CHAIN in text
    assert "All diagnostics look fine" not in text
    intercept = next(line for line in text.splitlines() if line.startswith(" Intercept"))
    assert intercept.split()[-1] == "NA"
    assert "nan" not in text


@pytest.mark.parametrize("prob", [1.2, 0, 1, -0.5, "0.9", True, None])
def test_interval_probability_outside_zero_one(prob):
    from hiermodels.options import check_prob

    da = xr.DataArray(np.zeros((2, 10)), dims=("chain", "draw"))
    with pytest.raises(SpecError, match=r"prob must be a number between 0 and 1.*got"):
        describe_draws(da, prob=prob)
    with pytest.raises(SpecError, match=r"such as 0\.89 or 0\.95; got"):
        check_prob(prob)


def test_the_convergence_warning_names_the_model():
    """Issue #19: a warning says which model it is about (a notebook fits several)."""
    import re

    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    expected = "Sampling diagnostics of 'Reaction ~ Days + (1 | Subject)' (gaussian) flag problems"
    with pytest.warns(hm.errors.ConvergenceWarning, match=re.escape(expected)):
        model.fit(method="gibbs", draws=30, tune=30, chains=2, random_seed=1, progressbar=False)
