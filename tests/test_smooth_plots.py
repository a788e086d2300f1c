"""A smooth s(times) fitted to MASS's mcycle against mgcv, and its figure.

One fit (``accel ~ s(times)``, module scope) serves every check: the curve against
``mgcv::gam(accel ~ s(times, bs = "cr", k = 10), method = "REML")``
(``tests/reference/mgcv_mcycle.R``), predictions on new times, LOO, the summary and
:func:`hiermodels.smooth_plots.plot_smooth`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.errors import ConvergenceWarning, SpecError

REFERENCE = pd.read_csv(Path(__file__).parent / "reference" / "mgcv_mcycle.csv")
#: mgcv's effective degrees of freedom of the REML fit (printed by mgcv_mcycle.R), plus
#: one for sigma: what PSIS-LOO's p_loo estimates.
MGCV_EDF = 9.444


@pytest.fixture(scope="module")
def fit() -> hm.Fit:
    data = hm.datasets.load("mcycle")
    model = hm.Model("accel ~ s(times)", data)
    with warnings.catch_warnings():
        # Checked in the test below with a margin: R-hat 1.01 can tip on another CPU.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(draws=1000, tune=1000, chains=2, random_seed=11, progressbar=False)


@pytest.fixture(scope="module")
def curve(fit) -> np.ndarray:
    """Posterior draws of the mean at mgcv's 50 times: (draws, 50)."""
    pred = fit.predict(REFERENCE[["times"]], kind="mean")["predictions"]["accel"]
    return pred.values.reshape(-1, len(REFERENCE))


@pytest.mark.slow
def test_the_curve_lies_in_mgcvs_89_percent_band_at_50_points(fit, curve):
    diagnostics = fit.diagnostics()  # measured: R-hat 1.004, ESS bulk 312, 1 divergence
    assert diagnostics.divergences <= 10
    assert diagnostics.max_rhat < 1.03 and diagnostics.min_ess_bulk > 200
    mean = curve.mean(axis=0)
    inside = (mean >= REFERENCE["lower"]) & (mean <= REFERENCE["upper"])
    assert inside.all(), REFERENCE.loc[~inside, "times"].tolist()
    # Measured: at most 0.05 of mgcv's standard error (and 0.05 posterior SD) apart.
    error = np.abs(mean - REFERENCE["fit"]) / REFERENCE["se"]
    assert error.max() < 0.5
    # The bands agree too: the posterior SD within 25% of mgcv's standard error (measured:
    # 0.97 to 1.04 times).
    ratio = curve.std(axis=0) / REFERENCE["se"]
    assert 0.75 < ratio.min() and ratio.max() < 1.25


def test_loo_counts_about_mgcvs_degrees_of_freedom(fit):
    loo = fit.loo()
    assert np.all(loo.pareto_k.values < 0.7)
    assert abs(float(loo.p) - (MGCV_EDF + 1)) < 2.5


def test_predictions_on_new_times_use_the_basis_of_the_fit(fit):
    times = pd.DataFrame({"times": [30.0, 10.0, 20.0]})
    one = fit.predict(times, kind="link")["predictions"]["accel"].mean(("chain", "draw"))
    each = [
        float(fit.predict(times.iloc[[i]], kind="link")["predictions"]["accel"].mean())
        for i in range(3)
    ]
    np.testing.assert_allclose(one.values, each, rtol=1e-10)
    curve = fit.smooth_curve("times", n_points=5)
    direct = fit.predict(curve[["times"]], kind="link")["predictions"]["accel"]
    np.testing.assert_allclose(curve["mean"], direct.mean(("chain", "draw")), rtol=1e-10)


def test_the_summary_and_the_priors_name_the_smooth_sd(fit):
    text = str(fit.summary())
    assert "Smooth terms:" in text and "sds(s(times))" in text
    assert "groups:" not in text  # the basis directions are not groups
    assert "sds|s(times)" in fit.model.prior_summary().index
    model = hm.Model(
        "accel ~ s(times)", fit.model.data, priors={"sds": hm.Prior("HalfNormal", sigma=5.0)}
    )
    assert str(model.priors["sds|s(times)"]) == "HalfNormal(sigma=5)"


def test_plot_smooth_draws_the_curve_and_says_what_it_holds(fit):
    fig = fit.plot_smooth("times", prob=0.8)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    curve = fit.smooth_curve("times", prob=0.8)
    np.testing.assert_allclose(line.get_ydata(), curve["mean"])
    assert {"eti80_lb", "eti80_ub"} <= set(curve.columns)
    assert "other predictors at their means" in ax.get_title()
    assert ax.get_ylabel() == "linear predictor (identity link)"
    with pytest.raises(SpecError, match=r"no smooth of 'accel'.*\['s\(times\)'\]"):
        fit.plot_smooth("accel")
