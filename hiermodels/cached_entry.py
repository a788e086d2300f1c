"""nutpie's compiled model with entry points that numba caches on disk.

nutpie calls a model's log density and gradient through two numba ``cfunc`` wrappers
around PyTensor's compiled graph. Its own wrappers close over the data arrays and a fresh
``uuid4`` per data container, so numba never finds them in its cache, and every new
process compiles them again: 10-20 s for a small model even when PyTensor's graph comes
from the cache (docs/performance.md). The wrappers built here hold nothing per process:

- the data arrays are reached only through the pointers in nutpie's ``user_data``
  record (with fixed names ``d0``, ``d1``, ... instead of random ones), read as a flat
  ``uint64`` array;
- the wrapper's source is generated from what the compiled code depends on (the number of
  parameters, each data container's rank and dtype, and PyTensor's own cache key of the
  compiled graph), and that key names the wrapper's entry in PyTensor's numba cache.

So a second process that builds the same model structure loads both wrappers from disk.
The graph and its data are PyTensor's and nutpie's as before: the log density and the
draws are the same as with ``nutpie.compile_pymc_model`` (a test compares them).

Where PyTensor cannot cache the graph (it returns no cache key), or nutpie's internals
differ from the version this was written against, :func:`compile_cached` falls back to
``nutpie.compile_pymc_model``.

Examples
--------
>>> import numpy as np, pymc as pm
>>> with pm.Model() as model:
...     y = pm.Data("y", np.array([0.1, -0.3, 0.5]))
...     mu = pm.Normal("mu")
...     _ = pm.Normal("obs", mu, 1.0, observed=y)
>>> compiled = compile_cached(model)
>>> compiled.n_dim
1
"""

from __future__ import annotations

import functools
import hashlib
import warnings

import numpy as np

from hiermodels import manifests
from hiermodels.nutpie_trace import import_nutpie

__all__ = ["compile_cached", "entry_source"]

#: Bump when the generated source changes: it is part of every cache key.
WRAPPER_VERSION = "2"


@functools.cache
def _address_as_pointer():
    """A numba intrinsic turning an integer address into a ``void*`` (made once)."""
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def address_as_pointer(typingctx, address):
        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return types.voidptr(address), codegen

    return address_as_pointer


def _layout(shared_data: dict[str, np.ndarray]) -> tuple[dict[str, int], int]:
    """Offsets into the flat ``uint64`` view of nutpie's user-data record: each key's
    pointer at ``i``, its size at ``k + i`` and its shape from ``offset[key]``."""
    keys = list(shared_data)
    k = len(keys)
    offsets, at = {}, 2 * k
    for key in keys:
        offsets[key] = at
        at += shared_data[key].ndim
    return offsets, at


def _array_expression(index: int, k: int, offset: int, array: np.ndarray) -> str:
    shape = ", ".join(f"int(ud[{offset + d}])" for d in range(array.ndim))
    shape = f"({shape},)" if array.ndim == 1 else f"({shape})"
    dtype = f"np.{array.dtype.type.__name__}"
    return (
        f"carray(to_pointer(ud[{index}]), (int(ud[{k + index}]),), dtype={dtype}).reshape({shape})"
    )


def entry_source(
    kind: str, n_dim: int, n_out: int, keys: list[str], shared_data: dict[str, np.ndarray]
) -> str:
    """The source of one wrapper: ``kind`` "logp" (log density and gradient) or
    "expand" (the draws' values on the constrained scale); ``keys`` are the data
    containers the compiled graph takes, in its argument order."""
    order = list(shared_data)
    offsets, total = _layout(shared_data)
    k = len(order)
    lines = [f"    ud = carray(user_data_, ({max(total, 1)},), dtype=np.uint64)"]
    args = ["x"]
    for j, key in enumerate(keys):
        expr = _array_expression(order.index(key), k, offsets[key], shared_data[key])
        lines.append(f"    a{j} = {expr}")
        args.append(f"a{j}")
    call = ", ".join(args)
    if kind == "logp":
        head = "def hm_logp(dim, x_, out_, logp_, user_data_):"
        body = [
            f"    if dim != {n_dim}:",
            "        return -1",
            "    try:",
            f"        x = carray(x_, ({n_dim},))",
            f"        out = carray(out_, ({n_dim},))",
            "        logp = carray(logp_, ())",
            *["    " + line for line in lines],
            f"        logp_val, grad = inner({call})",
            "        logp[()] = logp_val",
            "        out[...] = grad",
            "        if not np.all(np.isfinite(out)):",
            "            return 3",
            "        if not np.isfinite(logp_val):",
            "            return 4",
            "    except Exception:",
            "        return 1",
            "    return 0",
        ]
    else:
        head = "def hm_expand(dim, expanded, x_, out_, user_data_):"
        body = [
            f"    if dim != {n_dim} or expanded != {n_out}:",
            "        return -1",
            "    try:",
            f"        x = carray(x_, ({n_dim},))",
            f"        out = carray(out_, ({n_out},))",
            *["    " + line for line in lines],
            f"        (values,) = inner({call})",
            "        out[...] = values",
            "    except Exception:",
            "        return -2",
            "    return 0",
        ]
    return "\n".join([head, *body]) + "\n"


