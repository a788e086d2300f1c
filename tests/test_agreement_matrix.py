"""The agreement matrix: every fixed effect and variance component against lme4.

Each case in ``tests/reference/agreement.py`` (lmer REML and glmer Laplace fits on 11
shipped data sets; reference numbers from ``tests/reference/lme4_reference.R``, R 4.2.2,
lme4 1.1.31) is fitted once with 4 chains x 1000 draws and a fixed seed. For every lme4
parameter, ``z = (posterior mean - lme4 estimate) / posterior SD``.

Tolerances
----------
Fixed effects: ``|z| < 0.35``. Under the weakly informative default priors the
fixed-effect posterior is nearly symmetric and centred on the GLS (Laplace) estimate, so
the difference is only Monte-Carlo error plus a small prior pull.

Variance components (SDs, correlations, residual SD): ``|z| < 1.0``. REML (Laplace)
gives the mode of a flat-prior marginal posterior; for an SD estimated from a handful of
levels (6 samples in Penicillin, 10 batches in Pastes, 18 players in bball1970) the
posterior is right-skewed and its mean sits above the mode by a sizeable part of a
posterior SD. A 1-SD band is tight enough to catch a wrong component (wrong group, wrong
term, variance for SD) and loose enough for that skew.

Every fit must also converge: R-hat below 1.01, bulk ESS above 400 and no divergences,
over all parameters including the group effects. ``docs/validation.md`` shows the numbers
(regenerate with ``python tests/reference/agreement_table.py``).
"""

from __future__ import annotations

import agreement
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=list(agreement.CASES))
def case_fit(request, reference_fits):
    case = request.param
    fit = reference_fits[case]
    return case, fit, agreement.compare(case, fit)


def _failures(comparison, kind_is_fixed: bool) -> dict[str, float]:
    rows = comparison[(comparison["kind"] == "fixef") == kind_is_fixed]
    assert len(rows), "nothing to compare"
    return {r.parameter: round(r.z, 3) for r in rows.itertuples() if not r.passed}


def test_fixed_effects_match_lme4(case_fit):
    _, _, comparison = case_fit
    assert _failures(comparison, kind_is_fixed=True) == {}


def test_variance_components_match_lme4(case_fit):
    case, _, comparison = case_fit
    assert _failures(comparison, kind_is_fixed=False) == {}
    # glmer binomial fits have no residual SD; every lmer fit has exactly one
    n_sigma = (comparison["kind"] == "sigma").sum()
    assert n_sigma == (agreement.CASES[case].family == "gaussian")


def test_reference_fit_converged(case_fit):
    _, fit, _ = case_fit
    report = fit.diagnostics()
    assert report.max_rhat < agreement.RHAT_MAX, report
    assert report.min_ess_bulk > agreement.ESS_BULK_MIN, report
    assert report.divergences == 0, report


def test_matrix_covers_every_reml_and_laplace_case_in_the_reference_file():
    cases = set(pd.read_csv(agreement.REFERENCE_CSV)["case"])
    # ML duplicates check model.optimize(criterion="ml") in test_optimize.py; "alcohol" is
    # the ML fit of alcohol_reml (Singer & Willett fit that model by ML).
    ml_fits = {c for c in cases if c.endswith("_ml")} | {"alcohol"}
    assert cases - ml_fits == set(agreement.CASES)
    assert len({spec.dataset for spec in agreement.CASES.values()}) >= 11
