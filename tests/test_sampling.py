"""Sampler entry points: options checked before any model is compiled, and the same draws
for the same seed whether the model's compiled code came from a cold or a warm cache."""

from __future__ import annotations

import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from fresh_process import fit_in_fresh_process

import hiermodels as hm
from hiermodels import sampling
from hiermodels.errors import SamplerError
from hiermodels.sampling import check_sampler_options, strict_float

# With PyTensor's default fast-math flags, a Student-t model's draws differed between a
# process that compiled the model cold and one that loaded it from the cache (faf787f,
# correlated slopes: the CI failure of issue #21). This varying-intercept model shows the
# same fault and compiles in half the time: with fast-math put back (strict_float made a
# no-op) its cold and warm draws differed by up to 2.4e-4, the slopes model's by up to 25
# (cold compiles measured side by side: 38 s against 78 s).
_FIT_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pandas as pd
    import hiermodels as hm

    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(12), 10)
    x = rng.uniform(-1, 1, g.size)
    y = 0.3 + 0.8 * x + rng.normal(0, 0.6, 12)[g] + 0.5 * rng.standard_t(4, g.size)
    data = pd.DataFrame({"y": y, "x": x, "g": [f"g{j}" for j in g]})
    model = hm.Model("y ~ 1 + (1 | g)", data, family="student_t")
    fit = model.fit(draws=100, tune=100, chains=2, cores=1, random_seed=5, progressbar=False,
                    log_density="pymc_graph")
    post = fit.idata["posterior"]
    np.save(sys.argv[1], np.concatenate(
        [post[v].values.reshape(2, 100, -1) for v in sorted(post.data_vars)], axis=-1))
    from hiermodels.sampling import compiled_for
    compiled = compiled_for(model.pymc_model)  # the one the fit used
    hits = [compiled.compiled_logp_func.cache_hits, compiled.compiled_expand_func.cache_hits]
    np.save(sys.argv[1] + ".hits.npy", np.array(hits))
    """
)


@pytest.mark.slow
def test_same_seed_gives_the_same_draws_from_a_cold_and_a_warm_compile_cache(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(_FIT_SCRIPT)
    cache = tmp_path / "cache"  # empty: the first process compiles everything cold
    cold, cold_hits = fit_in_fresh_process(script, tmp_path / "cold.npy", cache)
    warm, warm_hits = fit_in_fresh_process(script, tmp_path / "warm.npy", cache)
    assert cold.shape == warm.shape == (2, 100, cold.shape[-1])
    np.testing.assert_array_equal(cold, warm)
    # The sampler's entry points (log density, draws) compiled in the first process and
    # were loaded from the disk cache in the second (hiermodels.cached_entry).
    assert cold_hits.tolist() == [0, 0]
    assert warm_hits.tolist() == [1, 1]


def test_strict_float_compiles_without_fast_math_and_restores_the_setting():
    import pytensor

    before = pytensor.config.numba__fastmath
    with strict_float():
        assert pytensor.config.numba__fastmath is False
    assert pytensor.config.numba__fastmath == before


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("draws", 0, "draws must be an integer >= 1"),
        ("tune", -1, "tune must be an integer >= 0"),
        ("chains", 1.5, "chains must be an integer >= 1"),
        ("target_accept", 1.0, "target_accept must be between 0 and 1"),
        ("sampler", "hmc", "valid samplers are"),
    ],
)
def test_bad_sampler_options_are_named(option, value, message):
    options = dict(sampler="nutpie", draws=10, tune=10, chains=1, cores=None, target_accept=None)
    options[option] = value
    with pytest.raises(SamplerError, match=message):
        check_sampler_options(**options)


def _model() -> hm.Model:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=30), "g": list("abc") * 10})
    frame["y"] = frame["x"] + rng.normal(size=30)
    return hm.Model("y ~ x + (1 | g)", frame, family="student_t")


def test_unknown_nutpie_key_fails_before_compiling():
    model = _model()
    start = time.perf_counter()
    with pytest.raises(
        SamplerError, match=r"Unknown sampler_kwargs \['max_depth'\] for nutpie; valid keys"
    ) as info:
        model.fit(draws=10, tune=10, chains=1, progressbar=False, sampler_kwargs={"max_depth": 9})
    assert time.perf_counter() - start < 5
    assert "'maxdepth'" in str(info.value) and "'adaptation'" in str(info.value)
    assert model.pymc_model not in sampling._COMPILED  # nothing was compiled


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"adaptation": "lowrank"}, r"adaptation='lowrank' is not valid for nutpie; valid "),
        ({"maxdepth": "deep"}, r"maxdepth='deep' is not valid for nutpie"),
        ({"draws": 5}, r"sampler_kwargs \['draws'\] are set by fit\(\) itself"),
        ({"blocking": False}, r"\['blocking'\] cannot be changed"),
        ([("maxdepth", 3)], r"sampler_kwargs must be a dict of option -> value, got list"),
    ],
)
def test_bad_nutpie_kwargs(kwargs, message):
    with pytest.raises(SamplerError, match=message):
        sampling.check_sampler_kwargs("nutpie", kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        None,
        {},
        {"maxdepth": 12},
        {"target_accept": 0.9},
        {"adaptation": "low_rank"},
        {"adaptation": "flow", "maxdepth": 8},
        {"store_divergences": True, "mindepth": 1},
    ],
)
def test_valid_nutpie_kwargs_pass(kwargs):
    sampling.check_sampler_kwargs("nutpie", kwargs)


def test_pymc_kwargs_that_fit_sets_itself():
    with pytest.raises(SamplerError, match=r"\['chains', 'random_seed'\] are set by fit"):
        sampling.check_sampler_kwargs("pymc", {"random_seed": 1, "chains": 2, "init": "adapt_diag"})
    sampling.check_sampler_kwargs("pymc", {"init": "adapt_diag"})


def test_an_unknown_log_density_names_the_choices_before_compiling():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
    with pytest.raises(SamplerError, match=r"log_density='graph'.*'auto' or 'pymc_graph'"):
        hm.Model("y ~ 1 + (1 | g)", data).fit(log_density="graph")
