"""Posterior predictive plots: they leave the fit alone, and a 0/1 response gets a check
that shows something (the proportion of 1s overall and per level)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from comparison_fits import prior_fit

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.results import Fit


def cbpp_animals() -> pd.DataFrame:
    """cbpp as one 0/1 row per animal: 842 animals in 15 herds."""
    cbpp = hm.datasets.load("cbpp")
    sick = np.concatenate([[1] * k + [0] * (n - k) for k, n in zip(cbpp.incidence, cbpp["size"])])
    herd = np.repeat(cbpp.herd.to_numpy(), cbpp["size"])
    return pd.DataFrame({"sick": sick, "herd": pd.Categorical(herd)})


@pytest.fixture(scope="module")
def sleep_fit() -> Fit:
    sleep = hm.datasets.load("sleepstudy")
    return hm.Model("Reaction ~ Days + (1 | Subject)", sleep).fit(
        method="gibbs", draws=300, tune=200, chains=2, random_seed=3, progressbar=False
    )


@pytest.fixture(scope="module")
def bernoulli_fit() -> Fit:
    return prior_fit(hm.Model("sick ~ 1 + (1 | herd)", cbpp_animals(), family="bernoulli"))


def test_ppc_plots_leave_the_fit_unchanged(sleep_fit):
    fit = Fit(model=sleep_fit.model, idata=sleep_fit.idata)
    before = fit.idata
    children = set(before.children)
    for kind in ("dist", "pit"):
        fit.plot_ppc(kind, random_seed=1)
    fit.plot_loo_pit(random_seed=1)
    assert fit.idata is before
    fit.plot_ppc("groups", random_seed=1)
    assert set(fit.idata.children) == children
    assert "posterior_predictive" not in children


def test_stored_posterior_predictive_is_what_the_plots_use(sleep_fit):
    fit = Fit(model=sleep_fit.model, idata=sleep_fit.idata)
    tree = fit.posterior_predictive(random_seed=4, store=True)  # the explicit way to store them
    assert fit.idata is tree and "posterior_predictive" in tree.children
    pc = fit.plot_ppc("groups", random_seed=99)  # the seed is not used: draws are stored
    stored = tree["posterior_predictive"]["Reaction"].values
    overall = pc.viz["prediction_markers"]["mean of Reaction"].item().get_offsets()[0, 1]
    assert overall == pytest.approx(stored.mean())
    assert fit.idata is tree


def test_binary_response_default_check_shows_proportions_per_level(bernoulli_fit):
    animals = cbpp_animals()
    pc = bernoulli_fit.plot_ppc(random_seed=1)
    fig = pc.get_viz("figure")
    (ax,) = fig.axes
    herds = list(animals["herd"].cat.categories)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["all", *herds]
    assert ax.get_ylabel() == "sick: proportion of 1s"
    observed = pc.viz["observed_markers"]["sick: proportion of 1s"].item().get_offsets()[:, 1]
    expected = [animals["sick"].mean(), *animals.groupby("herd", observed=True)["sick"].mean()]
    np.testing.assert_allclose(observed, expected)
    predicted = pc.viz["prediction_markers"]["sick: proportion of 1s"].item().get_offsets()
    assert len(predicted) == len(herds) + 1


def test_binary_calibration_and_group_choice(bernoulli_fit, sleep_fit):
    pc = bernoulli_fit.plot_ppc("calibration", random_seed=1)
    assert pc.get_viz("figure").axes[0].get_xlabel() == "predicted value"
    with pytest.raises(SpecError, match=r"0/1 response.*'gaussian'.*\['bernoulli'\]"):
        sleep_fit.plot_ppc("calibration")
    with pytest.raises(SpecError, match=r"group applies only to kind='groups'"):
        sleep_fit.plot_ppc("dist", group="Subject")
    with pytest.raises(SpecError, match=r"Unknown grouping factor 'Subjct'"):
        sleep_fit.plot_ppc("groups", group="Subjct")


def test_groups_check_refuses_a_multiple_membership_factor():
    pupils = hm.datasets.load("pupils_multiple_membership").iloc[:300]
    model = hm.Model("score ~ 1 + (1 | mm(school1, school2, weights=[w1, w2]))", pupils)
    fit = prior_fit(model, draws=40)
    with pytest.raises(SpecError, match=r"belong to several levels at once.*\[\]"):
        fit.plot_ppc("groups", group="mm(school1, school2)")
    pc = fit.plot_ppc("groups", random_seed=1)  # no factor partitions the rows: overall only
    assert [t.get_text() for t in pc.get_viz("figure").axes[0].get_xticklabels()] == ["all"]


def test_the_density_check_says_which_line_is_which(sleep_fit):
    """Issue #19: arviz-plots' plot_ppc_dist draws no legend; the title names the lines."""

    def titles(pc):
        return [ax.get_title() for ax in pc.viz.ds["figure"].item().axes if ax.get_visible()]

    pc = sleep_fit.plot_ppc("dist", random_seed=1)
    assert titles(pc) == ["Reaction (black: observed, blue: replicated data sets)"]
    # a title of the caller's own replaces it; title=False leaves none
    pc = sleep_fit.plot_ppc("dist", random_seed=1, visuals={"title": {"text": "mine"}})
    assert titles(pc) == ["Reaction (mine)"]
    pc = sleep_fit.plot_ppc("dist", random_seed=1, visuals={"title": False})
    assert titles(pc) == [""]
    # lines in the caller's own colours: the default words would be wrong, so none
    pc = sleep_fit.plot_ppc("dist", random_seed=1, visuals={"observed_dist": {"color": "C3"}})
    assert titles(pc) == ["Reaction"]
