"""REML and ML from the statistics of one factor equal lme4's penalised least squares."""

from __future__ import annotations

import numpy as np
import pytest

import hiermodels as hm
from hiermodels.optimize import _Profile
from hiermodels.statistics_profile import StatisticsProfile
from hiermodels.theta_search import minimize_theta

CASES = [
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)"),
    ("Oxboys", "height ~ age + (age | Subject)"),
    ("Penicillin", "diameter ~ 1 + (1 | plate)"),
]


@pytest.mark.parametrize("criterion", ["reml", "ml"])
@pytest.mark.parametrize(("dataset", "formula"), CASES)
def test_the_profile_from_statistics_equals_the_one_from_rows(dataset, formula, criterion):
    design = hm.Model(formula, hm.datasets.load(dataset)).design
    rows, stats = _Profile(design, criterion), StatisticsProfile(design, criterion)
    rng = np.random.default_rng(0)
    for theta in [rows.theta0, rows.theta0 + 0.3 * np.abs(rng.normal(size=len(rows.theta0)))]:
        assert stats.deviance(theta) == pytest.approx(rows.deviance(theta), rel=1e-10)
        np.testing.assert_allclose(stats.solve(theta)[0], rows.solve(theta)[0], rtol=1e-9)
        np.testing.assert_allclose(stats.solve(theta)[4], rows.solve(theta)[4], rtol=1e-9)
    best = minimize_theta(stats)
    assert best.fun == pytest.approx(minimize_theta(rows).fun, rel=1e-9)


def test_a_response_the_fixed_effects_fit_exactly_is_refused():
    import pandas as pd

    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, 3.0, 4.0], "g": list("aabb")})
    profile = StatisticsProfile(hm.Model("y ~ x + (1 | g)", df).design, "reml")
    assert "exactly" in profile.not_estimable()
