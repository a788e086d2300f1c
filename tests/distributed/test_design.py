"""A gaussian model on a Dask DataFrame (2-worker LocalCluster, partitioned data): the
same statistics, priors, draws and REML estimates as the model on the rows in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.collapsed import collapsed_statistics
from hiermodels.errors import DataError, RowsNotHeldError, SpecError

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

FORMULA = "y ~ x + c + (x | g)"


def simulated(n=3000, J=30, seed=11) -> pd.DataFrame:
    """Rows in random order: every partition holds rows of most levels."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, J, n)
    x = rng.normal(2.0, 1.0, n)
    c = rng.choice(["low", "mid", "high"], n)
    u = rng.normal(0.0, [1.0, 0.4], size=(J, 2))
    y = (
        5.0 + 1.5 * x + np.select([c == "mid", c == "high"], [0.5, -0.7], 0.0)
        + u[g, 0] + u[g, 1] * x + rng.normal(0.0, 1.2, n)
    )  # fmt: skip
    return pd.DataFrame({"y": y, "x": x, "c": c, "g": [f"s{k}" for k in g]})


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def frames():
    df = simulated()
    return df, dd.from_pandas(df, npartitions=5, sort=False)


@pytest.fixture(scope="module")
def models(client, frames):
    df, ddf = frames
    before = ddf.compute()
    pair = hm.Model(FORMULA, df), hm.Model(FORMULA, ddf)
    pd.testing.assert_frame_equal(ddf.compute(), before)  # the caller's frame is unchanged
    return pair


def test_the_statistics_and_priors_are_those_of_the_rows_to_the_bit(models, frames):
    memory, dask_model = models
    assert dask_model.design.statistics is not None and len(dask_model.design.y) == 0
    assert dask_model.design.n_obs == len(frames[0])
    a = collapsed_statistics(memory.design, "g")
    b = collapsed_statistics(dask_model.design, "g")
    for key in ("counts", "ZtZ", "ZtF", "Zty", "FtF", "Fty", "yty", "y_mean", "n_obs"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert dask_model.priors == memory.priors
    assert dask_model.design.groups[0].levels == memory.design.groups[0].levels
    assert dask_model.design.fixed.names == memory.design.fixed.names


@pytest.fixture(scope="module")
def fits(models):
    options = {"draws": 500, "tune": 500, "chains": 2, "random_seed": 4, "progressbar": False}
    return tuple(m.fit(**options) for m in models)


def test_the_same_seed_gives_the_same_posterior(fits):
    memory, dask_fit = fits
    for name, draws in memory.posterior.data_vars.items():
        other = dask_fit.posterior[name].values
        sd = float(draws.std()) or 1.0
        assert np.max(np.abs(other - draws.values)) <= 1e-6 * sd, name
    assert "log_likelihood" not in dask_fit.idata.children


def test_summaries_run_on_the_statistics(fits):
    memory, dask_fit = fits
    pd.testing.assert_frame_equal(dask_fit.fixed_effects(), memory.fixed_effects(), rtol=1e-9)
    pd.testing.assert_frame_equal(
        dask_fit.variance_components(), memory.variance_components(), rtol=1e-9
    )
    assert "Number of obs: 3000" in str(dask_fit.summary())
    new = pd.DataFrame({"x": [0.0, 1.0], "c": ["low", "high"], "g": ["s1", "new"]})
    assert dask_fit.predict(new)["predictions"]["y"].shape == (2, 500, 2)


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda fit: fit.loo(), "LOO"),
        (lambda fit: fit.posterior_predictive(), "Replicated data"),
        (lambda fit: fit.predict(), "fitted rows"),
        (lambda fit: fit.r2(), "R²"),
        (lambda fit: fit.model.data, "data"),
    ],
)
def test_what_needs_the_rows_says_so(fits, call, what):
    with pytest.raises(RowsNotHeldError, match=r"ddf\.compute") as err:
        call(fits[1])
    assert what in str(err.value) and "3,000 rows" in str(err.value)


def test_methods_that_need_the_rows_are_refused(models):
    with pytest.raises(SpecError, match="valid choices here are 'auto' and 'marginal'"):
        models[1].fit(method="full")


@pytest.mark.parametrize("criterion", ["reml", "ml"])
def test_optimize_runs_on_the_statistics(models, criterion):
    memory, dask_model = models
    a, b = memory.optimize(criterion=criterion), dask_model.optimize(criterion=criterion)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-9)
    np.testing.assert_allclose(b.fixed_effects["estimate"], a.fixed_effects["estimate"], rtol=1e-7)
    np.testing.assert_allclose(
        b.variance_components["estimate"], a.variance_components["estimate"], rtol=1e-5
    )


