"""Simulation-based calibration: the quick version of docs/validation/run_sbc.py.

A few simulations of a tiny model, once here and once on a 2-worker Dask LocalCluster
(processes): the ranks are in range, both runs agree exactly, and each worker compiles
once. The uniformity tests are checked on ranks with a known answer: those of a
normal-normal model against its exact posterior (uniform) and against a posterior
half as wide (not uniform).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.sbc import SBCResult, tracked_parameters
from hiermodels.spec.recipe import ModelRecipe

SEED = 20261122
SETTINGS = dict(n_sims=6, draws=100, tune=100, chains=2, rank_draws=49, random_seed=SEED)


def tiny_data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    code = np.repeat(np.arange(8), 4)
    y = 2.0 + rng.normal(0.0, 1.0, 8)[code] + rng.normal(0.0, 1.0, code.size)
    return pd.DataFrame({"y": y, "g": [f"g{c}" for c in code]})


@pytest.fixture(scope="module")
def model() -> hm.Model:
    return hm.Model("y ~ 1 + (1 | g)", tiny_data(), parameterization="non_centered")


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def on_cluster(model, client) -> SBCResult:
    return hm.sbc(model, executor=client, **SETTINGS)


@pytest.fixture(scope="module")
def here(model) -> SBCResult:
    return hm.sbc(model, **SETTINGS)


# ------------------------------------------------------------------ quick runs
@pytest.mark.slow
def test_ranks_are_in_range_for_every_parameter(on_cluster):
    ranks = on_cluster.ranks
    assert list(ranks.columns) == [
        "Intercept",
        "sigma",
        "sd_g[Intercept]",
        "r_g[g0,Intercept]",
        "r_g[g1,Intercept]",
    ]
    assert ranks.shape == (SETTINGS["n_sims"], 5)
    assert ranks.to_numpy().min() >= 0 and ranks.to_numpy().max() <= SETTINGS["rank_draws"]
    assert (on_cluster.truth["sd_g[Intercept]"] > 0).all()
    assert on_cluster.settings["executor"] == "dask"


@pytest.mark.slow
def test_cluster_and_serial_runs_agree_exactly(on_cluster, here):
    pd.testing.assert_frame_equal(on_cluster.ranks, here.ranks)
    pd.testing.assert_frame_equal(on_cluster.truth, here.truth)
    columns = ["seed", "n_divergent", "ess_bulk_min", "r_hat_max"]
    pd.testing.assert_frame_equal(on_cluster.simulations[columns], here.simulations[columns])


@pytest.mark.slow
def test_each_worker_compiles_once_and_records_every_simulation(on_cluster, here):
    import os

    sims = on_cluster.simulations
    workers = set(sims["pid"])
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    for pid in workers:
        assert (sims.loc[sims["pid"] == pid, "seconds_compile"] > 0).sum() == 1
    assert set(here.simulations["pid"]) == {os.getpid()}
    assert (sims["n_divergent"] >= 0).all() and len(sims) == SETTINGS["n_sims"]
    assert (sims["ess_bulk_min"] > 0).all()


@pytest.mark.slow
def test_plot_renders_to_png(on_cluster, tmp_path):
    fig = on_cluster.plot(["Intercept", "sigma", "sd_g[Intercept]"], columns=2)
    path = tmp_path / "sbc.png"
    fig.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sum(ax.get_visible() for ax in fig.axes) == 3
    with pytest.raises(SpecError, match=r"Unknown parameter\(s\) \['tau'\]"):
        on_cluster.plot(["tau"])


# ------------------------------------------------------------------ bad input
def test_hm_sbc_is_the_function_after_its_module_is_imported():
    import sys

    import hiermodels.compare
    import hiermodels.sbc  # noqa: F401 - binds the submodules on the package

    assert hm.sbc is sys.modules["hiermodels.sbc"].sbc
    assert hm.compare is sys.modules["hiermodels.compare"].compare
    assert hm.SBCResult is SBCResult


def test_sbc_rejects_bad_input_before_sampling(model):
    with pytest.raises(SpecError, match=r"takes an hm\.Model, got DataFrame"):
        hm.sbc(tiny_data())
    with pytest.raises(SpecError, match=r"rank_draws=500 exceeds the 200 posterior draws"):
        hm.sbc(model, draws=100, chains=2, rank_draws=500)
    with pytest.raises(SpecError, match="n_sims must be an integer >= 1"):
        hm.sbc(model, n_sims=0)
    with pytest.raises(SpecError, match="executor must be None"):
        hm.sbc(model, executor="tcp://127.0.0.1:8786")
    with pytest.raises(SpecError, match=r"Unknown parameterization 'centered' for sbc\(\)"):
        hm.sbc(model, parameterization="centered")


def test_auto_parameterization_follows_the_simulated_response():
    """As hm.Model(..., parameterization="auto") would choose for each data set."""
    from hiermodels.sbc.refit import chosen_parameterization

    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (Days | Subject)", sleep, parameterization="non_centered")
    assert chosen_parameterization(model, model.design.y) == (("Subject", "centered"),)
    noise = np.random.default_rng(1).normal(size=model.design.n_obs)
    assert chosen_parameterization(model, noise) == (("Subject", "non_centered"),)


def test_a_failed_reml_pilot_falls_back_to_the_model_parameterization(model, monkeypatch):
    import hiermodels.optimize
    from hiermodels.sbc.refit import Setup, chosen_parameterization, model_for

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(hiermodels.optimize, "data_dominance", singular)
    assert chosen_parameterization(model, model.design.y) is None
    setup = Setup(
        recipe=ModelRecipe.of(model),
        parameters=(),
        sample_options={},
        rank_draws=9,
        parameterization="auto",
    )
    cached, note = model_for(setup, model.design.y)
    assert cached.model.parameterization == {"g": "non_centered"}
    assert "REML pilot failed" in note


def test_tracked_parameters_of_correlated_crossed_and_membership_factors():
    rng = np.random.default_rng(0)
    n = 24
    data = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "a": [f"a{i % 3}" for i in range(n)],
            "site": [f"t{i % 4}" for i in range(n)],
            "s1": [f"s{i % 5}" for i in range(n)],
            "s2": [f"s{(i + 1) % 5}" for i in range(n)],
            "w1": 0.5,
            "w2": 0.5,
        }
    )
    model = hm.Model("y ~ x + (1 + x | a) + (1 | site) + (1 | mm(s1, s2, weights=[w1, w2]))", data)
    labels = [p.label for p in tracked_parameters(model, n_group_levels=1)]
    assert labels == [
        "Intercept",
        "b[x]",
        "sigma",
        "sd_a[Intercept]",
        "sd_a[x]",
        "cor_a[x,Intercept]",
        "r_a[a0,Intercept]",
        "r_a[a0,x]",
        "sd_site[Intercept]",
        "r_site[t0,Intercept]",
        "sd_mm(s1+s2)[Intercept]",
        "r_mm(s1+s2)[s0,Intercept]",
    ]
    uncorrelated = hm.Model("y ~ x + (1 + x || a)", data)
    assert "cor_a[x,Intercept]" not in [p.label for p in tracked_parameters(uncorrelated)]


# ------------------------------------------------------------------ the tests of uniformity
def normal_normal_ranks(n_sims: int, width: float, seed: int, rank_draws: int = 99):
    """theta ~ N(0, 1), y ~ N(theta, 1): the posterior is N(y / 2, 1 / 2).

    Ranks of theta among ``rank_draws`` independent draws from N(y / 2, width² / 2):
    ``width=1`` is the exact posterior, ``width<1`` too narrow.
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n_sims)
    y = rng.normal(theta, 1.0)
    draws = rng.normal(y[:, None] / 2, width * np.sqrt(0.5), size=(n_sims, rank_draws))
    return (draws < theta[:, None]).sum(axis=1)


