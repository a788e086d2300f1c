"""hm.poststratify: MRP on a simulated population with a known truth, and its errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import hiermodels as hm
from hiermodels.errors import DataError

AGES = ["18-29", "30-44", "45-64", "65+"]
EDUCATION = ["no HS", "HS", "some college", "college"]


def simulate(seed: int, n_states: int, n_survey: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population cells (state x age x education, with size N and true probability p) and
    a survey that over-samples the young and the college-educated."""
    rng = np.random.default_rng(seed)
    states = [f"S{i:02d}" for i in range(n_states)]
    cells = pd.MultiIndex.from_product(
        [states, AGES, EDUCATION], names=["state", "age", "edu"]
    ).to_frame(index=False)
    s = np.repeat(np.arange(n_states), len(AGES) * len(EDUCATION))
    a = np.tile(np.repeat(np.arange(4), 4), n_states)
    e = np.tile(np.arange(4), 4 * n_states)
    size = rng.lognormal(0.0, 0.8, n_states)[s] * rng.uniform(0.5, 1.5, len(cells))
    cells["N"] = rng.poisson(1000 * size) + 1
    state_effect = rng.normal(0.0, 0.5, n_states)
    eta = -0.2 + state_effect[s] + np.array([-0.8, -0.3, 0.3, 0.8])[a]
    cells["p"] = expit(eta + np.array([0.6, 0.2, -0.2, -0.7])[e])
    response_rate = np.exp(1.5 * np.array([0.8, 0.3, -0.3, -0.8])[a])
    response_rate *= np.exp(1.2 * np.array([-1.0, -0.4, 0.3, 1.0])[e])
    chance = cells["N"].to_numpy() * response_rate
    pick = rng.choice(len(cells), size=n_survey, p=chance / chance.sum())
    survey = cells.iloc[pick][["state", "age", "edu"]].reset_index(drop=True)
    survey["y"] = rng.binomial(1, cells["p"].to_numpy()[pick])
    return cells, survey


@pytest.fixture(scope="module")
def mrp():
    cells, survey = simulate(21, n_states=12, n_survey=600)
    fit = hm.Model("y ~ age + edu + (1 | state)", survey, family="bernoulli").fit(
        draws=1000, tune=1000, chains=2, random_seed=2, progressbar=False
    )
    return fit, cells, survey


@pytest.mark.slow
def test_acceptance_4_mrp_covers_the_truth_and_beats_the_raw_mean(mrp):
    """Measured (R-hat 1.004, ESS bulk 766): |MRP - truth| = 0.30 posterior SD (limit:
    inside the 89% interval, about 1.6 SD); the raw mean's error (0.18) is 19 times MRP's
    (limit 3); per state, the raw means' RMSE is 2.5 times MRP's (limit 1.5) and 10 of 12
    intervals cover (limit 8)."""
    fit, cells, survey = mrp
    before = cells.copy()
    overall = hm.poststratify(fit, cells, weight="N", random_seed=3)
    pd.testing.assert_frame_equal(cells, before)
    truth = np.average(cells["p"], weights=cells["N"])
    row = overall.loc["overall"]
    assert row["eti89_lb"] < truth < row["eti89_ub"]
    raw_error = abs(survey["y"].mean() - truth)
    assert raw_error > 3 * abs(row["estimate"] - truth)
    assert row["N"] == cells["N"].sum()

    by_state = hm.poststratify(fit, cells, weight="N", by="state", random_seed=3)
    truths = cells.groupby("state")[["p", "N"]].apply(lambda d: np.average(d.p, weights=d.N))
    raw = survey.groupby("state")["y"].mean().reindex(truths.index)
    assert by_state.index.tolist() == truths.index.tolist()
    covered = (by_state["eti89_lb"] < truths) & (truths < by_state["eti89_ub"])
    assert covered.sum() >= 8
    rmse = np.sqrt(np.mean((by_state["estimate"] - truths) ** 2))
    assert np.sqrt(np.mean((raw - truths) ** 2)) > 1.5 * rmse


def test_the_estimates_are_the_weighted_cell_predictions(mrp):
    fit, cells, _ = mrp
    table = hm.poststratify(fit, cells, by=["state", "age"], new_groups="population")
    mu = fit.predict(cells, new_groups="population")["predictions"]["y"].values
    mine = ((cells["state"] == "S03") & (cells["age"] == "65+")).to_numpy()
    w = cells["N"].to_numpy() * mine
    by_hand = (mu * w).sum(axis=-1) / w.sum()
    assert table.index.get_loc(("S03", "65+")) == 3 * 4 + 3  # sorted by state, then age
    selected = table.draws.sel(state="S03", age="65+").values
    np.testing.assert_allclose(selected, by_hand, rtol=0, atol=1e-12)
    assert abs(table.loc[("S03", "65+"), "estimate"] - by_hand.mean()) < 1e-12


def test_an_unsurveyed_state_gets_a_new_level_effect(mrp):
    fit, cells, _ = mrp
    extra = cells[cells["state"] == "S00"].assign(state="new state")
    table = hm.poststratify(fit, pd.concat([cells, extra]), by="state", random_seed=1)
    assert table.loc["new state", "sd"] > 1.5 * table["sd"].drop("new state").median()
    again = hm.poststratify(fit, pd.concat([cells, extra]), by="state", random_seed=1)
    pd.testing.assert_frame_equal(table, again)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda c: c.drop(columns="edu"), {}, "lacks the column(s) ['edu']"),
        (lambda c: c[c["edu"] != "HS"], {}, "lacks the level(s) ['HS'] of 'edu'"),
        (lambda c: c[c["state"] != "S05"], {}, "lacks the level(s) ['S05'] of 'state'"),
        (lambda c: c, {"weight": "n"}, "weight column 'n' is not in"),
        (lambda c: c.assign(N=c["N"].astype(str)), {}, "must hold numbers"),
        (lambda c: c.assign(N=-c["N"]), {}, "missing, infinite or negative"),
        (lambda c: c.assign(N=c["N"].where(c.index != 7)), {}, "first rows: [7]"),
        (lambda c: c, {"by": "region"}, "by names ['region'], not a column"),
        (lambda c: c.assign(N=c["N"] * (c["state"] != "S01")), {"by": "state"}, "['S01'] weigh 0"),
        (lambda c: c.assign(g=c["state"].where(c.index != 3)), {"by": "g"}, "missing in 1 cell"),
    ],
)
def test_bad_population_tables_are_named(mrp, change, kwargs, message):
    fit, cells, _ = mrp
    with pytest.raises(DataError, match=re.escape(message)):
        hm.poststratify(fit, change(cells), **kwargs)


def test_a_sub_population_needs_complete_false(mrp):
    fit, cells, _ = mrp
    table = hm.poststratify(fit, cells[cells["state"] == "S05"], complete=False)
    assert table.index.tolist() == ["overall"]
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        hm.poststratify(fit, cells.to_dict())
