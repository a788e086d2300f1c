"""REML and ML point estimates against lme4 (``tests/reference/lme4_reference.csv``).

Every fixed effect, SD, correlation, residual SD, log-likelihood, AIC and BIC must agree
with lme4 to 3 significant figures (relative error below 5e-4). Fits whose optimum lies on
or near the boundary of theta (an SD of 0, a correlation near 1) are checked against
``tests/reference/lme4_boundary.csv``: the criterion within 0.01 of lme4's, and no second
start may improve on a fit reported as converged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import hiermodels as hm
from hiermodels import optimize as hm_optimize
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


# ------------------------------------------------------------------ boundary optima
BOUNDARY = pd.read_csv(Path(__file__).parent / "reference" / "lme4_boundary.csv")
BOUNDARY = BOUNDARY.fillna({"group": "", "term": ""})
SCOTS = ("ScotsSec", "attain ~ verbal + sex + C(social) + (1 | primary) + (1 | second)")
SECTOR = ("Hsb82", "mAch ~ cses*sector + meanses + (cses | school)")
BOUNDARY_CASES = {
    "scotssec": (*SCOTS, "reml"),
    "scotssec_ml": (*SCOTS, "ml"),
    "hsb82_sector": (*SECTOR, "reml"),
    "hsb82_sector_ml": (*SECTOR, "ml"),
    "hsb82_correlated_ml": ("Hsb82", "mAch ~ cses + (1 + cses | school)", "ml"),
    "hsb82_cross_level_ml": (
        "Hsb82",
        "mAch ~ cses * (meanses + sector) + (1 + cses | school)",
        "ml",
    ),
}


def _boundary_reference(case: str, kind: str) -> pd.DataFrame:
    ref = BOUNDARY[(BOUNDARY["case"] == case) & (BOUNDARY["kind"] == kind)]
    # lme4's factor-level names ("sex[T.M]") in hiermodels' style ("sex[M]")
    return ref.assign(term=ref["term"].str.replace("[T.", "[", regex=False))


@pytest.fixture(scope="module")
def boundary_fits():
    return {
        case: hm.Model(formula, hm.datasets.load(dataset)).optimize(criterion=criterion)
        for case, (dataset, formula, criterion) in BOUNDARY_CASES.items()
    }


def _assert_matches_lme4(estimate, case: str) -> None:
    """The criterion and AIC within 0.01 of lme4's; SDs and correlations within 1e-3;
    fixed effects within 0.01 standard errors."""
    assert estimate.converged
    criterion = _boundary_reference(case, "reml_criterion")["estimate"].item()
    aic = _boundary_reference(case, "aic")["estimate"].item()
    assert abs(estimate.deviance - criterion) < 0.01, (estimate.deviance, criterion)
    assert abs(estimate.aic - aic) < 0.01, (estimate.aic, aic)
    vc = estimate.variance_components.set_index(["group", "term"])["estimate"]
    for _, row in _boundary_reference(case, "sd").iterrows():
        assert abs(vc[(row["group"], row["term"])] - row["estimate"]) < 1e-3, row.to_dict()
    for _, row in _boundary_reference(case, "cor").iterrows():
        assert abs(vc[(row["group"], row["term"])] - row["estimate"]) < 1e-3, row.to_dict()
    sigma = _boundary_reference(case, "sigma")["estimate"].item()
    assert abs(vc[("Residual", "")] - sigma) < 1e-3 * sigma
    fixed = estimate.fixed_effects
    for _, row in _boundary_reference(case, "fixef").iterrows():
        z = (fixed.loc[row["term"], "estimate"] - row["estimate"]) / row["std_error"]
        assert abs(z) < 0.01, (row["term"], z)


@pytest.mark.parametrize("case", sorted(BOUNDARY_CASES))
def test_boundary_optima_match_lme4(case, boundary_fits):
    _assert_matches_lme4(boundary_fits[case], case)


#: Notebook 11's sequence (the homework lesson on Hsb82), by REML as the notebook fits it.
SEQUENCE_CASES = {
    "hsb82_seq_intercepts": "mAch ~ cses + (1 | school)",
    "hsb82_seq_correlated": "mAch ~ cses + (1 + cses | school)",
    "hsb82_seq_slope_only": "mAch ~ cses + (0 + cses | school)",
    "hsb82_seq_uncorrelated": "mAch ~ cses + (1 + cses || school)",
    "hsb82_seq_cross_level": "mAch ~ cses * (meanses + sector) + (1 + cses | school)",
}


@pytest.mark.parametrize("case", sorted(SEQUENCE_CASES))
def test_notebook_11_sequence_matches_lme4(case):
    """Issue #19, point 4: every REML fit of notebook 11, among them the varying slope
    without a varying intercept, ``(0 + cses | school)``, matches lme4 (criterion and AIC
    within 0.01, SDs and correlation within 1e-3, fixed effects within 0.01 SE)."""
    hsb = hm.datasets.load("Hsb82")
    estimate = hm.Model(SEQUENCE_CASES[case], hsb).optimize(criterion="reml")
    _assert_matches_lme4(estimate, case)


@pytest.mark.parametrize("case", sorted(BOUNDARY_CASES))
def test_no_second_start_improves_on_a_converged_fit(case, boundary_fits):
    """Second starts by another method (bounded Nelder-Mead) from lme4's theta and from
    the reported theta with its zero diagonal entries moved to 1: neither goes lower."""
    dataset, formula, criterion = BOUNDARY_CASES[case]
    estimate = boundary_fits[case]
    assert estimate.converged
    profile = hm_optimize._Profile(hm.Model(formula, hm.datasets.load(dataset)).design, criterion)
    diagonal = np.array([lower == 0.0 for lower, _ in profile.bounds])
    lme4_theta = _boundary_reference(case, "theta")["estimate"].to_numpy()
    moved = np.where(diagonal & (estimate.theta < 1e-3), 1.0, estimate.theta)
    for start in (lme4_theta, moved):
        second = optimize.minimize(
            profile.deviance,
            start,
            method="Nelder-Mead",
            bounds=profile.bounds,
            options={"xatol": 1e-7, "fatol": 1e-9, "maxfev": 2000},
        )
        assert estimate.deviance <= second.fun + 1e-4, (start, second.x, second.fun)


def _sign_trap() -> pd.DataFrame:
    """20 groups x 3 rows with a varying slope (SD 1) and no varying intercept. From
    theta0 the search ends with the intercept SD at 0 and the slope's entries of theta
    on the side whose covariance sign the data do not favour (REML criterion 208.242;
    lme4 finds 208.055)."""
    rng = np.random.default_rng(44)
    g = np.repeat(np.arange(20), 3)
    x = rng.normal(size=g.size)
    y = 1 + 0.5 * x + rng.normal(0, 1.0, 20)[g] * x + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


def test_a_zero_sd_is_restarted_with_both_signs_of_its_covariances():
    """Nelder-Mead from four starts, two with each sign of the off-diagonal entry, gives
    the known minimum (a correlation of -1, 0.19 below the end with intercept SD 0)."""
    model = hm.Model("y ~ x + (x | g)", _sign_trap())
    estimate = model.optimize()
    assert estimate.converged
    profile = hm_optimize._Profile(model.design, "reml")
    ends = [
        optimize.minimize(
            profile.deviance,
            start,
            method="Nelder-Mead",
            bounds=profile.bounds,
            options={"xatol": 1e-7, "fatol": 1e-9, "maxfev": 2000},
        ).fun
        for start in ([1, 1, 1], [1, -1, 1], [0.1, 1, 0.1], [0.1, -1, 0.1])
    ]
    assert abs(estimate.deviance - min(ends)) < 1e-4, (estimate.deviance, ends)


def test_a_fit_no_restart_could_confirm_is_not_converged(monkeypatch):
    """With no restarts allowed, the first search's end on the boundary (Hsb82: the slope
    SD's diagonal entry at 0, a correlation of 1) is reported as not converged."""
    from hiermodels import theta_search

    monkeypatch.setattr(theta_search, "_MAX_RESTARTS", 0)
    dataset, formula, criterion = BOUNDARY_CASES["hsb82_sector"]
    estimate = hm.Model(formula, hm.datasets.load(dataset)).optimize(criterion=criterion)
    assert not estimate.converged
    assert "did not report convergence" in str(estimate)