def result_of(ranks: dict[str, np.ndarray], rank_draws: int = 99) -> SBCResult:
    frame = pd.DataFrame(ranks)
    sims = pd.DataFrame({"n_divergent": np.zeros(len(frame), dtype=int)})
    return SBCResult(
        ranks=frame, truth=frame * np.nan, simulations=sims, rank_draws=rank_draws,
        formula="theta ~ normal", family="gaussian",
    )  # fmt: skip


@pytest.mark.parametrize("method", ["ecdf", "chi2"])
def test_uniformity_passes_the_exact_posterior_and_rejects_a_narrow_one(method):
    result = result_of(
        {
            "exact": normal_normal_ranks(200, 1.0, seed=1),
            "exact again": normal_normal_ranks(200, 1.0, seed=2),
            "too narrow": normal_normal_ranks(200, 0.6, seed=3),
            "shifted": np.minimum(normal_normal_ranks(200, 1.0, seed=4) + 20, 99),
        }
    )
    table = result.uniformity(method=method)
    assert list(table.index) == ["exact", "exact again", "too narrow", "shifted"]
    assert (table.loc[["exact", "exact again"], "p_bonferroni"] > 0.01).all()
    assert (table.loc[["too narrow", "shifted"], "p_bonferroni"] < 0.01).all()
    np.testing.assert_allclose(
        table["p_bonferroni"], np.minimum(1, 4 * table["p_value"]), rtol=1e-12
    )


def test_uniform_ranks_are_rejected_at_the_nominal_rate():
    """Under uniformity, p < 0.05 in about 5% of 400 data sets (binomial 99.9% range)."""
    rng = np.random.default_rng(5)
    ranks = {f"u{i}": rng.integers(0, 100, size=100) for i in range(400)}
    result = result_of(ranks)
    low, high = stats.binom.ppf([0.0005, 0.9995], 400, 0.05)
    for method in ("ecdf", "chi2"):
        rejected = int((result.uniformity(method=method)["p_value"] < 0.05).sum())
        assert low <= rejected <= high, (method, rejected)


def test_uniformity_rejects_bad_options():
    result = result_of({"a": np.arange(100)})
    valid = r"Unknown method 'ks'; valid methods are \['ecdf', 'chi2'\]"
    with pytest.raises(SpecError, match=valid):
        result.uniformity(method="ks")
    with pytest.raises(SpecError, match="bins applies to method='chi2' only"):
        result.uniformity(bins=10)
    assert result.uniformity(method="chi2", bins=10).loc["a", "df"] == 9