def _signatures():
    from numba import types

    logp = types.int64(
        types.uint64,
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.voidptr,
    )
    expand = types.int64(
        types.uint64,
        types.uint64,
        types.CPointer(types.double),
        types.CPointer(types.double),
        types.voidptr,
    )
    return {"logp": logp, "expand": expand}


def _cfunc(kind, graph_key, inner, n_dim, n_out, keys, shared_data):
    """A numba cfunc for one wrapper, from the disk cache when it holds it."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    source = entry_source(kind, n_dim, n_out, keys, shared_data)
    key = hashlib.sha256(
        "\n".join([WRAPPER_VERSION, numba.__version__, graph_key, source]).encode()
    ).hexdigest()
    env = {
        "__name__": __name__,  # numba rebuilds the environment from this module's name
        "np": np,
        "carray": numba.carray,
        "to_pointer": _address_as_pointer(),
        "inner": inner,
    }
    py_func = compile_numba_function_src(source, f"hm_{kind}", global_env=env, cache_key=key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=numba.NumbaWarning)
        return numba.cfunc(_signatures()[kind], cache=True)(py_func)


def _compiled_graph_key(function) -> str | None:
    """PyTensor's numba cache key of a compiled function's graph, if it has one."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    return CACHED_SRC_FUNCTIONS.get(getattr(function.vm.jit_fn, "py_func", None))


def _nutpie_parts():
    """nutpie's internal helpers this module builds on, or None for another nutpie."""
    try:
        compile_pymc = import_nutpie().compile_pymc
    except (ImportError, AttributeError):
        return None
    names = ("_make_functions", "make_user_data", "_prepare_dims_and_coords")
    names += ("_wrap_with_lock", "_rv_dict_to_flat_array_wrapper", "CompiledPyMCModel")
    if not all(hasattr(compile_pymc, n) for n in names):
        return None
    return compile_pymc


def _initial_point(model):
    from pymc.initial_point import make_initial_point_fn

    return make_initial_point_fn(
        model=model,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )


def _shared(variables) -> tuple[dict, dict[str, np.ndarray]]:
    """Fixed keys ``d0``, ``d1``, ... for the data containers, and read-only copies."""
    keys: dict = {}
    shared_data: dict[str, np.ndarray] = {}
    for var in variables:
        if var in keys:
            continue
        keys[var] = f"d{len(keys)}"
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        shared_data[keys[var]] = value
    return keys, shared_data


def _assemble(nutpie_pymc, model, parts: dict, initial_fn, keys, shared_data, logp, expand):
    shape_info = parts["shape_info"]
    dims, coords = nutpie_pymc._prepare_dims_and_coords(model, shape_info, parts["renamed"])
    return nutpie_pymc.CompiledPyMCModel(
        _n_dim=parts["n_dim"],
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp,
        compiled_expand_func=expand,
        initial_point_func=initial_fn,
        shared_data=shared_data,
        shared_var_keys=keys,
        user_data=nutpie_pymc.make_user_data(keys, shared_data),
        n_expanded=parts["n_expanded"],
        shape_info=shape_info,
        logp_func=parts.get("logp_pt"),
        expand_func=parts.get("expand_pt"),
        reparameterized_names=parts["renamed"],
    )


