"""Priors: the ``Prior`` object, key resolution, the default scale rule, and the PyMC graph.

Default rule (see :mod:`hiermodels.spec.priors`): with ``s_y = sd(y)`` (population SD,
``np.std``) for identity-link families and 1 otherwise, ``Intercept ~ Normal(link(mean y),
2.5 s_y)``, slope ``x ~ Normal(0, 2.5 s_y / s_x)``, group SD ``~ HalfNormal(s_y / s_z)``,
``cor ~ LKJ(2)``, ``sigma ~ Exponential(1 / s_y)`` and ``nu, alpha ~ Gamma(2, 0.1)``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import PriorError
from hiermodels.spec.priors import Prior, PriorSlot, resolve_priors, valid_prior_keys


def make_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 16
    return pd.DataFrame(
        {
            "y": 50.0 + 10.0 * rng.normal(size=n),
            "x": 3.0 * rng.normal(size=n),
            "z": 0.5 * rng.normal(size=n),
            "sex": ["F", "M", "M", "F"] * 4,
            "g": list("aaaabbbbccccdddd"),
            "yes": [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0],
        }
    )


def sd_slots() -> list[PriorSlot]:
    return [
        PriorSlot("sd|g|Intercept", "sd", ("sd|g|Intercept", "sd|g", "sd"), "g", "Intercept"),
        PriorSlot("sd|g|x", "sd", ("sd|g|x", "sd|g", "sd"), "g", "x"),
        PriorSlot("sd|h|Intercept", "sd", ("sd|h|Intercept", "sd|h", "sd"), "h", "Intercept"),
        PriorSlot("x", "b", ("x", "b"), term="x"),
        PriorSlot("z", "b", ("z", "b"), term="z"),
        PriorSlot("cor|g", "cor", ("cor|g", "cor"), "g"),
    ]


def defaults_for(slots: list[PriorSlot]) -> dict[str, Prior]:
    return {s.name: Prior("Default", tag=i) for i, s in enumerate(slots)}


# --- the Prior object ----------------------------------------------------------------


def test_prior_repr_str_and_params():
    prior = Prior("Normal", sigma=2.5, mu=0)
    assert repr(prior) == "Prior('Normal', mu=0, sigma=2.5)"
    assert str(prior) == "Normal(mu=0, sigma=2.5)"
    assert prior.params == {"mu": 0, "sigma": 2.5}
    assert prior.dist == "Normal"


def test_prior_str_rounds_floats_to_four_significant_digits():
    assert str(Prior("HalfNormal", sigma=1 / 3)) == "HalfNormal(sigma=0.3333)"


def test_prior_is_a_value_object():
    assert Prior("Normal", mu=0, sigma=1) == Prior("Normal", sigma=1, mu=0)
    assert Prior("Normal", mu=0, sigma=1) != Prior("Normal", mu=0, sigma=2)
    assert len({Prior("LKJ", eta=2), Prior("LKJ", eta=2)}) == 1
    with pytest.raises(AttributeError):
        Prior("Normal").dist = "StudentT"


def test_hm_prior_is_the_spec_prior():
    assert hm.Prior is Prior


def test_params_is_a_copy():
    prior = Prior("HalfNormal", sigma=2)
    prior.params["sigma"] = 99
    assert prior.params == {"sigma": 2}


def test_invalid_parameter_fails_when_the_prior_is_made():
    with pytest.raises(
        PriorError,
        match=re.escape(
            "Invalid prior Normal(mu=0, sigma=-1): sigma must be a finite number > 0, got sigma=-1."
        ),
    ):
        hm.Prior("Normal", mu=0, sigma=-1)


# --- resolution ----------------------------------------------------------------------


def test_valid_keys_are_the_sorted_union():
    assert valid_prior_keys(sd_slots()) == [
        "b",
        "cor",
        "cor|g",
        "sd",
        "sd|g",
        "sd|g|Intercept",
        "sd|g|x",
        "sd|h",
        "sd|h|Intercept",
        "x",
        "z",
    ]


def test_most_specific_sd_key_wins():
    slots = sd_slots()
    broad, group = Prior("HalfNormal", sigma=1), Prior("HalfNormal", sigma=2)
    term = Prior("HalfNormal", sigma=3)
    priors, sources = resolve_priors(
        slots, {"sd": broad, "sd|g": group, "sd|g|x": term}, defaults_for(slots)
    )
    assert priors["sd|g|x"] == term
    assert priors["sd|g|Intercept"] == group
    assert priors["sd|h|Intercept"] == broad
    assert sources["sd|g|x"] == "user (sd|g|x)"
    assert sources["sd|g|Intercept"] == "user (sd|g)"
    assert sources["sd|h|Intercept"] == "user (sd)"


def test_user_key_order_does_not_matter():
    slots = sd_slots()
    user = {"sd|g|x": Prior("HalfNormal", sigma=3), "sd": Prior("HalfNormal", sigma=1)}
    forward = resolve_priors(slots, user, defaults_for(slots))
    backward = resolve_priors(slots, dict(reversed(user.items())), defaults_for(slots))
    assert forward == backward


def test_term_name_wins_over_b():
    slots = sd_slots()
    everyone, only_x = Prior("Normal", mu=0, sigma=10), Prior("Normal", mu=1, sigma=0.5)
    priors, sources = resolve_priors(slots, {"b": everyone, "x": only_x}, defaults_for(slots))
    assert (priors["x"], sources["x"]) == (only_x, "user (x)")
    assert (priors["z"], sources["z"]) == (everyone, "user (b)")


def test_unset_slots_keep_their_default():
    slots = sd_slots()
    defaults = defaults_for(slots)
    priors, sources = resolve_priors(slots, {"z": Prior("Normal", sigma=1)}, defaults)
    assert priors["x"] == defaults["x"]
    assert sources["x"] == "default"
    assert set(sources) == {s.name for s in slots}


def test_number_for_cor_becomes_lkj_eta():
    slots = sd_slots()
    priors, sources = resolve_priors(slots, {"cor": 4}, defaults_for(slots))
    assert priors["cor|g"] == Prior("LKJ", eta=4.0)
    assert isinstance(priors["cor|g"].params["eta"], float)
    assert sources["cor|g"] == "user (cor)"


def test_number_for_a_non_cor_key_is_rejected():
    slots = sd_slots()
    with pytest.raises(PriorError, match=r"prior for 'sd' must be an hm\.Prior.*got 2"):
        resolve_priors(slots, {"sd": 2}, defaults_for(slots))


def test_resolve_does_not_modify_the_users_dict():
    slots = sd_slots()
    user = {"cor": 3}
    resolve_priors(slots, user, defaults_for(slots))
    assert user == {"cor": 3}


# --- on a model ----------------------------------------------------------------------


def test_prior_summary_marks_user_and_default_sources():
    model = hm.Model(
        "y ~ x + (1 + x | g)",
        make_frame(),
        priors={"sd|g": hm.Prior("HalfNormal", sigma=5), "cor": 3},
    )
    summary = model.prior_summary()
    assert list(summary.index) == ["Intercept", "x", "sd|g|Intercept", "sd|g|x", "cor|g", "sigma"]
    assert list(summary.columns) == ["kind", "group", "term", "prior", "source"]
    assert summary.loc["sd|g|x", "source"] == "user (sd|g)"
    assert summary.loc["sd|g|x", "prior"] == "HalfNormal(sigma=5)"
    assert summary.loc["cor|g", "source"] == "user (cor)"
    assert summary.loc["cor|g", "prior"] == "LKJ(eta=3)"
    assert (summary.loc[["Intercept", "x", "sigma"], "source"] == "default").all()
    assert summary.loc["sd|g|x", "kind"] == "sd"
    assert (summary.loc["sd|g|x", "group"], summary.loc["sd|g|x", "term"]) == ("g", "x")


def test_model_spec_records_the_user_priors():
    prior = hm.Prior("HalfNormal", sigma=3)
    model = hm.Model("y ~ x", make_frame(), priors={"sigma": prior})
    assert model.spec.prior_dict == {"sigma": prior}
    assert model.prior_sources == {"Intercept": "default", "x": "default", "sigma": "user (sigma)"}


def rv_op_name(model: hm.Model, name: str) -> str:
    return type(model.pymc_model[name].owner.op).__name__


def test_user_prior_changes_the_pymc_graph():
    df = make_frame()
    default = hm.Model("y ~ x + (1 | g)", df)
    custom = hm.Model("y ~ x + (1 | g)", df, priors={"sigma": hm.Prior("HalfNormal", sigma=3)})
    assert rv_op_name(default, "sigma") == "ExponentialRV"
    assert rv_op_name(custom, "sigma") == "HalfNormalRV"
    sigma_param = custom.pymc_model["sigma"].owner.inputs[-1]
    # prior parameters are data containers (hiermodels.backend.priors.prior_value)
    assert sigma_param.name == "data_prior_sigma_sigma"
    assert float(sigma_param.get_value()) == 3.0


def test_user_prior_on_group_sd_changes_the_pymc_graph():
    model = hm.Model("y ~ x + (1 | g)", make_frame(), priors={"sd": hm.Prior("HalfCauchy", beta=2)})
    assert rv_op_name(model, "sd_g") == "HalfCauchyRV"


def test_user_prior_on_one_slope_splits_the_slope_vector():
    model = hm.Model(
        "y ~ x + z", make_frame(), priors={"x": hm.Prior("StudentT", nu=3, mu=0, sigma=1)}
    )
    free = {v.name for v in model.pymc_model.free_RVs}
    assert {"b[x]", "b[z]"} <= free
    assert rv_op_name(model, "b[x]") == "StudentTRV"
    assert rv_op_name(model, "b[z]") == "NormalRV"


# --- the default scale rule ----------------------------------------------------------


def test_default_priors_gaussian_scale_rule():
    df = make_frame()
    model = hm.Model("y ~ x + sex + (1 + z | g)", df)
    s_y, s_x, s_z = np.std(df["y"]), np.std(df["x"]), np.std(df["z"])
    s_sex = np.std((df["sex"] == "M").astype(float))
    p = model.priors
    assert p["Intercept"].dist == "Normal"
    assert p["Intercept"].params == pytest.approx({"mu": np.mean(df["y"]), "sigma": 2.5 * s_y})
    assert p["x"].dist == "Normal"
    assert p["x"].params == pytest.approx({"mu": 0.0, "sigma": 2.5 * s_y / s_x})
    assert p["sex[M]"].params == pytest.approx({"mu": 0.0, "sigma": 2.5 * s_y / s_sex})
    assert p["sd|g|Intercept"].dist == "HalfNormal"
    assert p["sd|g|Intercept"].params == pytest.approx({"sigma": s_y})
    assert p["sd|g|z"].dist == "HalfNormal"
    assert p["sd|g|z"].params == pytest.approx({"sigma": s_y / s_z})
    assert p["cor|g"] == Prior("LKJ", eta=2.0)
    assert p["sigma"].dist == "Exponential"
    assert p["sigma"].params == pytest.approx({"lam": 1.0 / s_y})


def test_default_priors_are_on_the_link_scale_for_bernoulli():
    df = make_frame()
    model = hm.Model("yes ~ x + (1 | g)", df, family="bernoulli")
    p_bar = df["yes"].mean()
    p = model.priors
    assert p["Intercept"].params == pytest.approx(
        {"mu": math.log(p_bar / (1 - p_bar)), "sigma": 2.5}
    )
    assert p["x"].params == pytest.approx({"mu": 0.0, "sigma": 2.5 / np.std(df["x"])})
    assert p["sd|g|Intercept"].params == pytest.approx({"sigma": 1.0})
    assert set(p) == {"Intercept", "x", "sd|g|Intercept"}


def test_default_priors_for_family_parameters():
    df = make_frame()
    student = hm.Model("y ~ x", df, family="student_t")
    assert student.priors["nu"] == Prior("Gamma", alpha=2.0, beta=0.1)
    assert student.priors["sigma"].params == pytest.approx({"lam": 1 / np.std(df["y"])})
    df["count"] = np.arange(16) % 5
    negbin = hm.Model("count ~ x", df, family="negative_binomial")
    assert negbin.priors["alpha"] == Prior("Gamma", alpha=2.0, beta=0.1)
    assert negbin.priors["Intercept"].params == pytest.approx(
        {"mu": math.log(df["count"].mean()), "sigma": 2.5}
    )


def test_default_priors_do_not_depend_on_row_order():
    df = make_frame()
    shuffled = df.sample(frac=1.0, random_state=3)
    a = hm.Model("y ~ x + (1 + z | g)", df).priors
    b = hm.Model("y ~ x + (1 + z | g)", shuffled).priors
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dist == b[key].dist
        assert a[key].params == pytest.approx(b[key].params)
