"""Designs of new data (``hiermodels.design.newdata``): a failed ``predict`` leaves the fit
as it was, dtype mismatches are named, and group labels map to the fitted levels.

The fits here use ``method="gibbs"`` (no compilation, a few seconds) or prior draws.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiermodels as hm
from hiermodels.design import prediction_design
from hiermodels.errors import ConvergenceWarning, DataError, HiermodelsError

GIBBS = dict(method="gibbs", draws=200, chains=2, random_seed=1)


def gibbs_fit(formula: str, data: pd.DataFrame) -> hm.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 x 200 draws
        return hm.Model(formula, data).fit(**GIBBS)


def predictions(fit: hm.Fit, data: pd.DataFrame, **kwargs) -> np.ndarray:
    return fit.predict(data, **kwargs)["predictions"][fit.design.response_name].values


# --- item 1 of issue #22: one failed predict() must not spoil the next ------------------


@pytest.fixture(scope="module")
def sleep_fit() -> hm.Fit:
    return gibbs_fit("Reaction ~ Days + (1 | Subject)", hm.datasets.load("sleepstudy"))


@pytest.fixture(scope="module")
def sleep_loaded(sleep_fit, tmp_path_factory) -> hm.Fit:
    return hm.load(sleep_fit.save(tmp_path_factory.mktemp("fits") / "sleep.hmfit"))


@pytest.mark.parametrize("which", ["fitted", "loaded"])
def test_a_failed_predict_leaves_the_fit_unchanged(request, which):
    fit = request.getfixturevalue("sleep_fit" if which == "fitted" else "sleep_loaded")
    new = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "308"]})
    before = predictions(fit, new)
    with pytest.raises(DataError, match=r"'Days'.*numeric in fitting.*dtype str"):
        fit.predict(new.assign(Days=["0", "9"]))
    np.testing.assert_array_equal(predictions(fit, new), before)


def test_a_failure_inside_formulaic_does_not_change_the_stored_spec():
    """``I(x)`` is not a plain column, so no early check catches text for it: formulaic
    encodes it as categorical, writes that into the spec it is given, then fails."""
    df = pd.DataFrame({"y": np.arange(6.0), "x": np.arange(6.0), "g": list("aabbcc")})
    model = hm.Model("y ~ I(x) + (1 | g)", df)
    spec = model.design.fixed.formulaic_spec
    state = repr(spec.encoder_state)
    new = pd.DataFrame({"x": [1.0, 2.0], "g": ["a", "b"]})
    before = prediction_design(model.design, model.spec, new).design.fixed.matrix
    with pytest.raises(DataError, match=r"fixed part"):
        prediction_design(model.design, model.spec, new.assign(x=["1", "2"]))
    assert repr(spec.encoder_state) == state
    after = prediction_design(model.design, model.spec, new).design.fixed.matrix
    np.testing.assert_array_equal(after, before)


# --- item 3 of issue #22: interaction levels from the combinations ---------------------


@pytest.mark.parametrize("formula", ["y ~ 1 + (1 | a:b)", "y ~ 1 + (1 | a/b)"])
def test_new_rows_find_their_combination_even_when_labels_hold_colons(formula):
    fitted = pd.DataFrame(
        {"y": np.arange(8.0), "a": ["x:y", "x", "p", "q"] * 2, "b": ["z", "y:z", "r", "s"] * 2}
    )
    model = hm.Model(formula, fitted)
    g = model.design.group("a:b")
    new = pd.DataFrame({"a": ["x", "x:y", "x:y:z", "x"], "b": ["y:z", "z", "z", "y:z"]})
    rebuilt = prediction_design(model.design, model.spec, new)
    codes = rebuilt.design.group("a:b").codes[:, 0]
    assert [g.levels[c] for c in codes[[0, 1, 3]]] == ['x:"y:z"', '"x:y":z', 'x:"y:z"']
    assert codes[2] == g.n_levels and rebuilt.new_levels["a:b"] == ('"x:y:z":z',)


# --- item 4 of issue #22: nullable text columns in new data -----------------------------


@pytest.mark.parametrize("dtype", ["string[python]", "string[pyarrow]"])
def test_nullable_text_in_new_data_is_read_as_levels(dtype):
    if "pyarrow" in dtype:
        pytest.importorskip("pyarrow")
    df = text_levels_frame()
    new = pd.DataFrame({"x": ["2", "3", "1"], "g": ["a", None, "new"]})
    for fitted in (df, df.astype({"x": dtype, "g": dtype})):
        model = hm.Model("y ~ x + (1 + x | g)", fitted)
        reference = prediction_design(model.design, model.spec, new)
        text = new.astype(dtype)
        before = copy.deepcopy(text)
        got = prediction_design(model.design, model.spec, text)
        np.testing.assert_array_equal(got.design.fixed.matrix, reference.design.fixed.matrix)
        np.testing.assert_array_equal(got.design.fixed.matrix[:, 1:], [[1, 0], [0, 1], [0, 0]])
        np.testing.assert_array_equal(got.design.groups[0].Z, reference.design.groups[0].Z)
        np.testing.assert_array_equal(got.design.groups[0].codes, [[0], [4], [5]])
        assert got.new_levels == {"g": ("<missing row 1>", "new")}
        pd.testing.assert_frame_equal(text, before, check_exact=True)


# --- rough edge of issue #22: a dtype mismatch is named as such -------------------------


def text_levels_frame() -> pd.DataFrame:
    return pd.DataFrame({"y": np.arange(8.0), "x": ["1", "2", "3", "1"] * 2, "g": list("aabbccdd")})


def test_numbers_where_text_levels_were_fitted_name_both_dtypes():
    model = hm.Model("y ~ x + (1 | g)", text_levels_frame())
    new = pd.DataFrame({"x": [1, 2], "g": ["a", "b"]})
    with pytest.raises(
        DataError,
        match=r"'x' \(fixed part\) was fitted with str levels \['1', '2', '3'\], but the new "
        r"data give it dtype int64 \(number values, e.g. 1\).*astype\(str\)",
    ):
        prediction_design(model.design, model.spec, new)
    design = prediction_design(model.design, model.spec, new.astype({"x": str}))
    np.testing.assert_array_equal(design.design.fixed.matrix, [[1, 0, 0], [1, 1, 0]])


def test_text_where_numeric_levels_or_numbers_were_fitted_name_both_dtypes():
    df = text_levels_frame().assign(x=[1, 2, 3, 1] * 2)
    for formula, fitted in [
        ("y ~ C(x) + (1 | g)", "number levels"),
        ("y ~ x + (1 | g)", "numeric"),
    ]:
        model = hm.Model(formula, df)
        new = pd.DataFrame({"x": ["1", "2"], "g": ["a", "b"]})
        with pytest.raises(DataError, match=rf"'x'.*{fitted}.*dtype str \(str values, e.g. '1'\)"):
            prediction_design(model.design, model.spec, new)


# --- acceptance point 3: random sequences of valid and invalid calls ---------------------


def phase_frame() -> pd.DataFrame:
    sleep = hm.datasets.load("sleepstudy")
    return sleep.assign(phase=np.where(sleep["Days"] >= 5, "late", "early"))


PROPERTY_FORMULA = "Reaction ~ Days + phase + (1 | Subject)"


@pytest.fixture(scope="module")
def property_fits(tmp_path_factory) -> dict[str, hm.Fit]:
    """The fit that receives the calls, a loaded copy that also receives them, and a
    fresh load of the same file that only ever sees valid calls (the reference)."""
    fit = gibbs_fit(PROPERTY_FORMULA, phase_frame())
    path = fit.save(tmp_path_factory.mktemp("fits") / "phase.hmfit")
    return {"fitted": fit, "loaded": hm.load(path), "reference": hm.load(path)}


BASE = pd.DataFrame(
    {"Days": [0, 4, 9], "phase": ["early", "early", "late"], "Subject": ["308", "309", "new"]}
)
VALID = {
    "base": BASE,
    "float days": BASE.assign(Days=[0.5, 3.0, 12.0]),
    "integer subjects": BASE.assign(Subject=[308, 309, 999]),
    "missing subject": BASE.assign(Subject=["308", None, "330"]),
    "categorical phase": BASE.assign(phase=pd.Categorical(BASE["phase"])),
    "one row": BASE.iloc[[2]],
}
INVALID = {
    "days as text": BASE.assign(Days=["0", "4", "9"]),
    "days as categories": BASE.assign(Days=pd.Categorical(["0", "4", "9"])),
    "phase as numbers": BASE.assign(phase=[0, 0, 1]),
    "unseen phase": BASE.assign(phase=["early", "middle", "late"]),
    "missing days": BASE.assign(Days=[0.0, np.nan, 9.0]),
    "infinite days": BASE.assign(Days=[0.0, np.inf, 9.0]),
    "no phase column": BASE.drop(columns="phase"),
    "no rows": BASE.iloc[:0],
    "not a frame": BASE.to_dict(),
}
CALL = st.one_of(
    st.tuples(
        st.just("valid"),
        st.sampled_from(sorted(VALID)),
        st.sampled_from(["mean", "response"]),
        st.sampled_from(["sample", "population"]),
    ),
    st.tuples(st.just("invalid"), st.sampled_from(sorted(INVALID)), st.just("mean"), st.just("")),
)


@pytest.mark.parametrize("which", ["fitted", "loaded"])
@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(calls=st.lists(CALL, min_size=1, max_size=8))
def test_valid_calls_match_a_fresh_load_whatever_failed_before(property_fits, which, calls):
    fit, reference = property_fits[which], property_fits["reference"]
    for validity, name, kind, new_groups in calls:
        if validity == "invalid":
            with pytest.raises(HiermodelsError):
                fit.predict(INVALID[name])
            continue
        options = dict(kind=kind, new_groups=new_groups, random_seed=11)
        np.testing.assert_array_equal(
            predictions(fit, VALID[name], **options),
            predictions(reference, VALID[name], **options),
        )
