"""Model comparison: the pooling comparison on radon, LOO, k-fold CV and hm.compare.

Statistical checks use fixed seeds and compare against known answers: the shrinkage
pattern of the radon example (Gelman & Hill 2007, ch. 12), the analytic
precision-weighted estimate, the exact marginal density of a new group, and the log
predictive density of simulated data under the true parameters.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from unittest import mock

import comparison_fits as cases
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import logsumexp

import hiermodels as hm
from hiermodels.analysis.loo import _Source
from hiermodels.compare import (
    ParetoKWarning,
    PoolingComparison,
    compare,
    compare_pooling,
    heldout_log_likelihood,
    pooling_formulas,
    precision_weighted,
)
from hiermodels.errors import DataError, PriorError, SpecError

# ------------------------------------------------------------------ no sampling


def test_pooling_formulas():
    f = pooling_formulas("log_radon", ["floor"], "county", [])
    assert f.complete == "log_radon ~ floor"
    assert f.none == "log_radon ~ 0 + county + floor"
    assert f.partial == "log_radon ~ floor + (1 | county)"
    f = pooling_formulas("y", ["x", "w"], "my g", ["x"])
    assert f.complete == "y ~ x + w"
    assert f.none == "y ~ 0 + `my g` + `my g`:x + w"
    assert f.partial == "y ~ x + w + (1 + x | `my g`)"
    f = pooling_formulas("y", [], "g", [])
    assert (f.complete, f.none, f.partial) == ("y ~ 1", "y ~ 0 + g", "y ~ 1 + (1 | g)")


def test_compare_pooling_rejects_bad_input_before_fitting():
    radon = hm.datasets.load("radon")
    with pytest.raises(DataError, match=r"Unknown column 'countie'.*Did you mean \['county'\]"):
        compare_pooling(radon, response="log_radon", group="countie")
    with pytest.raises(SpecError, match="cannot also be"):
        compare_pooling(radon, response="log_radon", predictors=["county"], group="county")
    with pytest.raises(PriorError, match=r"Unknown prior key\(s\) \['sd\|school'\].*valid keys"):
        compare_pooling(
            radon,
            response="log_radon",
            group="county",
            priors={"sd|school": hm.Prior("HalfNormal", sigma=1)},
        )


class _Built(Exception):
    """Raised by :func:`_capture_build` with the rows a pooling model would be fitted on."""


def _capture_build(recipe):
    raise _Built(recipe.data)


def test_compare_pooling_missing_values_error_or_drop_on_all_three_models():
    frame = hm.datasets.load("sleepstudy")
    frame.loc[[3, 7], "Days"] = None
    frame.loc[9, "Reaction"] = None
    frame["spare"] = None  # not used by the models: no row goes for it
    before = frame.copy()
    args = dict(response="Reaction", predictors=["Days"], group="Subject")
    with pytest.raises(DataError, match=r"\('Reaction': 1, 'Days': 2\).*missing='drop'"):
        compare_pooling(frame, **args)
    with pytest.raises(SpecError, match=r"missing='impute' is not valid; choose 'error' or 'drop'"):
        compare_pooling(frame, missing="impute", **args)
    from hiermodels.studies.pooling.study import fit_pooling

    with pytest.warns(hm.errors.MissingDataWarning, match="Dropped 3 of 180 rows"):
        with pytest.raises(_Built) as built:
            fit_pooling(
                frame, **args, slopes=(), family="gaussian", priors=None, executor=None,
                fit_kwargs={}, missing="drop", build=_capture_build, wrap=None,
            )  # fmt: skip
    rows = built.value.args[0]
    assert len(rows) == 177 and rows[["Reaction", "Days"]].notna().all().all()
    assert frame.equals(before)


def test_compare_rejects_bad_arguments():
    with pytest.raises(SpecError, match="at least two models"):
        compare({"a": object()})
    with pytest.raises(SpecError, match="dict of name"):
        compare([1, 2])
    with pytest.raises(SpecError, match=r"Model 'b' is a int; compare\(\) takes hm.Fit"):
        compare({"b": 2, "c": 3})


# ------------------------------------------------------------------ radon pooling


@pytest.fixture(scope="module")
def radon() -> PoolingComparison:
    return cases.radon_pooling()


@pytest.mark.slow
def test_radon_fits_share_rows(radon):
    assert set(radon.fits) == {"complete", "none", "partial"}
    rows = [fit.design.row_index for fit in radon.fits.values()]
    assert all(r.equals(rows[0]) for r in rows)
    assert radon.fits["none"].design.fixed.names[:2] == ("county[AITKIN]", "county[ANOKA]")
    assert radon.fits["partial"].formula == "log_radon ~ floor + (1 | county)"


@pytest.mark.slow
def test_radon_loo_ranks_partial_pooling_first(radon):
    table = radon.loo_table()
    print("\n" + table.to_string())
    assert list(table.index) == ["partial", "none", "complete"]
    for col in ["elpd", "se", "p", "weight", "diag_elpd", "pareto_k_warning"]:
        assert col in table.columns
    assert table["weight"].sum() == pytest.approx(1.0, abs=1e-6)
    assert table.loc["partial", "weight"] > 0.5
    # partial beats both by more than 2 standard errors of the difference
    for other in ["none", "complete"]:
        assert table.loc[other, "elpd_diff"] < -2 * table.loc[other, "dse"]
    # one- and two-house counties determine their own intercept: many high Pareto k
    assert table.loc["none", "pareto_k_warning"]
    assert table.loc["none", "diag_elpd"].startswith(tuple("123456789"))


@pytest.mark.slow
def test_radon_small_counties_are_shrunk_most(radon):
    est = radon.estimates()
    assert len(est) == 85 and est["n"].sum() == 919
    gap = (est["none"] - est["partial"]).abs()
    r = np.corrcoef(np.log(est["n"]), gap)[0, 1]
    print(f"\ncorrelation of log(n) with |none - partial|: {r:.3f}")
    assert r < -0.3
    small, large = est["n"] <= 3, est["n"] >= 25
    assert gap[small].median() > 4 * gap[large].median()


@pytest.mark.slow
def test_radon_partial_lies_between_no_pooling_and_its_pooling_target(radon):
    """Partial pooling pulls each county from its own mean toward the population mean.

    That target is the partial model's intercept (1.49), not the complete-pooling
    intercept (1.36, which weights counties by their homes): so the partial estimate lies
    between ``none`` and the population mean for every county, but between ``none`` and
    ``complete`` only for about three quarters of them (counties whose own mean is close
    to 1.36 are pulled past it).
    """
    est = radon.estimates()
    summary = radon.summary()
    print(f"\nbetween none and the population mean: {summary.between_population:.1%}")
    assert summary.between_population > 0.9
    assert est["population"].iloc[0] > est["complete"].iloc[0] + 0.05
    assert "between none and complete" not in str(summary)


@pytest.mark.slow
def test_radon_shrinkage_is_bounded_falls_with_size_and_matches_the_normal_weights(radon):
    """Issue #19: the shrinkage toward the population mean lies in [0, 1] for every county,
    falls with county size, and is close to the normal model's weight of the population
    mean, sigma^2 / (sigma^2 + n tau^2), at the posterior means.

    The old column, (none - partial) / (none - complete), ran from -8.8 to 4.1 on radon.
    """
    est = radon.estimates()
    shrinkage = est["shrinkage"].to_numpy()
    assert ((shrinkage >= 0) & (shrinkage <= 1)).all()
    rho = stats.spearmanr(est["n"], shrinkage).statistic
    vc = radon.fits["partial"].variance_components().set_index("group")
    sigma, tau = vc.loc["Residual", "mean"], vc.loc["county", "mean"]
    weight = sigma**2 / (sigma**2 + est["n"].to_numpy() * tau**2)
    gap = np.abs(shrinkage - weight)
    print(f"\nshrinkage {shrinkage.min():.3f}..{shrinkage.max():.3f}, Spearman rho with n "
          f"{rho:.3f}, max |shrinkage - normal weight| {gap.max():.3f}")  # fmt: skip
    assert rho < -0.8
    assert gap.max() < 0.1


@pytest.mark.slow
def test_radon_pooling_estimates_agree_with_lm_and_lmer(radon):
    """Known answer: lm (complete, none) and lmer (partial) per county, from R.

    ``tests/reference/radon_pooling.R`` wrote the reference. lme4's own estimates lie
    between no and complete pooling for the same 75.3% of counties (64 of 85), so the
    three-quarter share is a property of the data, not of the sampler.
    """
    ref = pd.read_csv(Path(__file__).parent / "reference" / "radon_pooling.csv")
    ref = ref.set_index("county")
    est = radon.estimates().loc[ref.index]
    assert (est["n"] == ref["n"]).all()
    # Posterior means against least squares and conditional modes, in posterior SDs. The
    # partial tolerance allows for the posterior of tau being wider than its REML point.
    assert ((est["none"] - ref["none"]).abs() / est["none_sd"]).max() < 0.15
    assert ((est["partial"] - ref["partial"]).abs() / est["partial_sd"]).max() < 0.25
    complete_sd = float(radon._fixed_draws(radon.fits["complete"], "Intercept").std())
    assert abs(est["complete"].iloc[0] - ref["complete"].iloc[0]) < 0.1 * complete_sd
    population_sd = float(radon._fixed_draws(radon.fits["partial"], "Intercept").std())
    assert abs(est["population"].iloc[0] - ref["population"].iloc[0]) < 0.25 * population_sd
    from hiermodels.studies.pooling.summary import _share_between

    lme4_share = _share_between(ref, "complete")
    assert lme4_share == pytest.approx(64 / 85)
    # In counties: a county whose posterior mean sits within Monte Carlo error of the
    # complete-pooling line flips with the draws (66 of 85 on the compiled kernel, which
    # samples the complete and no-pooling models since issue #18; 64 for lme4).
    counties = round(_share_between(est, "complete") * 85)
    assert abs(counties - 64) <= 3
    assert _share_between(ref, "population") == 1.0


@pytest.mark.slow
def test_radon_precision_weighted_matches_partial(radon):
    est = radon.estimates()
    z = (est["precision_weighted"] - est["partial"]).abs() / est["partial_sd"]
    assert z.max() < 0.1


@pytest.mark.slow
def test_radon_summary_text(radon):
    text = str(radon.summary())
    print("\n" + text)
    for piece in [
        "Pooling comparison of 'county': 85 levels, 919 rows",
        "none     log_radon ~ 0 + county + floor",
        "PSIS-LOO, best first:",
        "correlation of log(n) with |none - partial|",
        "partial-pooling SDs: county",
    ]:
        assert piece in text, piece
    unreliable = next(line for line in text.splitlines() if "PSIS-LOO is unreliable" in line)
    assert "'none'" in unreliable


@pytest.mark.slow
def test_loo_warns_for_high_pareto_k(radon):
    with pytest.warns(ParetoKWarning, match=r"unreliable for \d+ of 919 rows.*kfold"):
        result = radon.fits["none"].loo()
    assert result.warning and result.elpd_i.shape == (919,)


@pytest.mark.slow
def test_compare_accepts_models_on_the_same_rows(radon):
    models = {"floor": radon.fits["complete"], "floor + county": radon.fits["partial"]}
    table = compare(models, warn=False)  # diag_elpd reports any high Pareto k
    assert list(table.index) == ["floor + county", "floor"]
    assert table.index.name == "model"
    assert table.loc["floor + county", "rank"] == 0
    np.testing.assert_allclose(
        table["elpd"].sort_values(ascending=False).to_numpy(),
        radon.loo_table().loc[["partial", "complete"], "elpd"].to_numpy(),
    )


@pytest.mark.slow
def test_compare_refuses_models_fitted_on_different_data(radon):
    sim = cases.simulated_fit()
    with pytest.raises(DataError, match=r"'radon' and 'simulated' differ: 919 rows against 701"):
        compare({"radon": radon.fits["partial"], "simulated": sim})
    # same number of rows, one response value changed
    loo = sim.loo()
    other = copy.deepcopy(loo)
    y = sim.design.y.copy()
    y[3] += 1.0
    other._hiermodels_source = _Source(y=y, rows=sim.design.row_index)
    with pytest.raises(DataError, match=r"'a' and 'b' differ: different observed responses in 1"):
        compare({"a": loo, "b": other})
    # same values, different rows
    other._hiermodels_source = _Source(y=sim.design.y, rows=sim.design.row_index + 1000)
    with pytest.raises(DataError, match=r"'a' and 'b' differ: different row labels"):
        compare({"a": loo, "b": other})


# ------------------------------------------------------------------ simulated random intercept


@pytest.fixture(scope="module")
def sim() -> hm.Fit:
    return cases.simulated_fit()


@pytest.mark.slow
def test_precision_weighted_estimate_matches_posterior_group_means(sim):
    """Analytic (n/σ² ȳ + μ/τ²)/(n/σ² + 1/τ²) against the sampled group means."""
    coef = sim.group_coefficients("g").xs("Intercept", level="term")
    analytic = precision_weighted(sim, "g")
    z = ((analytic - coef["mean"]) / coef["sd"]).abs()
    print(f"\nmax |analytic - posterior mean| = {z.max():.4f} posterior SD")
    assert list(analytic.index) == list(coef.index)
    assert z.max() < 0.1


@pytest.mark.slow
def test_loo_is_pointwise(sim):
    result = sim.loo()
    assert result.kind == "loo"
    assert result.elpd_i.shape == (sim.design.n_obs,)
    assert result.elpd == pytest.approx(float(result.elpd_i.sum()))


def test_loo_is_computed_once_per_idata(sim):
    first, again = sim.loo(), sim.loo()
    assert again is not first and again.elpd == first.elpd  # a copy of the one result
    # a new tree (here: one draw fewer) is scored afresh
    original = sim.idata
    try:
        sim.idata = original.isel(draw=slice(1, None))
        assert sim.loo().elpd != first.elpd
    finally:
        sim.idata = original
    assert sim.loo().elpd == first.elpd


@pytest.mark.slow
def test_heldout_rows_of_seen_levels_reproduce_the_stored_log_likelihood(sim):
    rows = np.arange(0, sim.design.n_obs, 7)
    data = sim.model.data.iloc[rows]
    got = heldout_log_likelihood(sim, data, y=sim.design.y[rows])
    stored = sim.idata["log_likelihood"]["y"].values[..., rows]
    np.testing.assert_allclose(got, stored, rtol=1e-10)


@pytest.mark.slow
def test_heldout_rows_of_a_new_level_integrate_the_group_effect(sim):
    """A new level's row is N(Intercept, σ² + τ²) per draw (exact for the gaussian)."""
    data = sim.model.data.iloc[:4].copy()
    data["g"] = "unseen"
    y = sim.design.y[:4]
    got = heldout_log_likelihood(sim, data, y=y)
    post = sim.posterior
    scale = np.sqrt(post["sigma"].values ** 2 + post["sd_g"].sel(g__term="Intercept").values ** 2)
    expected = stats.norm.logpdf(y, post["Intercept"].values[..., None], scale[..., None])
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # the Monte Carlo integral used for other families agrees
    mc = heldout_log_likelihood(
        sim, data, y=y, method="monte_carlo", n_new_draws=400, random_seed=1
    )
    lpd = logsumexp(got.reshape(-1, 4), axis=0)
    lpd_mc = logsumexp(mc.reshape(-1, 4), axis=0)
    np.testing.assert_allclose(lpd_mc, lpd, atol=0.01)


