"""Each builder gives the same model as the formula it documents.

"Same" means: the documented ``.formula`` text, identical design arrays, identical priors,
and a PyMC model with the same free variables, dims and coords. Nothing is sampled.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels import naming
from hiermodels.errors import SpecError

N = 48


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    a = np.repeat(["A1", "A2", "A3"], N // 3)
    b = np.tile(["b1", "b2"], N // 2)  # the same inner labels in every outer level
    return pd.DataFrame(
        {
            "y": rng.normal(size=N),
            "x": rng.normal(size=N),
            "z": rng.uniform(size=N),
            "g": rng.permutation(np.repeat([f"g{i}" for i in range(6)], N // 6)),
            "a": a,
            "b": b,
            "c1": np.tile(["p", "q", "r", "s"], N // 4),
            "c2": np.repeat(["u", "v", "w", "x", "y", "z"], N // 6),
            "m1": rng.choice(["t1", "t2", "t3", "t4", "t5"], size=N),
            "m2": rng.choice(["t1", "t2", "t3", "t4", "t5"], size=N),
            "w1": rng.uniform(0.1, 1.0, size=N),
            "w2": rng.uniform(0.1, 1.0, size=N),
        }
    )


def free_rv_names(model: hm.Model) -> set[str]:
    return {v.name for v in model.pymc_model.free_RVs}


def assert_same_model(built: hm.Model, written: hm.Model) -> None:
    """Identical design arrays, priors and PyMC structure."""
    d1, d2 = built.design, written.design
    np.testing.assert_array_equal(d1.y, d2.y)
    np.testing.assert_array_equal(d1.fixed.matrix, d2.fixed.matrix)
    assert d1.fixed.names == d2.fixed.names
    assert [g.name for g in d1.groups] == [g.name for g in d2.groups]
    for g1, g2 in zip(d1.groups, d2.groups, strict=True):
        assert g1.levels == g2.levels
        assert g1.terms == g2.terms
        assert g1.blocks == g2.blocks
        assert g1.factor == g2.factor
        np.testing.assert_array_equal(g1.Z, g2.Z)
        np.testing.assert_array_equal(g1.codes, g2.codes)
        np.testing.assert_array_equal(g1.weights, g2.weights)
    assert built.priors == written.priors
    assert built.prior_sources == written.prior_sources
    assert free_rv_names(built) == free_rv_names(written)
    assert built.pymc_model.coords == written.pymc_model.coords
    assert built.pymc_model.named_vars_to_dims == written.pymc_model.named_vars_to_dims
    assert (built.family, built.link) == (written.family, written.link)
    assert built.parameterization == written.parameterization


def group_free_rvs(model: hm.Model, group: str) -> set[str]:
    """The free variables of one factor, by its (resolved) parameterisation."""
    if model.parameterization[group] == "centered":
        return {naming.deviations_name(group, 0, 1), naming.mean_offsets_name(group)}
    return {naming.offsets_name(group), naming.mean_offsets_name(group)}


def assert_group_dims(model: hm.Model) -> None:
    """``r_<group>`` has dims (group, group__term); the group coords are the level labels."""
    pymc_model = model.pymc_model
    for g in model.design.groups:
        dims = (naming.level_dim(g.name), naming.term_dim(g.name))
        assert pymc_model.named_vars_to_dims[naming.effects_name(g.name)] == dims
        assert pymc_model.coords[dims[0]] == g.levels
        assert pymc_model.coords[dims[1]] == g.terms


def test_varying_intercept(df):
    built = hm.varying_intercept(df, response="y", predictors=["x"], group="g")
    assert built.formula == "y ~ x + (1 | g)"
    written = hm.Model("y ~ x + (1 | g)", df)
    assert_same_model(built, written)
    assert_group_dims(built)
    expected = {"Intercept_centered", "b", "sd_g", "sigma"} | group_free_rvs(built, "g")
    assert free_rv_names(built) == expected
    assert built.pymc_model.coords["g"] == tuple(f"g{i}" for i in range(6))


def test_varying_intercept_without_predictors(df):
    built = hm.varying_intercept(df, response="y", group="g")
    assert built.formula == "y ~ 1 + (1 | g)"
    assert_same_model(built, hm.Model("y ~ (1 | g)", df))


def test_varying_intercept_accepts_a_single_predictor_string(df):
    built = hm.varying_intercept(df, response="y", predictors="x", group="g")
    assert built.formula == "y ~ x + (1 | g)"


def test_varying_slopes_correlated(df):
    built = hm.varying_slopes(df, response="y", predictors=["x"], group="g", slopes=["x"])
    assert built.formula == "y ~ x + (1 + x | g)"
    assert_same_model(built, hm.Model("y ~ x + (1 + x | g)", df))
    # lme4's shorthand (x | g) is the same model.
    assert_same_model(built, hm.Model("y ~ x + (x | g)", df))
    assert_group_dims(built)
    # x varies by g, so the sampled intercept and slope absorb the level means: one joint
    # coefficients_centered (Intercept and b are derived)
    expected = {"coefficients_centered", "chol_g", "sigma"} | group_free_rvs(built, "g")
    assert free_rv_names(built) == expected
    dims = built.pymc_model.named_vars_to_dims
    assert dims["cor_g"] == ("g__term", "g__term_bis")
    assert built.pymc_model.coords["g__term"] == ("Intercept", "x")


def test_varying_slopes_uncorrelated(df):
    built = hm.varying_slopes(
        df, response="y", predictors=["x"], group="g", slopes=["x"], correlated=False
    )
    assert built.formula == "y ~ x + (1 + x || g)"
    assert_same_model(built, hm.Model("y ~ x + (1 + x || g)", df))
    assert_group_dims(built)
    expected = {"coefficients_centered", "sd_g", "sigma"} | group_free_rvs(built, "g")
    assert free_rv_names(built) == expected
    assert built.pymc_model.named_vars_to_dims["sd_g"] == ("g__term",)
    assert "g__term_bis" not in built.pymc_model.coords


def test_varying_slope_missing_from_predictors_is_added_to_the_fixed_part(df):
    built = hm.varying_slopes(df, response="y", predictors=["z"], group="g", slopes=["x"])
    assert built.formula == "y ~ z + x + (1 + x | g)"
    assert built.design.fixed.names == ("Intercept", "z", "x")
    assert_same_model(built, hm.Model("y ~ z + x + (1 + x | g)", df))


def test_cross_classified(df):
    built = hm.cross_classified(df, response="y", predictors=["x"], groups=["c1", "c2"])
    assert built.formula == "y ~ x + (1 | c1) + (1 | c2)"
    assert_same_model(built, hm.Model("y ~ x + (1|c1) + (1|c2)", df))
    assert_group_dims(built)
    assert built.pymc_model.coords["c1"] == ("p", "q", "r", "s")
    assert built.pymc_model.coords["c2"] == ("u", "v", "w", "x", "y", "z")
    assert {"sd_c1", "sd_c2"} | group_free_rvs(built, "c1") <= free_rv_names(built)


def test_nested(df):
    built = hm.nested(df, response="y", predictors=["x"], groups=["a", "b"])
    assert built.formula == "y ~ x + (1 | a) + (1 | a:b)"
    written = hm.Model("y ~ x + (1 | a/b)", df)
    assert written.formula == built.formula
    assert_same_model(built, written)
    assert_group_dims(built)
    assert built.pymc_model.coords["a"] == ("A1", "A2", "A3")
    assert built.pymc_model.coords["a:b"] == (
        "A1:b1",
        "A1:b2",
        "A2:b1",
        "A2:b2",
        "A3:b1",
        "A3:b2",
    )
    expected = {"sd_a", "sd_a:b"} | group_free_rvs(built, "a") | group_free_rvs(built, "a:b")
    assert expected <= free_rv_names(built)


def test_multiple_membership_with_weights(df):
    built = hm.multiple_membership(
        df, response="y", predictors=["x"], members=["m1", "m2"], weights=["w1", "w2"]
    )
    assert built.formula == "y ~ x + (1 | mm(m1, m2, weights=[w1, w2]))"
    assert_same_model(built, hm.Model("y ~ x + (1 | mm(m1, m2, weights=[w1, w2]))", df))
    assert_group_dims(built)
    g = built.design.groups[0]
    assert g.name == "mm(m1, m2)"
    assert naming.level_dim(g.name) == "mm(m1+m2)"
    assert g.levels == ("t1", "t2", "t3", "t4", "t5")
    np.testing.assert_array_equal(g.weights, df[["w1", "w2"]].to_numpy())


def test_multiple_membership_scaled(df):
    built = hm.multiple_membership(
        df, response="y", members=["m1", "m2"], weights=["w1", "w2"], scale=True
    )
    assert built.formula == "y ~ 1 + (1 | mm(m1, m2, weights=[w1, w2], scale=True))"
    assert_same_model(built, hm.Model(built.formula, df))
    np.testing.assert_allclose(built.design.groups[0].weights.sum(axis=1), np.ones(N))


def test_multiple_membership_without_weights(df):
    built = hm.multiple_membership(df, response="y", members=["m1", "m2"])
    assert built.formula == "y ~ 1 + (1 | mm(m1, m2))"
    assert_same_model(built, hm.Model("y ~ 1 + (1 | mm(m1, m2))", df))
    np.testing.assert_array_equal(built.design.groups[0].weights, np.full((N, 2), 0.5))


def test_builder_options_reach_the_model(df):
    prior = hm.Prior("HalfNormal", sigma=2)
    built = hm.varying_intercept(
        df, response="y", predictors=["x"], group="g", family="student_t", priors={"sd": prior}
    )
    written = hm.Model("y ~ x + (1 | g)", df, family="student_t", priors={"sd": prior})
    assert_same_model(built, written)
    assert built.priors["sd|g|Intercept"] == prior
    assert "nu" in free_rv_names(built)


def test_builder_quotes_column_names_that_are_not_identifiers(df):
    spaced = df.rename(columns={"g": "school id"})
    built = hm.varying_intercept(spaced, response="y", predictors=["x"], group="school id")
    assert built.formula == "y ~ x + (1 | `school id`)"
    assert built.pymc_model.named_vars_to_dims["r_school id"] == ("school id", "school id__term")


def test_builders_leave_the_frame_unchanged(df):
    before = copy.deepcopy(df)
    hm.nested(df, response="y", predictors=["x"], groups=["a", "b"])
    hm.multiple_membership(df, response="y", members=["m1", "m2"], weights=["w1", "w2"])
    pd.testing.assert_frame_equal(df, before, check_exact=True)


@pytest.mark.parametrize(
    ("builder", "options", "pattern"),
    [
        (hm.cross_classified, {"groups": ["c1"]}, r"at least two groups, got \['c1'\]"),
        (hm.nested, {"groups": "a"}, r"at least two groups \(outer to inner\), got \['a'\]"),
        (hm.varying_slopes, {"group": "g", "slopes": []}, "slopes must name at least one column"),
        (hm.varying_intercept, {"group": "g", "predictors": [1]}, r"predictors must hold .*\(1,\)"),
        (hm.varying_intercept, {"group": "g", "predictors": 3}, "predictors must be a column name"),
        (hm.multiple_membership, {"members": []}, "members must name at least one column"),
    ],
)
def test_builder_argument_errors(df, builder, options, pattern):
    with pytest.raises(SpecError, match=pattern):
        builder(df, response="y", **options)


def test_builder_response_must_be_a_name(df):
    with pytest.raises(SpecError, match=r"response must be a column name, got \['y'\]"):
        hm.varying_intercept(df, response=["y"], group="g")


def test_varying_intercept_rejects_several_groups(df):
    with pytest.raises(SpecError, match="group"):
        hm.varying_intercept(df, response="y", group=["g", "c1"])


def test_varying_slopes_rejects_a_group_that_is_not_a_name(df):
    with pytest.raises(SpecError, match="group"):
        hm.varying_slopes(df, response="y", group=5, slopes=["x"])
