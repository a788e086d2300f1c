"""Sampler options are checked before any model is compiled."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels import sampling
from hiermodels.errors import SamplerError


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
