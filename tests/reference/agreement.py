"""The agreement matrix: hiermodels posteriors against lme4's REML and glmer estimates.

One place defines the reference cases, the sampler settings and the comparison, so the
test (``tests/test_agreement_matrix.py``) and the table in ``docs/validation.md``
(written by ``agreement_table.py``) check exactly the same numbers.

For every fixed effect and every variance component (group SD, correlation, residual SD)
of a case, ``z = (posterior mean - lme4 estimate) / posterior SD``. The tolerances and
their reasons are in ``docs/validation.md`` and next to the constants below.

Examples
--------
>>> sorted(CASES)[:3]
['alcohol_peer', 'alcohol_reml', 'bball1970']
>>> CASES["cbpp"].lme4_call
'glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial)'
>>> len(reference_rows("sleepstudy"))
6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

import hiermodels as hm

REFERENCE_CSV = Path(__file__).resolve().parent / "lme4_reference.csv"

# Sampler settings shared by every case (the seed is the suite's usual one).
SAMPLING = {
    "draws": 1000,
    "tune": 1000,
    "chains": 4,
    "cores": 2,
    "random_seed": 20261122,
    "progressbar": False,
}

# Fixed effects: posterior mean within 0.35 posterior SD of lme4. Under the weakly
# informative default priors the fixed-effect posterior is close to symmetric and
# centred on the GLS (or Laplace) estimate; the difference is Monte-Carlo error (about
# 0.02-0.03 SD with ~1500-4000 effective draws) plus a small prior pull.
FIXED_TOL_SD = 0.35
# Variance components: within 1.0 posterior SD. The REML (or Laplace) estimate is the
# mode of a right-skewed marginal posterior; with few levels the mean sits above the mode
# by a sizeable part of a posterior SD.
COMPONENT_TOL_SD = 1.0
# Convergence of every reference fit (all parameters, group effects included; and no
# divergent transitions).
RHAT_MAX = 1.01
ESS_BULK_MIN = 400

Kind = Literal["fixef", "sd", "cor", "sigma"]


@dataclass(frozen=True)
class AgreementCase:
    """One lme4 reference fit and the hiermodels model that should agree with it.

    ``case`` is the name used in ``lme4_reference.csv``; ``lme4_call`` is the call in
    ``lme4_reference.R`` (without ``data =``), shown in the documentation.
    """

    dataset: str
    formula: str
    lme4_call: str
    family: Literal["gaussian", "binomial"] = "gaussian"
    sampler_options: dict = field(default_factory=dict)

    @property
    def lme4_function(self) -> str:
        return self.lme4_call.split("(", 1)[0]


CASES: dict[str, AgreementCase] = {
    "sleepstudy": AgreementCase(
        "sleepstudy",
        "Reaction ~ Days + (Days | Subject)",
        "lmer(Reaction ~ Days + (Days | Subject))",
    ),
    "oxboys": AgreementCase(
        "Oxboys", "height ~ age + (age | Subject)", "lmer(height ~ age + (age | Subject))"
    ),
    "penicillin": AgreementCase(
        "Penicillin",
        "diameter ~ 1 + (1 | plate) + (1 | sample)",
        "lmer(diameter ~ 1 + (1 | plate) + (1 | sample))",
    ),
    "pastes": AgreementCase(
        "Pastes",
        "strength ~ 1 + (1 | batch/cask)",
        "lmer(strength ~ 1 + (1 | batch/cask))",
        sampler_options={"target_accept": 0.95},
    ),
    "hsb82": AgreementCase(
        "Hsb82",
        "mAch ~ meanses + cses + (1 + cses | school)",
        "lmer(mAch ~ meanses + cses + (1 + cses | school))",
    ),
    "hsb82_uncorrelated": AgreementCase(
        "Hsb82",
        "mAch ~ meanses + cses + (1 + cses || school)",
        "lmer(mAch ~ meanses + cses + (1 + cses || school))",
        # max R-hat 1.0073 with 1000 draws (limit 1.01): twice the draws for a margin
        # that another CPU's draws cannot flip.
        sampler_options={"draws": 2000},
    ),
    "gcse": AgreementCase("gcse", "gcse ~ lrt + (1 | school)", "lmer(gcse ~ lrt + (1 | school))"),
    "radon": AgreementCase(
        "radon", "log_radon ~ floor + (1 | county)", "lmer(log_radon ~ floor + (1 | county))"
    ),
    "alcohol_reml": AgreementCase(
        "alcohol1_pp",
        "alcuse ~ age_14*coa + (age_14 | id)",
        "lmer(alcuse ~ age_14 * coa + (age_14 | id))",
    ),
    "alcohol_peer": AgreementCase(
        "alcohol1_pp",
        "alcuse ~ coa + cpeer*age_14 + (age_14 | id)",
        "lmer(alcuse ~ coa + cpeer * age_14 + (age_14 | id))",
    ),
    "cbpp": AgreementCase(
        "cbpp",
        "incidence | trials(size) ~ period + (1 | herd)",
        "glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial)",
        family="binomial",
    ),
    "tumors": AgreementCase(
        "tumors",
        "y | trials(K) ~ 1 + (1 | experiment)",
        "glmer(cbind(y, K - y) ~ 1 + (1 | experiment), family = binomial)",
        family="binomial",
    ),
    "bball1970": AgreementCase(
        "bball1970",
        "Hits | trials(AB) ~ 1 + (1 | Player)",
        "glmer(cbind(Hits, AB - Hits) ~ 1 + (1 | Player), family = binomial)",
        family="binomial",
        # 1 divergence of 4,000 at the default 0.8 once the default priors moved in their
        # last bits (moments from exact sums): a margin that such a change cannot flip.
        sampler_options={"target_accept": 0.95},
    ),
    "bball1970_remaining": AgreementCase(
        "bball1970",
        "RemainingHits | trials(RemainingAB) ~ 1 + (1 | Player)",
        "glmer(cbind(RemainingHits, RemainingAB - RemainingHits) ~ 1 + (1 | Player), "
        "family = binomial)",
        family="binomial",
    ),
}


def fit_case(case: str) -> hm.Fit:
    """Fit one case with the shared sampler settings (deterministic: fixed seed)."""
    spec = CASES[case]
    model = hm.Model(spec.formula, hm.datasets.load(spec.dataset), family=spec.family)
    return model.fit(**{**SAMPLING, **spec.sampler_options})


def reference_rows(case: str) -> pd.DataFrame:
    """lme4's fixed effects and variance components of one case (kinds fixef, sd, cor, sigma).

    Factor-level names are turned from lme4/formulaic's ``period[T.2]`` into
    hiermodels' ``period[2]``.
    """
    ref = pd.read_csv(REFERENCE_CSV).fillna({"group": "", "term": ""})
    ref = ref[(ref["case"] == case) & ref["kind"].isin(["fixef", "sd", "cor", "sigma"])]
    if ref.empty:
        raise KeyError(f"no lme4 reference rows for case {case!r} in {REFERENCE_CSV.name}")
    ref = ref.assign(term=ref["term"].str.replace("[T.", "[", regex=False))
    return ref[["case", "kind", "group", "term", "estimate"]].reset_index(drop=True)


def compare(case: str, fit: hm.Fit) -> pd.DataFrame:
    """One row per lme4 parameter: estimate, posterior mean and SD, z and tolerance.

    Raises ``AssertionError`` if the fit and lme4 do not have the same parameters, so a
    missing or extra component can never pass unnoticed.
    """
    ref = reference_rows(case)
    fixed = fit.fixed_effects()
    components = fit.variance_components().set_index(["group", "term"])
    fixed_terms = ref.loc[ref["kind"] == "fixef", "term"]
    assert sorted(fixed.index) == sorted(fixed_terms), (list(fixed.index), list(fixed_terms))
    component_keys = [
        ("Residual", "") if kind == "sigma" else (group, term)
        for kind, group, term in ref.loc[ref["kind"] != "fixef", ["kind", "group", "term"]].values
    ]
    assert sorted(components.index) == sorted(component_keys), (
        list(components.index),
        component_keys,
    )
    rows = []
    for row in ref.itertuples(index=False):
        if row.kind == "fixef":
            post = fixed.loc[row.term]
            parameter, tolerance = row.term, FIXED_TOL_SD
        else:
            key = ("Residual", "") if row.kind == "sigma" else (row.group, row.term)
            post = components.loc[key]
            parameter = "sigma" if row.kind == "sigma" else f"{row.kind}({row.group}: {row.term})"
            tolerance = COMPONENT_TOL_SD
        z = (post["mean"] - row.estimate) / post["sd"]
        rows.append(
            {
                "case": case,
                "kind": row.kind,
                "parameter": parameter,
                "lme4": row.estimate,
                "posterior_mean": post["mean"],
                "posterior_sd": post["sd"],
                "z": z,
                "tolerance": tolerance,
                "passed": abs(z) < tolerance,
            }
        )
    return pd.DataFrame(rows)


def matrix_row(case: str, comparison: pd.DataFrame, fit: hm.Fit) -> dict:
    """The summary line of one case in the agreement matrix."""
    spec = CASES[case]
    report = fit.diagnostics()
    is_fixed = comparison["kind"] == "fixef"
    return {
        "case": case,
        "dataset": spec.dataset,
        "formula": spec.formula,
        "lme4": spec.lme4_function,
        "n_fixed": int(is_fixed.sum()),
        "n_components": int((~is_fixed).sum()),
        "max_abs_z_fixed": float(comparison.loc[is_fixed, "z"].abs().max()),
        "max_abs_z_components": float(comparison.loc[~is_fixed, "z"].abs().max()),
        "max_rhat": report.max_rhat,
        "min_ess_bulk": report.min_ess_bulk,
        "divergences": report.divergences,
        "passed": bool(
            comparison["passed"].all()
            and report.max_rhat < RHAT_MAX
            and report.min_ess_bulk > ESS_BULK_MIN
            and report.divergences == 0
        ),
    }
