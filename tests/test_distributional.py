"""Distributional formulas, ``hm.Model(..., sigma="~ x + (1 | g)")``: the model, its
priors, errors, agreement with glmmTMB, recovery, and predict / LOO / PPC on per-row
parameters.

Three fits in all (compiling costs far more than sampling): sleepstudy with
``sigma ~ Days`` (glmmTMB's dispformula), a simulated ``sigma ~ (1 | g)`` (recovery) and
Salamanders with ``zi ~ mined`` (glmmTMB's ziformula).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import hiermodels as hm
from hiermodels.errors import DataError, FormulaError, PriorError, SpecError

REFERENCE = Path(__file__).resolve().parent / "reference" / "glmmtmb_distributional.csv"
SAMPLING = {"draws": 1000, "tune": 1000, "chains": 2, "progressbar": False}
FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep():
    return hm.datasets.load("sleepstudy")


@pytest.fixture(scope="module")
def sleep_fit(sleep):
    model = hm.Model(FORMULA, sleep, sigma="~ Days")
    return model.fit(random_seed=11, **SAMPLING)


def reference(case: str) -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE)
    return ref[(ref["case"] == case) & (ref["kind"] == "fixef")]


def errors_in_sd(fit: hm.Fit, case: str) -> dict[tuple[str, str], float]:
    """(part, term) -> |posterior mean - glmmTMB| / posterior SD."""
    post = fit.posterior
    out = {}
    for _, row in reference(case).iterrows():
        if row.part == "mu":
            da = (
                post["Intercept"] if row.term == "Intercept" else post["b"].sel(fixed_term=row.term)
            )
        elif row.term == "Intercept":
            da = post[f"{row.part}_Intercept"]
        else:
            da = post[f"{row.part}_b"].sel({f"{row.part}_fixed_term": row.term})
        out[(row.part, row.term)] = abs(float(da.mean()) - row.estimate) / float(da.std())
    return out


# ---------------------------------------------------------------------- the model
def test_prior_summary_lists_the_formula_coefficients_with_autoscaled_defaults(sleep):
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep, sigma="~ Days + (1 | Subject)")
    table = model.prior_summary()
    assert "sigma" not in table.index  # sigma is no longer one number
    assert table.loc["sigma|Intercept", "prior"] == str(
        hm.Prior("Normal", mu=float(np.log(sleep["Reaction"].std(ddof=0))), sigma=2.5)
    )
    assert table.loc["sigma|b|Days", "prior"] == str(
        hm.Prior("Normal", mu=0.0, sigma=2.5 / sleep["Days"].std(ddof=0))
    )
    assert table.loc["sd|Subject|sigma|Intercept", "prior"] == "HalfNormal(sigma=1)"
    # the mean's SD keys do not reach sigma's formula
    assert table.loc["sd|Subject|Intercept", "prior"] != "HalfNormal(sigma=1)"


def test_priors_by_key_reach_the_formula_and_unknown_keys_list_them(sleep):
    priors = {
        "sigma|Intercept": hm.Prior("Normal", mu=3, sigma=1),
        "sigma|sd": hm.Prior("HalfNormal", sigma=0.5),
    }
    model = hm.Model("Reaction ~ Days", sleep, sigma="~ Days + (1 | Subject)", priors=priors)
    assert model.prior_sources["sigma|Intercept"] == "user (sigma|Intercept)"
    assert model.priors["sd|Subject|sigma|Intercept"] == hm.Prior("HalfNormal", sigma=0.5)
    with pytest.raises(PriorError, match=r"'sigma\|b\|Days'"):
        hm.Model(
            "Reaction ~ Days",
            sleep,
            priors={"sigma": hm.Prior("Exponential", lam=1)},
            sigma="~ Days",
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"family": "poisson", "zi": "~ Days"},
            SpecError,
            "family 'poisson' has no parameter 'zi'",
        ),
        ({"phi": "~ Days"}, SpecError, r"no parameter 'phi' \(its parameters are \['sigma'\]\)"),
        ({"sigmma": "~ Days"}, SpecError, "'sigmma' is neither an option of hm.Model"),
        ({"sigma": ["~ Days"]}, SpecError, "must be a string"),
        ({"sigma": "~ Days + nope"}, FormulaError, "Unknown column 'nope'"),
    ],
)
def test_bad_distributional_input_is_refused_clearly(sleep, kwargs, error, message):
    with pytest.raises(error, match=message):
        hm.Model("Reaction ~ Days", sleep, **kwargs)


def test_the_other_api_is_an_error_that_points_to_the_keyword(sleep):
    with pytest.raises(FormulaError, match="as a keyword"):
        hm.Model("Reaction ~ Days, sigma ~ Days", sleep)
    with pytest.raises(FormulaError, match=r"must be a string, got list: .* as a keyword"):
        hm.Model(["Reaction ~ Days", "sigma ~ Days"], sleep)
    with pytest.raises(AttributeError, match=r"sigma='~ x'"):
        hm.bf  # noqa: B018


def test_missing_values_in_a_formula_column_are_named_and_the_data_unchanged(sleep):
    data = sleep.assign(w=np.where(np.arange(len(sleep)) == 4, np.nan, 1.0))
    before = data.copy()
    with pytest.raises(DataError, match="w"):
        hm.Model("Reaction ~ Days", data, sigma="~ w")
    pd.testing.assert_frame_equal(data, before)


def test_se_and_cens_do_not_combine_with_a_formula(sleep):
    data = sleep.assign(s=1.0, c=0)
    with pytest.raises(SpecError, match=r"se\(\)"):
        hm.Model("Reaction | se(s, sigma=True) ~ Days", data, sigma="~ Days")
    with pytest.raises(SpecError, match=r"cens\(\)"):
        hm.Model("Reaction | cens(c) ~ Days", data, sigma="~ Days")


def test_collapsed_gibbs_and_optimize_refuse_a_sigma_formula(sleep):
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep, sigma="~ Days")
    assert model.collapsed_factor() is None
    with pytest.raises(SpecError, match="gives sigma a formula"):
        model.collapsed_factor("marginal")
    with pytest.raises(SpecError, match="gives sigma a formula"):
        model.fit(method="gibbs")
    with pytest.raises(SpecError, match="gives sigma a formula"):
        model.optimize()


# ---------------------------------------------------------------------- glmmTMB 1a
def test_sleepstudy_dispformula_agrees_with_glmmtmb(sleep_fit):
    errors = errors_in_sd(sleep_fit, "sleepstudy_disp")
    print("sleepstudy_disp", errors)
    assert set(errors) == {
        ("mu", "Intercept"),
        ("mu", "Days"),
        ("sigma", "Intercept"),
        ("sigma", "Days"),
    }
    assert max(errors.values()) < 0.5, errors
    assert sleep_fit.diagnostics().ok


def test_summary_shows_sigma_formula_as_its_own_block(sleep_fit):
    text = str(sleep_fit.summary())
    assert f"Formula: {FORMULA}; sigma ~ Days" in text
    assert "Distributional parameter sigma ~ Days (link = log):" in text
    assert "Residual" not in text
    with pytest.raises(SpecError, match="one residual variance"):
        sleep_fit.icc()
    with pytest.raises(SpecError, match=r"use fit\.loo\(\)"):
        sleep_fit.kfold(k=2)


def test_pointwise_log_likelihood_uses_each_rows_sigma(sleep_fit, sleep):
    post = sleep_fit.posterior
    sigma = np.exp(
        post["sigma_Intercept"] + post["sigma_b"].sel(sigma_fixed_term="Days") * sleep["Days"][5]
    )
    eta = sleep_fit.predict(kind="link")["predictions"]["Reaction"].isel(row=5)
    expect = stats.norm.logpdf(sleep["Reaction"][5], eta.values, sigma.values)
    got = sleep_fit.idata["log_likelihood"]["Reaction"].isel(obs=5).values
    np.testing.assert_allclose(got, expect, rtol=1e-10)
    with pytest.warns(hm.errors.ParetoKWarning):  # a few influential days, as with lme4
        loo = sleep_fit.loo()
    assert np.isfinite(loo.elpd) and loo.n_data_points == 180


def test_response_draws_spread_with_days(sleep_fit):
    new = pd.DataFrame({"Days": [0, 9, 9], "Subject": ["308", "308", "new"]})
    draws = sleep_fit.predict(new, kind="response", random_seed=1)["predictions"]["Reaction"]
    sd = draws.std(("chain", "draw")).values
    assert sd[1] > 1.5 * sd[0]  # exp(9 * 0.085) = 2.1 times the SD at day 0
    assert sd[2] > sd[1]  # a new subject adds its effects' spread
    ppc = sleep_fit.posterior_predictive(random_seed=1)["posterior_predictive"]["Reaction"]
    assert ppc.shape == (2, 1000, 180)


def test_a_saved_fit_keeps_its_formula(sleep_fit, sleep, tmp_path):
    loaded = hm.load(sleep_fit.save(tmp_path / "sigma.hmfit"))
    assert loaded.model.spec.distributional == sleep_fit.model.spec.distributional
    new = sleep.head(3)
    np.testing.assert_allclose(
        loaded.predict(new, kind="response", random_seed=3)["predictions"]["Reaction"].values,
        sleep_fit.predict(new, kind="response", random_seed=3)["predictions"]["Reaction"].values,
    )


# ---------------------------------------------------------------------- new levels
class _Fit:
    """What row_parameter_draws reads of a fit: its design and model."""

    def __init__(self, model):
        self.model, self.design = model, model.design


def test_new_levels_of_a_formula_factor_draw_from_its_own_sd():
    from hiermodels.analysis.distributional import row_parameter_draws

    data = pd.DataFrame({"y": [1.0, 2.0, 0.5, 3.0], "g": ["a", "a", "b", "b"]})
    model = hm.Model("y ~ 1", data, sigma="~ 1 + (1 | g)")
    n = 20_000
    posterior = xr.Dataset(
        {
            "sigma_Intercept": (("chain", "draw"), np.full((1, n), 0.1)),
            "sd_g__sigma": (("chain", "draw", "g__sigma__term"), np.full((1, n, 1), 0.5)),
            "r_g__sigma": (
                ("chain", "draw", "g__sigma", "g__sigma__term"),
                np.broadcast_to([[-1.0], [1.0]], (1, n, 2, 1)).copy(),
            ),
        },
        coords={"g__sigma": ["a", "b"], "g__sigma__term": ["Intercept"]},
    )
    new = pd.DataFrame({"g": ["b", "new", "new"]})
    rng = np.random.default_rng(0)
    got = row_parameter_draws(_Fit(model), posterior, new, new_groups="sample", rng=rng)
    log_sigma = np.log(got["sigma"][0])
    np.testing.assert_allclose(log_sigma[:, 0], 1.1)  # a fitted level keeps its effect
    np.testing.assert_array_equal(log_sigma[:, 1], log_sigma[:, 2])  # one draw per level
    assert log_sigma[:, 1].mean() == pytest.approx(0.1, abs=0.02)
    assert log_sigma[:, 1].std() == pytest.approx(0.5, rel=0.03)
    pop = row_parameter_draws(_Fit(model), posterior, new, new_groups="population", rng=rng)
    np.testing.assert_allclose(np.log(pop["sigma"][0, :, 1]), 0.1)
    fitted = row_parameter_draws(_Fit(model), posterior, None, new_groups="sample", rng=rng)
    np.testing.assert_allclose(np.log(fitted["sigma"][0, 0]), [-0.9, -0.9, 1.1, 1.1])


def test_the_absorbed_level_mean_leaves_the_prior_exact(sleep):
    """The sampled sigma intercept absorbs the level mean of r_Subject__sigma; forward
    draws must still give sigma_Intercept ~ its prior, independent of r ~ N(0, sd)."""
    import pymc as pm

    priors = {"sigma|Intercept": hm.Prior("Normal", mu=3, sigma=0.7)}
    model = hm.Model("Reaction ~ Days", sleep, sigma="~ 1 + (1 | Subject)", priors=priors)
    names = ["sigma_Intercept", "r_Subject__sigma", "sd_Subject__sigma"]
    with model.pymc_model:
        prior = pm.sample_prior_predictive(draws=8000, var_names=names, random_seed=4)["prior"]
    a = prior["sigma_Intercept"].values.ravel()
    r = prior["r_Subject__sigma"].values[0, :, :, 0]
    sd = prior["sd_Subject__sigma"].values[0, :, 0]
    assert a.mean() == pytest.approx(3, abs=0.03) and a.std() == pytest.approx(0.7, rel=0.03)
    scaled = r / sd[:, None]
    assert scaled.std() == pytest.approx(1, rel=0.02) and abs(scaled.mean()) < 0.02
    assert abs(np.corrcoef(a, r.mean(axis=1))[0, 1]) < 0.04
    assert abs(np.corrcoef(scaled[:, 0], scaled[:, 1])[0, 1]) < 0.04
