"""REML and ML point estimates against lme4 (``tests/reference/lme4_reference.csv``).

Every fixed effect, SD, correlation, residual SD, log-likelihood, AIC and BIC must agree
with lme4 to 3 significant figures (relative error below 5e-4).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import SpecError

REFERENCE = pd.read_csv(Path(__file__).parent / "reference" / "lme4_reference.csv")
REFERENCE = REFERENCE.fillna({"group": "", "term": ""})
REL_TOL = 5e-4
SLEEP = ("sleepstudy", "Reaction ~ Days + (Days | Subject)")
OXBOYS = ("Oxboys", "height ~ age + (age | Subject)")
HSB = ("Hsb82", "mAch ~ meanses + cses + (1 + cses | school)")
CASES = {
    "sleepstudy": (*SLEEP, "reml"),
    "sleepstudy_ml": (*SLEEP, "ml"),
    "oxboys": (*OXBOYS, "reml"),
    "oxboys_ml": (*OXBOYS, "ml"),
    "hsb82": (*HSB, "reml"),
    "hsb82_ml": (*HSB, "ml"),
    "hsb82_uncorrelated": ("Hsb82", "mAch ~ meanses + cses + (1 + cses || school)", "reml"),
    "penicillin": ("Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", "reml"),
    "pastes": ("Pastes", "strength ~ 1 + (1 | batch/cask)", "reml"),
    "gcse": ("gcse", "gcse ~ lrt + (1 | school)", "reml"),
    "radon": ("radon", "log_radon ~ floor + (1 | county)", "reml"),
    "alcohol": ("alcohol1_pp", "alcuse ~ age_14*coa + (age_14 | id)", "ml"),
}


def _value(estimate, row) -> float:
    vc = estimate.variance_components.set_index(["group", "term"])
    if row["kind"] == "fixef":
        return estimate.fixed_effects.loc[row["term"], "estimate"]
    if row["kind"] in ("sd", "cor"):
        return vc.loc[(row["group"], row["term"]), "estimate"]
    if row["kind"] == "sigma":
        return vc.loc[("Residual", ""), "estimate"]
    return {"loglik": estimate.loglik, "aic": estimate.aic, "bic": estimate.bic}[row["kind"]]


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_lme4_to_three_significant_figures(case):
    dataset, formula, criterion = CASES[case]
    estimate = hm.Model(formula, hm.datasets.load(dataset)).optimize(criterion=criterion)
    assert estimate.converged
    ref = REFERENCE[(REFERENCE["case"] == case)]
    ref = ref[ref["kind"].isin(["fixef", "sd", "cor", "sigma", "loglik", "aic", "bic"])]
    errors = {}
    for _, row in ref.iterrows():
        value = _value(estimate, row)
        errors[(row["kind"], row["group"], row["term"])] = abs(value - row["estimate"]) / abs(
            row["estimate"]
        )
    assert max(errors.values()) < REL_TOL, errors


def test_standard_errors_match_lme4():
    estimate = hm.Model(SLEEP[1], hm.datasets.load("sleepstudy")).optimize()
    ref = REFERENCE[(REFERENCE["case"] == "sleepstudy") & (REFERENCE["kind"] == "fixef")]
    for _, row in ref.iterrows():
        se = estimate.fixed_effects.loc[row["term"], "std_error"]
        assert abs(se - row["std_error"]) / row["std_error"] < REL_TOL


def test_printout_reads_like_lme4():
    text = str(hm.Model(SLEEP[1], hm.datasets.load("sleepstudy")).optimize())
    assert "Linear mixed model fit by REML" in text and "REML crit." in text
    assert "1755.63" in text  # AIC, as lme4 prints it


def test_bad_criterion_and_family_are_clear_errors():
    model = hm.Model(SLEEP[1], hm.datasets.load("sleepstudy"))
    with pytest.raises(SpecError, match=r"Unknown criterion 'REML'.*\['reml', 'ml'\]"):
        model.optimize(criterion="REML")
    cbpp = hm.datasets.load("cbpp")
    binomial = hm.Model("incidence | trials(size) ~ period + (1 | herd)", cbpp, family="binomial")
    with pytest.raises(SpecError, match=r"gaussian models only.*'binomial'"):
        binomial.optimize()


@pytest.mark.slow
def test_map_is_close_to_ml_when_priors_are_weak():
    """radon (919 rows, 85 counties): the default priors are weak, so the mode of the
    collapsed posterior sits within 0.1 standard errors of ML for the fixed effects and
    within 3% for the SDs; the Laplace standard errors are within 5% of ML's."""
    model = hm.Model("log_radon ~ floor + (1 | county)", hm.datasets.load("radon"))
    map_est, ml = model.optimize(criterion="map"), model.optimize(criterion="ml")
    assert map_est.criterion == "map" and map_est.converged
    fixed = (map_est.fixed_effects["estimate"] - ml.fixed_effects["estimate"]).abs()
    assert (fixed / ml.fixed_effects["std_error"]).max() < 0.1
    se_ratio = map_est.fixed_effects["std_error"] / ml.fixed_effects["std_error"]
    assert (se_ratio - 1).abs().max() < 0.05
    sds = map_est.variance_components["estimate"] / ml.variance_components["estimate"]
    assert (sds - 1).abs().max() < 0.03
    assert abs(map_est.loglik - ml.loglik) < 0.5


def test_map_refuses_several_factors():
    pen = hm.Model("diameter ~ 1 + (1 | plate) + (1 | sample)", hm.datasets.load("Penicillin"))
    with pytest.raises(SpecError, match=r"criterion='map'.*'plate', 'sample'"):
        pen.optimize(criterion="map")