def test_the_pilot_sees_the_nonzero_sd_of_scotssec_primary(monkeypatch):
    """The parameterisation pilot's data dominance agrees (within 0.02) with the one
    computed at lme4's REML theta: primary's SD (0.376) is not zero; second's is."""
    model = hm.Model(SCOTS[1], hm.datasets.load(SCOTS[0]))
    pilot = hm_optimize.data_dominance(model.design)
    lme4_theta = _boundary_reference("scotssec", "theta")["estimate"].to_numpy()
    monkeypatch.setattr(
        hm_optimize, "_minimize", lambda profile, pilot: optimize.OptimizeResult(x=lme4_theta)
    )
    at_lme4 = hm_optimize.data_dominance(model.design)
    assert at_lme4["primary"] > 0.3 and at_lme4["second"] == 0.0
    for factor in ("primary", "second"):
        assert abs(pilot[factor] - at_lme4[factor]) < 0.02, (pilot, at_lme4)


def _marginal_loglik_by_hand(data, response, x, group, fixed, vc):
    """The lesson's l(theta) = sum_j log dmvnorm(y_j; X_j b, X_j Psi X_j' + sigma^2 I),
    written out with SciPy from the printed estimates (x: the varying slope or None)."""
    from scipy import stats

    def value(kind, grp, term=""):
        row = vc[(vc["kind"] == kind) & (vc["group"] == grp) & (vc["term"] == term)]
        return float(row["estimate"].iloc[0])

    sigma = value("sd", "Residual")
    sd0 = value("sd", group, "Intercept")
    if x is None:
        psi = np.array([[sd0**2]])
    else:
        sd1, rho = value("sd", group, x), value("cor", group, f"Intercept:{x}")
        psi = np.array([[sd0**2, rho * sd0 * sd1], [rho * sd0 * sd1, sd1**2]])
    total = 0.0
    for _, rows in data.groupby(group, observed=True):
        design = np.column_stack([np.ones(len(rows))] + ([] if x is None else [rows[x]]))
        xs = [c for c in fixed.index if c != "Intercept"]
        full = np.column_stack([np.ones(len(rows))] + [rows[c] for c in xs])
        mean = full @ fixed.loc[["Intercept", *xs], "estimate"].to_numpy()
        cov = design @ psi @ design.T + sigma**2 * np.eye(len(rows))
        total += stats.multivariate_normal(mean, cov).logpdf(rows[response].to_numpy())
    return total


