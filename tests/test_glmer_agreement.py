"""Agreement with lme4's glmer (Laplace) on binomial data sets.

Reference numbers: ``tests/reference/lme4_reference.R`` and ``lme4_reference.csv``.
Fixed effects lie within 0.5 posterior SD of glmer. The herd/experiment SD lies within
1.0 posterior SD: glmer's Laplace estimate is a mode of a right-skewed marginal posterior
(15 herds in cbpp), so the posterior mean sits above it by part of a posterior SD.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import hiermodels as hm

pytestmark = pytest.mark.slow

REFERENCE = pd.read_csv(Path(__file__).parent / "reference" / "lme4_reference.csv")
CASES = {
    "cbpp": ("cbpp", "incidence | trials(size) ~ period + (1 | herd)", "herd"),
    "tumors": ("tumors", "y | trials(K) ~ 1 + (1 | experiment)", "experiment"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case_fit(request):
    dataset, formula, group = CASES[request.param]
    model = hm.Model(formula, hm.datasets.load(dataset), family="binomial")
    fit = model.fit(draws=1000, tune=1000, chains=4, cores=2, random_seed=4, progressbar=False)
    return request.param, group, fit


def test_fixed_effects_and_group_sd_match_glmer(case_fit):
    case, group, fit = case_fit
    ref = REFERENCE[REFERENCE["case"] == case]
    fe = fit.fixed_effects()
    fixef = ref[ref["kind"] == "fixef"]
    # glmer names factor levels period[T.2]; hiermodels names them period[2]
    terms = [t.replace("[T.", "[") for t in fixef["term"]]
    assert sorted(fe.index) == sorted(terms)
    z = {t: (fe.loc[t, "mean"] - est) / fe.loc[t, "sd"] for t, est in zip(terms, fixef["estimate"])}
    assert all(abs(v) < 0.5 for v in z.values()), z
    sd_ref = ref[(ref["kind"] == "sd")].iloc[0]
    vc = fit.variance_components().set_index(["group", "term"]).loc[(group, "Intercept")]
    assert abs(vc["mean"] - sd_ref["estimate"]) < 1.0 * vc["sd"], (vc["mean"], sd_ref["estimate"])
    assert fit.diagnostics().max_rhat < 1.01
