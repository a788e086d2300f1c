"""nutpie's compiled model on structure-generic kernels: no compilation per model.

For the models a compiled kernel covers, the log density, its gradient and the expanded
draws come from two numba ``cfunc`` entry points whose source is fixed:

- gaussian models with one grouping factor, integrated out
  (:mod:`hiermodels.kernels.collapsed_density`, layout :mod:`hiermodels.collapsed_layout`);
- Bernoulli, binomial and Poisson models with varying intercepts
  (:mod:`hiermodels.kernels.intercept_density`, layout :mod:`hiermodels.intercept_layout`).

numba caches the entry points once per installation, under a key of the kernels'
source (numba's own cache would not notice a change in a kernel module other than the
entry point's, and would load stale code). A model's structure and data reach them
through two arrays in nutpie's ``user_data``: ``ints`` (its first entry says which
kernel) and ``floats``. A new formula or data set therefore samples at once, cold cache
or warm, where compiling its PyMC graph took 10-70 s. The PyMC model stays the
specification: its names, dims and coords label the draws, and tests check each
kernel's density and gradient against PyMC's at random points.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> compiled = compile_collapsed(model.collapsed_model("Subject"), model.design,
...                              model.priors, "Subject")
>>> compiled.n_dim
6
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hiermodels.cached_entry import _address_as_pointer, _assemble, _nutpie_parts, _signatures
from hiermodels.collapsed_layout import KernelLayout, collapsed_layout
from hiermodels.intercept_layout import intercept_layout
from hiermodels.kernels import collapsed_density, collapsed_levels, intercept_density

__all__ = ["compile_collapsed", "compile_intercepts", "entry_points"]

#: Bump when the entry points' source changes (it is part of their cache key).
ENTRY_VERSION = "1"
#: The kernels, by the code in ``ints[0]``.
COLLAPSED, INTERCEPTS = 0, 1

_ENTRY_SOURCE = """
def hm_kernel_logp(dim, x_, out_, logp_, user_data_):
    ud = carray(user_data_, (6,), dtype=np.uint64)
    ints = carray(to_pointer(ud[0]), (int(ud[2]),), dtype=np.int64)
    floats = carray(to_pointer(ud[1]), (int(ud[3]),), dtype=np.float64)
    body = ints[1:]
    if dim != body[0]:
        return -1
    try:
        x = carray(x_, (dim,))
        out = carray(out_, (dim,))
        logp = carray(logp_, ())
        if ints[0] == 0:
            value = collapsed_log_density(x, out, body, floats)
        else:
            value = intercept_log_density(x, out, body, floats)
        logp[()] = value
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(value):
            return 4
    except Exception:
        return 1
    return 0


def hm_kernel_expand(dim, expanded, x_, out_, user_data_):
    ud = carray(user_data_, (6,), dtype=np.uint64)
    ints = carray(to_pointer(ud[0]), (int(ud[2]),), dtype=np.int64)
    floats = carray(to_pointer(ud[1]), (int(ud[3]),), dtype=np.float64)
    body = ints[1:]
    if dim != body[0]:
        return -1
    try:
        x = carray(x_, (dim,))
        out = carray(out_, (expanded,))
        if ints[0] == 0:
            collapsed_expand(x, out, body, floats)
        else:
            intercept_expand(x, out, body, floats)
    except Exception:
        return -2
    return 0
"""


@dataclass(frozen=True)
class _Slot:
    """A data slot of the entry points, as nutpie's ``shared_var_keys`` expects."""

    name: str
    ndim: int = 1


#: The two arrays every kernel model passes, under nutpie's fixed keys.
SLOTS = {_Slot("ints"): "d0", _Slot("floats"): "d1"}


def _source_key() -> str:
    """A hash of everything the entry points compile: their source, the kernels'
    modules and numba's version."""
    import numba

    parts = [ENTRY_VERSION, numba.__version__, _ENTRY_SOURCE]
    for module in (collapsed_density, collapsed_levels, intercept_density):
        parts.append(Path(module.__file__).read_text())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@functools.cache
def entry_points():
    """The kernels' two ``cfunc`` entry points ``(logp, expand)``; numba compiles them
    in the first process of an installation and loads them from its cache after."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    key = _source_key()
    env = {
        "__name__": __name__,  # numba rebuilds the environment from this module's name
        "np": np,
        "carray": numba.carray,
        "to_pointer": _address_as_pointer(),
        "collapsed_log_density": collapsed_density.collapsed_log_density,
        "collapsed_expand": collapsed_density.collapsed_expand,
        "intercept_log_density": intercept_density.intercept_log_density,
        "intercept_expand": intercept_density.intercept_expand,
    }
    signatures = _signatures()
    out = []
    for kind in ("logp", "expand"):
        name = f"hm_kernel_{kind}"
        function = compile_numba_function_src(
            _ENTRY_SOURCE, name, global_env=env, cache_key=f"{name}-{key}"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=numba.NumbaWarning)
            out.append(numba.cfunc(signatures[kind], cache=True)(function))
    return tuple(out)


def _initial_point(layout: KernelLayout):
    """PyMC's start (support points, on the unconstrained scale) jittered by U(-1, 1)."""

    def initial_point(seed):
        rng = np.random.default_rng(seed)
        return layout.start + rng.uniform(-1.0, 1.0, size=layout.n_dim)

    return initial_point


def _compiled(pymc_model, kind: int, layout: KernelLayout | None):
    nutpie_pymc = _nutpie_parts()
    if layout is None or nutpie_pymc is None:
        return None
    logp, expand = entry_points()
    shared_data = {}
    ints = np.concatenate([[kind], layout.ints]).astype(np.int64)
    for key, array in (("d0", ints), ("d1", layout.floats)):
        array = np.array(array, order="C", copy=True)
        array.flags.writeable = False
        shared_data[key] = array
    parts = {
        "n_dim": layout.n_dim,
        "n_expanded": layout.n_expanded,
        "shape_info": layout.shape_info,
        "renamed": layout.renamed,
    }
    initial = _initial_point(layout)
    return _assemble(nutpie_pymc, pymc_model, parts, initial, SLOTS, shared_data, logp, expand)


def compile_collapsed(pymc_model, design, priors, factor: str, *, stats=None):
    """nutpie's compiled model of a collapsed gaussian model on its kernel, or None
    when the kernel does not cover the model (then compile its PyMC graph).

    ``stats``: the collapsed statistics of a refit's training rows (default: all rows).
    Nothing is compiled, so a refit is a new compiled model, not new data for one.
    """
    layout = collapsed_layout(pymc_model, design, priors, factor, stats=stats)
    return _compiled(pymc_model, COLLAPSED, layout)


def compile_intercepts(pymc_model, model):
    """nutpie's compiled model of a varying-intercept GLMM (``model.pymc_model``) on its
    kernel, or None when the kernel does not cover the model."""
    return _compiled(pymc_model, INTERCEPTS, intercept_layout(pymc_model, model))