@pytest.mark.parametrize(
    ("dataset", "formula", "response", "x", "group"),
    [
        ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "Reaction", "Days", "Subject"),
        ("radon", "log_radon ~ floor + (1 | county)", "log_radon", None, "county"),
    ],
)
def test_ml_loglik_is_the_lessons_dmvnorm_sum(dataset, formula, response, x, group):
    """Issue #19, point 3: optimize('ml')'s log-likelihood equals the marginal likelihood
    of the pooling-and-likelihood lesson, computed by hand, to 1e-8."""
    data = hm.datasets.load(dataset)
    est = hm.Model(formula, data).optimize(criterion="ml")
    by_hand = _marginal_loglik_by_hand(
        data, response, x, group, est.fixed_effects, est.variance_components
    )
    assert abs(by_hand - est.loglik) < 1e-8, (by_hand, est.loglik)


def test_reml_matches_nlme_on_the_alcohol_lesson_model():
    """Issue #19: the alcohol lesson's lme(alcuse ~ coa + peer + time, random = ~ time | id)
    by REML, against nlme's numbers (tests/reference/nlme_alcohol_lesson.R)."""
    ref = pd.read_csv(Path(__file__).parent / "reference" / "nlme_alcohol_lesson.csv")
    ref = ref.set_index(["kind", "term"])
    alcohol = hm.datasets.load("alcohol1_pp").rename(columns={"age_14": "time"})
    est = hm.Model("alcuse ~ coa + peer + time + (time | id)", alcohol).optimize()
    for term, row in est.fixed_effects.iterrows():
        assert row["estimate"] == pytest.approx(ref.loc[("fixef", term), "estimate"], abs=1e-5)
        assert row["std_error"] == pytest.approx(ref.loc[("fixef", term), "std_error"], rel=1e-3)
    vc = est.variance_components.set_index(["kind", "group", "term"])["estimate"]
    assert vc[("sd", "id", "Intercept")] == pytest.approx(
        ref.loc[("sd", "Intercept"), "estimate"], abs=1e-5
    )
    assert vc[("sd", "id", "time")] == pytest.approx(ref.loc[("sd", "time"), "estimate"], abs=1e-5)
    assert vc[("sd", "Residual", "")] == pytest.approx(
        ref.loc[("sd", "Residual"), "estimate"], abs=1e-5
    )
    assert vc[("cor", "id", "Intercept:time")] == pytest.approx(
        ref.loc[("cor", "Intercept:time"), "estimate"], abs=1e-4
    )
    assert est.aic == pytest.approx(ref.loc[("fit", "AIC"), "estimate"], abs=0.01)
    assert est.loglik == pytest.approx(ref.loc[("fit", "logLik"), "estimate"], abs=0.005)