@pytest.mark.slow
def test_kfold_rejects_bad_options(sim):
    with pytest.raises(SpecError, match=r"by='rows' is not valid; choose 'group' or None"):
        sim.kfold(3, by="rows")
    with pytest.raises(SpecError, match="k must be an integer >= 2"):
        sim.kfold(1)
    with pytest.raises(SpecError, match=r"k=41 folds exceed the 40 levels of 'g'"):
        sim.kfold(41)


class _CountCompiles:
    """Counts the sampler's compilations of PyMC models while active."""

    def __enter__(self):
        from hiermodels import cached_entry

        self.calls = 0
        original = cached_entry.compile_cached

        def counting(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        self._patch = mock.patch.object(cached_entry, "compile_cached", counting)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


KFOLD_COMPILES: dict[str, int] = {}


@pytest.fixture(scope="module")
def kfold_by_group(sim):
    with _CountCompiles() as count:
        cv = sim.kfold(3, by="group", random_seed=3)
    KFOLD_COMPILES["shared"] = count.calls
    return cv


@pytest.mark.slow
def test_kfold_refits_share_one_compiled_model(sim, kfold_by_group, monkeypatch):
    """The folds refit one model of all rows (issue 18); the k-fold result equals that of
    a model built per fold, and that of the PyMC graph's refits, up to sampler noise.

    This gaussian model samples on the compiled kernel, so no fold compiles anything.
    With the kernel switched off, the folds switch 0/1 row weights in one compiled PyMC
    graph (nutpie's ``with_data``): one compile for all folds. Both sample the same log
    density; a different refit seed moves the elpd by about 0.05 (SD over 6 seeds, same
    folds), and the limit is 5 such SDs.
    """
    from hiermodels import kernel_entry
    from hiermodels.analysis import kfold as kfold_module

    assert KFOLD_COMPILES["shared"] == 0  # the kernel: nothing compiled
    monkeypatch.setattr(kfold_module, "_REUSE_COMPILED", False)
    with _CountCompiles() as count:
        rebuilt = sim.kfold(3, by="group", random_seed=3)
    assert count.calls == 0
    monkeypatch.setattr(kfold_module, "_REUSE_COMPILED", True)
    monkeypatch.setattr(kernel_entry, "compile_collapsed", lambda *a, **k: None)
    with _CountCompiles() as count:
        graph = sim.kfold(3, by="group", random_seed=3)
    assert count.calls <= 1  # 0 when this process compiled the graph earlier
    elpds = (kfold_by_group.elpd, rebuilt.elpd, graph.elpd)
    print("\nelpd kernel {:.6f}, rebuilt {:.6f}, graph {:.6f}".format(*elpds))
    for other in (rebuilt, graph):
        assert abs(kfold_by_group.elpd - other.elpd) < 0.25
        np.testing.assert_allclose(kfold_by_group.elpd_i.values, other.elpd_i.values, atol=0.05)


@pytest.mark.slow
def test_grouped_kfold_matches_the_true_predictive_density(sim, kfold_by_group):
    """Leave-group-out CV predicts rows of unseen groups: y ~ N(μ, σ² + τ²).

    The known answer is the log density of every row under the true parameters; the
    cross-validated estimate pays a little for estimating them from 2/3 of the groups.
    """
    cv = kfold_by_group
    y = sim.design.y
    oracle = stats.norm.logpdf(y, cases.MU, np.sqrt(cases.SIGMA**2 + cases.TAU**2)).sum()
    print(f"\nelpd_kfold {cv.elpd:.1f} (se {cv.se:.1f}), oracle {oracle:.1f}")
    assert cv.kind == "loo_kfold" and cv.n_folds == 3
    assert cv.elpd_i.shape == (sim.design.n_obs,)
    assert abs(cv.elpd - oracle) < 10
    # predicting new groups is harder than new rows of known groups (PSIS-LOO)
    assert cv.elpd < sim.loo().elpd - 10


@pytest.mark.slow
def test_compare_accepts_kfold_results(sim, kfold_by_group):
    with pytest.warns(UserWarning, match="Comparing LOO-CV to K-fold-CV"):
        table = compare({"psis-loo": sim, "grouped 3-fold": kfold_by_group})
    assert list(table.index) == ["psis-loo", "grouped 3-fold"]
    assert table.loc["grouped 3-fold", "elpd"] == pytest.approx(kfold_by_group.elpd)
    # and refuses a k-fold result of other data
    with pytest.raises(DataError, match="'radon' and 'cv' differ"):
        compare({"radon": cases.radon_pooling().fits["complete"], "cv": kfold_by_group})


def test_estimates_rejects_unknown_term():
    fake = PoolingComparison.__new__(PoolingComparison)
    fake.slopes = ()
    with pytest.raises(SpecError, match=r"Unknown term 'floor'.*\['Intercept'\]"):
        PoolingComparison.estimates(fake, "floor")


def test_summary_frame_helpers():
    from hiermodels.studies.pooling.summary import _share_between

    est = pd.DataFrame(
        {"none": [2.0, 0.0, 1.0], "partial": [1.5, 0.5, 1.2], "complete": 1.0, "population": 1.1}
    )
    assert _share_between(est, "complete") == pytest.approx(2 / 3)
    assert _share_between(est, "population") == pytest.approx(2 / 3)


@pytest.mark.slow
def test_balanced_data_summary_says_the_size_correlation_is_undefined(tmp_path):
    """sleepstudy: 10 rows per subject, so log(n) has no spread and no correlation."""
    sleep = hm.datasets.load("sleepstudy")
    comparison = compare_pooling(
        sleep,
        response="Reaction",
        predictors=["Days"],
        group="Subject",
        draws=100,
        tune=100,
        chains=2,
        random_seed=1,
        progressbar=False,
    )
    summary = comparison.summary()
    assert np.isnan(summary.correlation)
    assert (
        "correlation of log(n) with |none - partial|: undefined (every level has 10 rows)"
        in str(summary)
    )
    fig = comparison.plot_shrinkage()
    fig.savefig(tmp_path / "balanced.png")
    ax = fig.axes[0]
    labels = [t.get_text() for t in [*ax.get_xticklabels(), *ax.get_xticklabels(minor=True)]]
    assert [t for t in labels if t] == ["10"]


# ------------------------------------------------------------------ refits on an executor


@pytest.fixture(scope="module")
def process_pool():
    """Two spawned worker processes, each compiling in its own cache folder."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def test_compare_pooling_rejects_a_bad_executor_before_fitting():
    radon = hm.datasets.load("radon")
    with pytest.raises(SpecError, match=r"executor must be None.*got str 'localhost'"):
        compare_pooling(radon, response="log_radon", group="county", executor="localhost")


@pytest.mark.slow
def test_kfold_rejects_a_bad_executor_before_fitting(sim):
    with pytest.raises(SpecError, match=r"executor must be None.*got int 2"):
        sim.kfold(3, executor=2)


@pytest.mark.slow
def test_kfold_folds_are_arviz_stats_splits():
    from arviz_stats.loo.loo_kfold_helper import _kfold_split_grouped, _kfold_split_random

    from hiermodels.compare import kfold_folds

    groups = np.repeat(np.arange(12), 3)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        np.testing.assert_array_equal(
            kfold_folds(4, groups.size, group_by=groups, seed=seed),
            _kfold_split_grouped(k=4, x=groups, rng=rng),
        )
        np.testing.assert_array_equal(
            kfold_folds(5, 23, seed=seed),
            _kfold_split_random(k=5, n=23, rng=np.random.default_rng(seed)),
        )


# Other processes may round the design's constants (BLAS products) differently in the
# last bit; the draws then agree to about 1e-12 (kfold) or, after 1000 NUTS steps, to
# about 1e-7 relative (measured 6e-8), not bit for bit.
SAME = dict(rtol=1e-9, atol=0)


def assert_same_draws(actual, expected):
    """Draws agree to 1e-4 posterior SD: a different seed would differ by about 1 SD."""
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4 * float(np.std(expected)))


@pytest.mark.slow
def test_kfold_on_worker_processes_equals_the_serial_kfold(sim, kfold_by_group, process_pool):
    parallel = sim.kfold(3, by="group", random_seed=3, executor=process_pool)
    np.testing.assert_allclose(parallel.elpd_i.values, kfold_by_group.elpd_i.values, **SAME)
    assert parallel.elpd == pytest.approx(kfold_by_group.elpd, rel=1e-9)
    assert parallel.n_folds == 3


@pytest.mark.slow
def test_compare_pooling_on_worker_processes_equals_the_serial_fits(radon, process_pool):
    parallel = compare_pooling(
        hm.datasets.load("radon"),
        response="log_radon",
        predictors=["floor"],
        group="county",
        executor=process_pool,
        **cases.FIT,
    )
    for name, fit in radon.fits.items():
        other = parallel.fits[name]
        assert other.formula == fit.formula
        assert other.model.parameterization == fit.model.parameterization
        assert set(other.posterior.data_vars) == set(fit.posterior.data_vars)
        for var in fit.posterior.data_vars:
            assert_same_draws(other.posterior[var].values, fit.posterior[var].values)
    pd.testing.assert_frame_equal(parallel.loo_table(), radon.loo_table(), rtol=1e-5)
    pd.testing.assert_frame_equal(parallel.estimates(), radon.estimates(), rtol=1e-5)


@pytest.mark.slow
def test_radon_shrinkage_explorer_starts_at_the_precision_weighted_estimates(radon):
    explorer = radon.shrinkage_explorer()
    expected = precision_weighted(radon.fits["partial"], "county")
    np.testing.assert_allclose(explorer.partial(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert explorer.levels == [str(v) for v in expected.index]
    # a tenth of tau pulls every county most of the way to the population mean
    w = explorer.weights(tau=explorer.tau / 10)
    assert w.max() < 0.5 and explorer.half_weight_size(tau=explorer.tau / 10) > 100


@pytest.mark.slow
def test_radon_report_explains_itself(radon):
    """Issue #19: plain-words diagnostics, tidy tables, examples that show shrinkage."""
    from hiermodels.report import html_page
    from hiermodels.report_pages import pooling_sections

    page = html_page("radon", pooling_sections(radon))
    for heading in ("What was fitted", "Diagnostics", "Which model predicts best",
                    "Shrinkage", "Fits per group", "Estimates per group"):  # fmt: skip
        assert f"<h2>{heading}</h2>" in page
    assert "the chains agree" in page and "divergence" in page
    assert "by NUTS (nutpie)" in page and "integrated out" in page
    assert "True" not in page and "False" not in page  # no raw flags
    assert "diag_diff" not in page
    assert 'class="hm-tau"' in page and "<script>" in page
    # no request leaves the page: no links, sources or imports from elsewhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "fetch(" not in page
    # example counties from small to large: the smallest pulled far, a large one not
    est = radon.estimates().loc[radon.example_levels()]
    moved = (est["none"] - est["partial"]).abs()
    assert len(est) == 8 and est["n"].is_monotonic_increasing
    assert est["n"].iloc[0] <= 2 and est["n"].iloc[-1] > 50
    assert moved.iloc[0] > 0.5 and moved.iloc[-1] < 0.1
