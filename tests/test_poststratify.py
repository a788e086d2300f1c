"""hm.poststratify on the cbpp fit (binomial, ``period`` fixed, ``herd`` varying): the
estimates are the count-weighted cell predictions, draw by draw, and bad population
tables are named. The statistical check against a known population truth (acceptance 4)
runs the MRP notebook's simulation: tests/notebooks/test_08_mrp.py."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import DataError


@pytest.fixture(scope="module")
def cbpp(reference_fits):
    """The session's cbpp fit and a census of every herd x period cell with its size."""
    fit = reference_fits["cbpp"]
    herds = fit.model.data["herd"].cat.categories.astype(str)
    census = pd.MultiIndex.from_product(
        [herds, ["1", "2", "3", "4"]], names=["herd", "period"]
    ).to_frame(index=False)
    census["N"] = np.random.default_rng(1).integers(5, 60, len(census))
    census["region"] = np.where(census["herd"].astype(int) <= 7, "east", "west")
    return fit, census


def test_the_estimates_are_the_weighted_cell_predictions(cbpp):
    fit, census = cbpp
    before = census.copy()
    table = hm.poststratify(fit, census, by=["region", "period"], new_groups="population")
    pd.testing.assert_frame_equal(census, before)
    mu = fit.predict(census, new_groups="population")["predictions"]["incidence"].values
    mine = ((census["region"] == "west") & (census["period"] == "3")).to_numpy()
    w = census["N"].to_numpy() * mine
    by_hand = (mu * w).sum(axis=-1) / w.sum()
    assert table.index.get_loc(("west", "3")) == 4 + 2  # sorted by region, then period
    selected = table.draws.sel(region="west", period="3").values
    np.testing.assert_allclose(selected, by_hand, rtol=0, atol=1e-12)
    assert abs(table.loc[("west", "3"), "estimate"] - by_hand.mean()) < 1e-12
    assert table.loc[("west", "3"), "N"] == w.sum()
    assert table.columns.tolist() == ["estimate", "sd", "eti89_lb", "eti89_ub", "N"]


def test_overall_is_the_weighted_mean_of_the_parts(cbpp):
    fit, census = cbpp
    overall = hm.poststratify(fit, census, random_seed=1)
    by_herd = hm.poststratify(fit, census, by="herd", random_seed=1)
    assert overall.index.tolist() == ["overall"]
    weights = by_herd["N"].to_numpy()
    combined = (by_herd.draws.values * weights).sum(axis=-1) / weights.sum()
    np.testing.assert_allclose(overall.draws.values[..., 0], combined, rtol=0, atol=1e-12)
    assert overall.loc["overall", "N"] == census["N"].sum()


def test_an_unseen_herd_gets_a_new_level_effect(cbpp):
    fit, census = cbpp
    extra = census[census["herd"] == "1"].assign(herd="new herd")
    population = pd.concat([census, extra], ignore_index=True)
    table = hm.poststratify(fit, population, by="herd", random_seed=1)
    assert table.loc["new herd", "sd"] > 1.5 * table["sd"].drop("new herd").median()
    again = hm.poststratify(fit, population, by="herd", random_seed=1)
    pd.testing.assert_frame_equal(table, again)
    at_mean = hm.poststratify(fit, population, by="herd", new_groups="population")
    assert at_mean.loc["new herd", "sd"] < table.loc["new herd", "sd"]


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda c: c.drop(columns="period"), {}, "lacks the column(s) ['period']"),
        (lambda c: c[c["period"] != "4"], {}, "lacks the level(s) ['4'] of 'period'"),
        (lambda c: c[c["herd"] != "5"], {}, "lacks the level(s) ['5'] of 'herd'"),
        (lambda c: c, {"weight": "n"}, "weight column 'n' is not in"),
        (lambda c: c.assign(N=c["N"].astype(str)), {}, "must hold numbers"),
        (lambda c: c.assign(N=-c["N"]), {}, "missing, infinite or negative"),
        (lambda c: c.assign(N=c["N"].where(c.index != 7)), {}, "first rows: [7]"),
        (lambda c: c, {"by": "state"}, "by names ['state'], not a column"),
        (lambda c: c.assign(N=c["N"] * (c["herd"] != "2")), {"by": "herd"}, "['2'] weigh 0"),
        (lambda c: c.assign(g=c["herd"].where(c.index != 3)), {"by": "g"}, "missing in 1 cell"),
    ],
)
def test_bad_population_tables_are_named(cbpp, change, kwargs, message):
    fit, census = cbpp
    with pytest.raises(DataError, match=re.escape(message)):
        hm.poststratify(fit, change(census), **kwargs)


def test_a_sub_population_needs_complete_false(cbpp):
    fit, census = cbpp
    table = hm.poststratify(fit, census[census["herd"] == "5"], complete=False)
    assert table.index.tolist() == ["overall"]
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        hm.poststratify(fit, census.to_dict())