def test_a_partitioned_parquet_data_set_gives_the_same_statistics(client, models, frames, tmp_path):
    frames[1].to_parquet(tmp_path / "data", write_index=False)
    model = hm.Model.from_parquet(tmp_path / "data", FORMULA)
    a = collapsed_statistics(models[0].design, "g")
    b = collapsed_statistics(model.design, "g")
    assert np.array_equal(a.FtF, b.FtF) and np.array_equal(a.ZtF, b.ZtF)


@pytest.mark.parametrize(
    ("formula", "options", "error", "match"),
    [
        (FORMULA, {"family": "poisson"}, SpecError, "family 'poisson'"),
        ("y ~ x + c", {}, SpecError, "no grouping factor"),
        ("y ~ center(x) + (1 | g)", {}, SpecError, "center"),
        (FORMULA, {"missing": "drop"}, SpecError, "dropna"),
        ("y ~ z + (1 | g)", {}, DataError, r"\['z'\]"),
    ],
)
def test_models_that_need_the_rows_get_a_clear_error(
    client, frames, formula, options, error, match
):
    with pytest.raises(error, match=match):
        hm.Model(formula, frames[1], **options)


def test_missing_values_are_counted_per_column(client, frames):
    df = frames[0].copy()
    df.loc[[3, 700, 2900], "x"] = np.nan
    with pytest.raises(DataError, match=r"\{'x': 3\}"):
        hm.Model(FORMULA, dd.from_pandas(df, npartitions=5, sort=False))


def crossed(n=4000, seed=12) -> pd.DataFrame:
    """Two crossed factors of over 100 levels each (both updated level by level)."""
    rng = np.random.default_rng(seed)
    site, rater = rng.integers(0, 150, n), rng.integers(0, 120, n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + rng.normal(0, 0.7, 150)[site] + rng.normal(0, 0.4, 120)[rater]
    return pd.DataFrame({"y": y + rng.normal(0, 1.0, n), "x": x, "site": site, "rater": rater})


@pytest.fixture(scope="module")
def crossed_models(client):
    df = crossed()
    formula = "y ~ x + (1 | site) + (1 | rater)"
    return hm.Model(formula, df), hm.Model(formula, dd.from_pandas(df, npartitions=5, sort=False))


def test_crossed_intercepts_run_the_gibbs_sampler_on_the_sums(crossed_models):
    from hiermodels.gibbs.statistics import gibbs_statistics

    memory, dask_model = crossed_models
    assert dask_model.priors == memory.priors
    got = dask_model.design.statistics.gibbs
    want = gibbs_statistics(memory.design, centre=got.centre, shift=got.shift)
    for key in ("counts", "Y", "L_val", "X_val", "BtB", "Bty"):
        np.testing.assert_allclose(getattr(got, key), getattr(want, key), rtol=1e-10, err_msg=key)
    assert np.array_equal(got.X_col, want.X_col) and got.n_obs == want.n_obs == 4000
    options = {"draws": 1000, "chains": 4, "random_seed": 2, "progressbar": False}
    a, b = memory.fit(method="gibbs", **options), dask_model.fit(**options)
    for name in ("Intercept", "b", "sd_site", "sd_rater", "sigma"):
        # independent chains: the means differ by Monte Carlo error (about 0.03 SD here)
        z = (b.posterior[name].mean() - a.posterior[name].mean()) / a.posterior[name].std()
        assert abs(float(z)) < 0.3, name
    with pytest.raises(SpecError, match="'auto' and 'gibbs'"):
        dask_model.fit(method="marginal")
    for criterion in ("reml", "ml"):  # from the cross-tabulations, as lmer from the rows
        want, got = memory.optimize(criterion=criterion), dask_model.optimize(criterion=criterion)
        assert got.loglik == pytest.approx(want.loglik, rel=1e-9)
        np.testing.assert_allclose(
            got.fixed_effects["estimate"], want.fixed_effects["estimate"], rtol=1e-6
        )
        np.testing.assert_allclose(
            got.variance_components["estimate"], want.variance_components["estimate"], rtol=1e-4
        )


def test_several_factors_with_slopes_are_refused(client):
    with pytest.raises(SpecError, match="intercepts only"):
        hm.Model("y ~ x + (x | site) + (1 | rater)", dd.from_pandas(crossed(), npartitions=2))


def test_empty_partitions_add_nothing(client, models, frames):
    df = frames[0]
    parts = [df.iloc[:0], df.iloc[:1000], df.iloc[:0], df.iloc[1000:]]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=df.iloc[:0])
    model = hm.Model(FORMULA, ddf)
    a = collapsed_statistics(models[0].design, "g")
    assert np.array_equal(collapsed_statistics(model.design, "g").FtF, a.FtF)