def _compile_full(nutpie_pymc, model):
    """PyTensor's rewrites and compilation, then the wrappers; ``(compiled, manifest)``."""
    initial_point = nutpie_pymc._wrap_with_lock(_initial_point(model))
    n_dim, n_expanded, logp_pt, expand_pt, initial_fn, shape_info, renamed = (
        nutpie_pymc._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=initial_point,
            var_names=None,
        )
    )
    logp_key, expand_key = _compiled_graph_key(logp_pt), _compiled_graph_key(expand_pt)
    if logp_key is None or expand_key is None:  # PyTensor cannot cache this graph
        return None, None
    keys, shared_data = _shared([*logp_pt.get_shared(), *expand_pt.get_shared()])
    logp_keys = [keys[var] for var in logp_pt.get_shared()]
    expand_keys = [keys[var] for var in expand_pt.get_shared()]
    logp = _cfunc("logp", logp_key, logp_pt.vm.jit_fn, n_dim, 1, logp_keys, shared_data)
    expand = _cfunc(
        "expand", expand_key, expand_pt.vm.jit_fn, n_dim, n_expanded, expand_keys, shared_data
    )
    parts = {
        "n_dim": n_dim,
        "n_expanded": n_expanded,
        "shape_info": shape_info,
        "renamed": renamed,
        "n_joined": len(model.free_RVs),
        "logp_pt": logp_pt,
        "expand_pt": expand_pt,
    }
    compiled = _assemble(nutpie_pymc, model, parts, initial_fn, keys, shared_data, logp, expand)
    manifest = manifests.record(model, parts, keys, logp_keys, expand_keys, logp_key, expand_key)
    return compiled, manifest


def _compile_from_manifest(nutpie_pymc, model, manifest: dict):
    """The compiled model from a manifest and the cached wrappers, without PyTensor's
    rewrites; None when a data container or a cached wrapper is missing."""
    variables = manifests.data_containers(model, manifest["data"])
    if variables is None:
        return None
    keys, shared_data = _shared(variables)
    parts = manifests.parts(manifest)
    n_dim = parts["n_dim"]
    joined = [(n, s) for n, _, s in zip(*parts["shape_info"], strict=True)][: parts["n_joined"]]
    initial_fn = nutpie_pymc._rv_dict_to_flat_array_wrapper(
        nutpie_pymc._wrap_with_lock(_initial_point(model)),
        names=[n for n, _ in joined],
        shapes=[tuple(s) for _, s in joined],
    )
    try:
        logp = _cfunc(
            "logp", manifest["logp_key"], _not_compiled, n_dim, 1, manifest["logp"], shared_data
        )
        expand = _cfunc(
            "expand",
            manifest["expand_key"],
            _not_compiled,
            n_dim,
            parts["n_expanded"],
            manifest["expand"],
            shared_data,
        )
    except Exception:
        return None
    if logp.cache_hits != 1 or expand.cache_hits != 1:
        return None
    return _assemble(nutpie_pymc, model, parts, initial_fn, keys, shared_data, logp, expand)


def _not_compiled(*args):  # pragma: no cover - stands in for a graph never compiled
    raise RuntimeError("the compiled graph is not in the cache")


def compile_cached(model):
    """nutpie's compiled model of a PyMC model, with disk-cached entry points.

    Equivalent to ``nutpie.compile_pymc_model(model, freeze_model=False)`` (numba
    backend). When a model with the same graph was compiled before (in any process
    using the same cache folder), neither PyTensor's rewrites nor numba run: the
    wrappers load from numba's cache and the layout from a small manifest beside them.
    Falls back to nutpie's own compilation where the entry points cannot be cached.
    """
    nutpie = import_nutpie()
    nutpie_pymc = _nutpie_parts()
    if nutpie_pymc is None:  # another nutpie: its own compilation
        return nutpie.compile_pymc_model(model, freeze_model=False)
    key = manifests.model_key(model, WRAPPER_VERSION)
    manifest = manifests.load(key)
    if manifest is not None:
        compiled = _compile_from_manifest(nutpie_pymc, model, manifest)
        if compiled is not None:
            return compiled
    compiled, manifest = _compile_full(nutpie_pymc, model)
    if compiled is None:
        return nutpie.compile_pymc_model(model, freeze_model=False)
    manifests.save(key, manifest)
    return compiled
