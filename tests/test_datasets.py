"""The shipped data sets: dtypes, provenance, and the simulated multiple-membership pupils."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import DataError

PUPILS = "pupils_multiple_membership"
SCHOOLS = "pupils_multiple_membership_schools"
MEMBERS = ["school1", "school2", "school3"]
WEIGHTS = ["w1", "w2", "w3"]


@pytest.fixture(scope="module")
def pupils() -> pd.DataFrame:
    return hm.datasets.load(PUPILS)


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return hm.datasets.load(SCHOOLS)


def _simulation_script():
    path = hm.datasets.data_dir() / "simulate_pupils.py"
    spec = importlib.util.spec_from_file_location("simulate_pupils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ every data set
@pytest.mark.parametrize("name", hm.datasets.list())
def test_every_data_set_loads_with_group_labels_as_string_categories(name):
    frame = hm.datasets.load(name)
    entry = hm.datasets._DATASETS[name]
    assert len(frame) > 0
    for col in entry.groups:
        assert col in frame.columns, f"{name}: group column {col!r} missing"
        assert isinstance(frame[col].dtype, pd.CategoricalDtype)
        assert all(isinstance(c, str) for c in frame[col].cat.categories)
        assert frame[col].notna().all()


@pytest.mark.parametrize("name", hm.datasets.list())
def test_every_data_set_has_provenance(name):
    text = hm.datasets.describe(name)
    assert text.startswith(f"{name}: ")
    assert "\nSource: " in text and "\nCitation: " in text
    entry = hm.datasets._DATASETS[name]
    provenance = (hm.datasets.data_dir() / "PROVENANCE.md").read_text()
    assert entry.file in provenance


def test_load_returns_a_fresh_frame_each_time():
    first = hm.datasets.load("sleepstudy")
    first.loc[0, "Reaction"] = -1.0
    assert hm.datasets.load("sleepstudy").loc[0, "Reaction"] != -1.0


def test_unknown_data_set_names_the_valid_ones():
    with pytest.raises(DataError, match=r"Unknown data set 'radn'.*'radon'"):
        hm.datasets.load("radn")
    with pytest.raises(DataError, match="available data sets"):
        hm.datasets.describe("radn")


def test_numeric_labels_are_ordered_as_numbers():
    herds = hm.datasets.load("cbpp")["herd"].cat.categories.tolist()
    assert herds == [str(i) for i in range(1, 16)]


# ------------------------------------------------------------------ simulated pupils
def test_pupils_columns_and_dtypes(pupils):
    assert pupils.shape == (1500, 10)
    assert list(pupils.columns) == [
        "pupil", "score", "prior", "n_schools", *MEMBERS, *WEIGHTS,
    ]  # fmt: skip
    for col in ["pupil", *MEMBERS]:
        assert isinstance(pupils[col].dtype, pd.CategoricalDtype)
    for col in ["score", "prior", *WEIGHTS]:
        assert pupils[col].dtype == np.float64
    assert pupils["pupil"].is_unique
    assert pupils[MEMBERS + WEIGHTS].notna().all().all()


def test_pupils_weights_are_time_shares(pupils):
    weights = pupils[WEIGHTS].to_numpy()
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    used = weights > 0
    # the first n_schools slots are used, the rest are not
    n = pupils["n_schools"].to_numpy()
    assert (used.sum(axis=1) == n).all()
    assert (used == (np.arange(3) < n[:, None])).all()
    # shares are whole terms out of 12, rounded to 4 decimals (w1 absorbs two roundings)
    np.testing.assert_allclose(weights * 12, np.round(weights * 12), atol=12 * 1.01e-4)
    assert pupils["n_schools"].value_counts().sort_index().tolist() == [656, 534, 310]


def test_pupils_unused_slots_repeat_the_first_school(pupils):
    members = pupils[MEMBERS].astype(str).to_numpy()
    weights = pupils[WEIGHTS].to_numpy()
    unused = weights == 0
    first = np.broadcast_to(members[:, :1], members.shape)
    assert (members[unused] == first[unused]).all()
    for row, w in zip(members, weights):
        attended = row[w > 0]
        assert len(set(attended)) == len(attended), f"a school repeats in {row}"


def test_pupils_design_has_the_true_schools_and_counts(pupils, schools):
    model = hm.Model(
        "score ~ prior + (1 | mm(school1, school2, school3, weights=[w1, w2, w3]))", pupils
    )
    g = model.design.groups[0]
    assert g.levels == tuple(schools["school"].astype(str))
    np.testing.assert_array_equal(g.level_counts(), schools["pupils"].to_numpy())
    np.testing.assert_allclose(g.weights, pupils[WEIGHTS].to_numpy())
    share = np.zeros(g.n_levels)
    for k in range(3):
        np.add.at(share, g.codes[:, k], g.weights[:, k])
    np.testing.assert_allclose(share, schools["pupil_equivalents"], atol=1e-3)


def test_pupils_scores_follow_the_stated_truth(pupils, schools):
    """Residuals from the true model are N(0, 8): mean and SD within 4 standard errors."""
    effect = schools.set_index(schools["school"].astype(str))["effect"]
    school_part = sum(
        pupils[w].to_numpy() * effect.loc[pupils[m].astype(str)].to_numpy()
        for m, w in zip(MEMBERS, WEIGHTS)
    )
    residual = pupils["score"] - (50.0 + 6.0 * pupils["prior"] + school_part)
    n = len(residual)
    assert abs(residual.mean()) < 4 * 8.0 / np.sqrt(n)
    assert abs(residual.std(ddof=1) - 8.0) < 4 * 8.0 / np.sqrt(2 * (n - 1))
    # the school effects are a draw from Normal(0, 4): mean and SD as stated
    assert len(schools) == 80
    assert round(schools["effect"].mean(), 2) == -0.80
    assert round(schools["effect"].std(ddof=1), 2) == 3.48


def test_pupils_csvs_are_what_the_committed_script_writes():
    script = _simulation_script()
    assert (script.INTERCEPT, script.SLOPE, script.SCHOOL_SD, script.SIGMA) == (50, 6, 4, 8)
    assert script.SEED == 20240611
    pupils, truth = script.simulate()
    stored_pupils = pd.read_csv(script.PUPILS_CSV)
    stored_truth = pd.read_csv(script.SCHOOLS_CSV)
    pd.testing.assert_frame_equal(pupils, stored_pupils, check_dtype=False)
    pd.testing.assert_frame_equal(truth, stored_truth, check_dtype=False)
    assert str(script.SEED) in hm.datasets.describe(PUPILS)
