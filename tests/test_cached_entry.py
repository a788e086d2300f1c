"""The sampler's cached entry points compute PyMC's log density and gradient, and read new
data through ``with_data`` (hiermodels.cached_entry). That a second process loads them
from the disk cache, with the same draws, is checked in tests/test_sampling.py."""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd
import pytest

import hiermodels as hm
from hiermodels.cached_entry import compile_cached, entry_source
from hiermodels.sampling import strict_float

# A varying intercept: numba compiles its graph cold in half the time of a varying slope's,
# and the entry points do not depend on the model's terms (only on its data containers).
FORMULA = "y ~ x + (1 | g)"


@pytest.fixture(scope="module")
def model():
    return hm.Model(FORMULA, _frame(4))


@pytest.fixture(scope="module")
def compiled(model):
    with strict_float():
        return compile_cached(model.pymc_model)


def _call_logp(compiled, x, user_data=None):
    """The log density and gradient through the C entry point, as nutpie calls it."""
    user_data = compiled.user_data if user_data is None else user_data
    x = np.ascontiguousarray(x, dtype=float)
    grad = np.zeros_like(x)
    logp = np.zeros(())
    status = compiled.compiled_logp_func.ctypes(
        x.size,
        x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        grad.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        logp.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        user_data.ctypes.data_as(ctypes.c_void_p),
    )
    assert status == 0
    return float(logp), grad


def _point(compiled, x):
    names, slices, shapes = compiled.shape_info
    point, size = {}, 0
    for name, where, shape in zip(names, slices, shapes, strict=True):
        if size == compiled.n_dim:
            break
        point[name] = x[where].reshape(shape)
        size += int(np.prod(shape))
    return point


def _pymc_logp_and_grad(pymc_model, compiled, x):
    point = _point(compiled, x)
    # PyTensor's Python linker: nothing to compile with numba for a few points
    logp = pymc_model.compile_logp(jacobian=True, mode="FAST_COMPILE")(point)
    grad = pymc_model.compile_dlogp(jacobian=True, mode="FAST_COMPILE")(point)
    return float(logp), np.asarray(grad)


def test_log_density_and_gradient_equal_pymc_at_random_points(model, compiled):
    rng = np.random.default_rng(0)
    value_names = [v.name for v in model.pymc_model.value_vars]
    assert list(_point(compiled, np.zeros(compiled.n_dim))) == value_names  # dlogp's order
    for _ in range(5):
        x = rng.normal(0, 0.5, compiled.n_dim)
        logp, grad = _call_logp(compiled, x)
        ref_logp, ref_grad = _pymc_logp_and_grad(model.pymc_model, compiled, x)
        assert abs(logp - ref_logp) <= 1e-10 * max(1.0, abs(ref_logp))
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-10)


def test_with_data_reads_the_new_data_through_the_same_entry_point(model, compiled):
    import pymc as pm

    var = next(  # a data vector of one value per row (the response)
        var
        for var in compiled.shared_var_keys
        if np.asarray(var.get_value()).shape == (30,) and var.get_value().dtype.kind == "f"
    )
    old = var.get_value()
    x = np.random.default_rng(1).normal(0, 0.5, compiled.n_dim)
    before, _ = _call_logp(compiled, x)
    swapped = compiled.with_data(**{var.name: old * 2})
    after, after_grad = _call_logp(swapped, x, swapped.user_data)
    assert after != before
    with model.pymc_model:
        pm.set_data({var.name: old * 2})
        try:
            ref, ref_grad = _pymc_logp_and_grad(model.pymc_model, compiled, x)
        finally:
            pm.set_data({var.name: old})
    assert abs(after - ref) <= 1e-10 * max(1.0, abs(ref))
    np.testing.assert_allclose(after_grad, ref_grad, rtol=1e-10, atol=1e-10)


def test_entry_source_depends_on_layout_not_on_values():
    small = {"d0": np.zeros(3), "d1": np.zeros((2, 2), dtype=np.int64)}
    large = {"d0": np.ones(300), "d1": np.ones((7, 2), dtype=np.int64)}
    assert entry_source("logp", 4, 1, ["d1", "d0"], small) == entry_source(
        "logp", 4, 1, ["d1", "d0"], large
    )
    other = {"d0": np.zeros(3, dtype=np.int32), "d1": small["d1"]}
    assert entry_source("logp", 4, 1, ["d1", "d0"], other) != entry_source(
        "logp", 4, 1, ["d1", "d0"], small
    )


def _frame(seed: int, groups: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), 5)
    x = rng.normal(size=g.size)
    frame = pd.DataFrame({"x": x, "g": [f"g{j}" for j in g]})
    frame["y"] = 0.5 + x + rng.normal(0, 0.7, groups)[g] + rng.normal(0, 0.5, g.size)
    return frame


def test_a_model_of_the_same_graph_on_other_data_skips_pytensor(compiled):
    # other data, same levels and rows: the manifest path (no PyTensor function) that
    # reads the new model's data containers, with its default priors scaled to them
    other = hm.Model(FORMULA, _frame(9).assign(y=lambda f: 10 * f.y))
    with strict_float():
        again = compile_cached(other.pymc_model)
    assert again.logp_func is None  # built from the manifest
    assert again.compiled_logp_func.cache_hits == 1
    x = np.random.default_rng(2).normal(0, 0.5, again.n_dim)
    logp, grad = _call_logp(again, x)
    ref_logp, ref_grad = _pymc_logp_and_grad(other.pymc_model, again, x)
    assert abs(logp - ref_logp) <= 1e-10 * max(1.0, abs(ref_logp))
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-10)
    assert abs(logp - _call_logp(compiled, x)[0]) > 1.0  # not the first model's density


def test_a_different_graph_gets_a_different_key(model):
    from hiermodels.manifests import model_key

    # fresh models (a model's logp graph reads differently once PyMC compiled parts of
    # it: a miss, never a wrong hit); parameterization="auto" may choose otherwise on
    # other data, so it is fixed
    fixed = {"parameterization": model.parameterization}
    first = hm.Model("y ~ x + (1 + x | g)", _frame(4), **fixed)
    same = hm.Model("y ~ x + (1 + x | g)", _frame(9), **fixed)
    more_levels = hm.Model("y ~ x + (1 + x | g)", _frame(4, groups=7), **fixed)
    other_formula = hm.Model("y ~ x + (1 | g)", _frame(4), **fixed)
    key = model_key(first.pymc_model, "test")
    assert model_key(same.pymc_model, "test") == key
    assert model_key(more_levels.pymc_model, "test") != key
    assert model_key(other_formula.pymc_model, "test") != key
    assert model_key(first.pymc_model, "another wrapper version") != key
