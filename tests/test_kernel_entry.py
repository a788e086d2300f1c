"""Collapsed gaussian models sample on the compiled kernel, with nothing compiled per model,
and the same seed gives the same draws whether numba compiled the kernel cold or loaded it
(in fresh processes, which also check that a fit imports no library it does not use)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from fresh_process import fit_in_fresh_process

import hiermodels as hm
from hiermodels.kernel_entry import (
    COLLAPSED_SMALL,
    INTERCEPTS,
    compile_collapsed,
    compile_intercepts,
    copy_entry_point,
    entry_point,
)

_FIT_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import hiermodels as hm
    from hiermodels.kernel_entry import COLLAPSED_SMALL, copy_entry_point, entry_point

    model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    fit = model.fit(draws=200, tune=200, chains=2, cores=1, random_seed=9, progressbar=False)
    assert fit.idata.attrs["log_density"] == "kernel"
    post = fit.idata["posterior"]
    np.save(sys.argv[1], np.concatenate(
        [post[v].values.reshape(2, 200, -1) for v in sorted(post.data_vars)], axis=-1))
    # A fit loads none of the libraries it does not use (issue 18: about 1.5 s of a fresh
    # process): arviz's meta-package (nutpie_trace), plots, scipy.stats, the optimiser.
    unused = ("arviz", "arviz_stats", "arviz_plots", "matplotlib", "scipy.stats", "scipy.optimize")
    assert not [m for m in unused if m in sys.modules], [m for m in unused if m in sys.modules]
    hits = [entry_point(COLLAPSED_SMALL).cache_hits, copy_entry_point().cache_hits]
    np.save(sys.argv[1] + ".hits.npy", np.array(hits))
    """
)


@pytest.mark.slow
def test_same_seed_same_draws_from_a_cold_and_a_warm_kernel_cache(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(_FIT_SCRIPT)
    cache = tmp_path / "cache"  # empty: the first process compiles the kernel cold
    cold, cold_hits = fit_in_fresh_process(script, tmp_path / "cold.npy", cache)
    warm, warm_hits = fit_in_fresh_process(script, tmp_path / "warm.npy", cache)
    assert cold.shape == warm.shape and cold.shape[:2] == (2, 200)
    np.testing.assert_array_equal(cold, warm)
    assert cold_hits.tolist() == [0, 0]  # compiled in the first process ...
    assert warm_hits.tolist() == [1, 1]  # ... and loaded from the disk in the second


@pytest.fixture(scope="module")
def sleepstudy():
    return hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))


def test_a_collapsed_gaussian_fit_uses_the_kernel_and_matches_lme4(sleepstudy):
    fit = sleepstudy.fit(draws=500, tune=500, chains=2, random_seed=3, progressbar=False)
    assert fit.idata.attrs["log_density"] == "kernel"
    post = fit.idata["posterior"]
    # lme4 REML (tests/reference): Intercept 251.405 (SE 6.825), Days 10.467 (SE 1.546)
    for value, name in ((251.405, "Intercept"), (10.467, None)):
        draws = post[name].values if name else post["b"].values[..., 0]
        assert abs(draws.mean() - value) < 0.5 * draws.std()
    assert set(post.data_vars) >= {"sd_Subject", "cor_Subject", "sigma", "r_Subject"}


def test_the_kernel_model_is_the_pymc_models_layout(sleepstudy):
    """The compiled kernel model names and shapes its draws as PyMC's model does."""
    pymc_model = sleepstudy.collapsed_model("Subject")
    kernel = compile_collapsed(pymc_model, sleepstudy.design, sleepstudy.priors, "Subject")
    names, _, shapes = kernel.layout.shape_info
    free = [pymc_model.rvs_to_values[v].name for v in pymc_model.free_RVs]
    assert names[: len(free)] == free
    assert dict(zip(names, shapes, strict=True))["cor_Subject"] == (2, 2)
    assert kernel.compiled.compiled_logp_func is entry_point(COLLAPSED_SMALL)  # one for all


def test_other_data_of_another_structure_reuse_the_entry_points():
    radon = hm.Model("log_radon ~ floor + (1 | county)", hm.datasets.load("radon"))
    kernel = compile_collapsed(
        radon.collapsed_model("county"), radon.design, radon.priors, "county"
    )
    assert kernel.compiled.n_dim == 4
    assert kernel.compiled.compiled_logp_func is entry_point(COLLAPSED_SMALL)
    assert kernel.compiled.compiled_expand_func is copy_entry_point()


def test_a_varying_intercept_glmm_shares_the_small_collapsed_models_entry_point():
    """A Bernoulli model after a gaussian one compiles nothing (issue 18): one entry point
    serves both kernels, told apart by the last value of the ``ints`` it reads."""
    assert entry_point(INTERCEPTS) is entry_point(COLLAPSED_SMALL)
    data = hm.datasets.load("cbpp")
    model = hm.Model("incidence | trials(size) ~ period + (1 | herd)", data, family="binomial")
    kernel = compile_intercepts(model.pymc_model, model)
    assert kernel.compiled.compiled_logp_func is entry_point(COLLAPSED_SMALL)
    # its density through the shared entry point equals PyMC's:
    # tests/kernels/test_intercept_density.py
