"""The Gibbs sampler for varying-intercept gaussian models (``fit(method="gibbs")``).

Known answers:

- lme4 (REML): every fixed effect and variance component of the varying-intercept cases
  of the agreement matrix (Penicillin crossed, Pastes nested, radon, gcse), with the
  matrix's tolerances (``|z| < 0.35`` posterior SD for fixed effects, ``< 1.0`` for
  components; see ``tests/test_agreement_matrix.py``) and its convergence bar;
- one posterior, two update schemes: factors small enough to join the fixed
  coefficients in one Gaussian block, and the level-by-level collapsed update used for
  large factors (forced here), agree within 0.15 posterior SD (Monte Carlo error of the
  difference ~0.03 SD), on a simulation of three crossed factors, one with a tiny SD
  (0.1 sigma), and on the nested Pastes design;
- a long run (4 x 5,000 draws) of the NumPy sampler that the compiled sweep replaced
  (``tests/reference/insteval_gibbs_posterior.py``, hiermodels 02970f4), on InstEval:
  every parameter's mean within 0.25 posterior SD and SD within 12%.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import agreement
import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
import hiermodels.gibbs.checks
from hiermodels.errors import PriorError, SamplerError, SpecError

SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "random_seed": 20261122}
CASES = ["penicillin", "pastes", "radon", "gcse"]


def _gibbs_fit(formula, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        return hm.Model(formula, data, **kwargs).fit(method="gibbs", **SETTINGS)


@pytest.fixture(scope="module", params=CASES)
def lme4_case(request):
    spec = agreement.CASES[request.param]
    fit = _gibbs_fit(spec.formula, hm.datasets.load(spec.dataset))
    return request.param, fit


def test_gibbs_matches_lme4(lme4_case):
    case, fit = lme4_case
    comparison = agreement.compare(case, fit)
    failures = {r.parameter: round(r.z, 3) for r in comparison.itertuples() if not r.passed}
    assert failures == {}
    report = fit.diagnostics()
    assert report.max_rhat < agreement.RHAT_MAX, report
    assert report.min_ess_bulk > agreement.ESS_BULK_MIN, report
    assert fit.idata.attrs["method"] == "gibbs"


def _crossed_small_sd():
    rng = np.random.default_rng(4)
    n = 1500
    a, b = rng.normal(0, 1.0, 150), rng.normal(0, 0.1, 12)
    A, B = rng.integers(0, 150, n), rng.integers(0, 12, n)
    x = rng.normal(size=n)
    c, C = rng.normal(0, 0.5, 8), rng.integers(0, 8, n)
    return pd.DataFrame(
        {
            "y": 2.0 + 0.5 * x + a[A] + b[B] + c[C] + rng.normal(size=n),
            "x": x,
            "A": [f"a{i}" for i in A],
            "B": [f"b{i}" for i in B],
            "C": [f"c{i}" for i in C],
        }
    )


def test_block_and_level_updates_give_the_same_posterior(monkeypatch):
    # three large factors when forced (the sum of squares then has three cross terms)
    frame = _crossed_small_sd()
    formula = "y ~ x + (1 | A) + (1 | B) + (1 | C)"
    blocked = _gibbs_fit(formula, frame)
    monkeypatch.setattr(hiermodels.gibbs.checks, "SMALL_FACTOR_LEVELS", 0)
    by_level = _gibbs_fit(formula, frame)
    for fit in (blocked, by_level):
        report = fit.diagnostics()
        assert report.max_rhat < 1.01, report
        assert report.min_ess_bulk > 400, report
    for table in ("fixed_effects", "variance_components"):
        a, b = getattr(blocked, table)(), getattr(by_level, table)()
        z = (a["mean"] - b["mean"]) / b["sd"]
        assert np.all(np.abs(z) < 0.15), z
    for g in ("A", "B", "C"):
        ga, gb = blocked.group_effects(g), by_level.group_effects(g)
        z = (ga["mean"] - gb["mean"]) / gb["sd"]
        assert np.all(np.abs(z) < 0.15), z.abs().max()
    # Against the simulated truth: the tiny SD (0.1) and sigma (1) within 3 posterior SD.
    components = blocked.variance_components().set_index("group")
    for group, truth in (("B", 0.1), ("Residual", 1.0)):
        row = components.loc[group]
        assert abs(row["mean"] - truth) < 3 * row["sd"], row


def test_large_nested_factors_are_refused(monkeypatch):
    monkeypatch.setattr(hiermodels.gibbs.checks, "SMALL_FACTOR_LEVELS", 0)
    model = hm.Model("strength ~ 1 + (1 | batch/cask)", hm.datasets.load("Pastes"))
    with pytest.raises(SpecError, match=r"'batch:cask' \(30 levels\) is nested in 'batch'"):
        model.fit(method="gibbs")


def test_gibbs_fit_is_reproducible_and_supports_loo():
    pen = hm.datasets.load("Penicillin")
    model = hm.Model("diameter ~ 1 + (1 | plate) + (1 | sample)", pen)
    kwargs = {"draws": 200, "tune": 200, "chains": 2, "random_seed": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        first, second = model.fit(method="gibbs", **kwargs), model.fit(method="gibbs", **kwargs)
    np.testing.assert_array_equal(
        first.posterior["r_plate"].values, second.posterior["r_plate"].values
    )
    assert set(first.posterior.data_vars) == {
        "Intercept",
        "sigma",
        "sd_plate",
        "sd_sample__level",
        "r_plate",
        "r_sample__level",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ParetoKWarning)
        assert np.isfinite(first.loo().elpd)
    assert "Gibbs sampling" in str(first.summary())


def test_gibbs_refuses_what_it_cannot_sample():
    sleep = hm.datasets.load("sleepstudy")
    with pytest.raises(
        SpecError, match=r"varying intercepts.*'Subject' has terms \['Intercept', 'Days'\]"
    ):
        hm.Model("Reaction ~ Days + (Days | Subject)", sleep).fit(method="gibbs")
    counts = sleep.assign(n=(sleep["Reaction"] // 10).astype(int))
    with pytest.raises(SpecError, match=r"gaussian models.*'poisson'"):
        hm.Model("n ~ Days + (1 | Subject)", counts, family="poisson").fit(method="gibbs")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(SamplerError, match="target_accept"):
        model.fit(method="gibbs", target_accept=0.9)
    weibull = hm.Model(
        "Reaction ~ Days + (1 | Subject)",
        sleep,
        priors={"sigma": hm.Prior("Weibull", alpha=2.0, beta=50.0)},
    )
    with pytest.raises(PriorError, match=r"Weibull.*'sigma'.*HalfNormal"):
        weibull.fit(method="gibbs")
    student = hm.Model(
        "Reaction ~ Days + (1 | Subject)",
        sleep,
        priors={"Days": hm.Prior("StudentT", nu=3, sigma=10)},
    )
    with pytest.raises(PriorError, match=r"Normal .*prior on the fixed coefficient 'Days'"):
        student.fit(method="gibbs")


INSTEVAL_REFERENCE = Path(__file__).parents[1] / "reference" / "insteval_gibbs_posterior.csv"


@pytest.mark.slow
def test_insteval_posterior_matches_the_numpy_sampler():
    reference = pd.read_csv(INSTEVAL_REFERENCE, comment="#", keep_default_na=False)
    model = hm.Model(
        "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)", hm.datasets.load("InstEval")
    )
    fit = model.fit(method="gibbs", **SETTINGS)
    report = fit.diagnostics()
    assert report.max_rhat <= 1.01 and report.min_ess_bulk >= 400, report
    post = fit.posterior
    z, sd_ratio = {}, {}
    for row in reference.itertuples():
        da = post[row.variable]
        if da.ndim > 2:
            labels = [str(v) for v in da[da.dims[2]].values]
            da = da.isel({da.dims[2]: labels.index(row.level)})
        draws = da.values.ravel()
        key = f"{row.variable}[{row.level}]"
        z[key] = (draws.mean() - row.mean) / row.sd
        sd_ratio[key] = draws.std(ddof=1) / row.sd
    assert len(z) == len(reference) > 600
    worst = max(z, key=lambda k: abs(z[k]))
    assert abs(z[worst]) < 0.25, (worst, z[worst])
    worst = max(sd_ratio, key=lambda k: abs(sd_ratio[k] - 1))
    assert abs(sd_ratio[worst] - 1) < 0.12, (worst, sd_ratio[worst])
