"""nutpie's compiled model on structure-generic kernels: no compilation per model.

For the models a compiled kernel covers, the log density and its gradient come from a
numba ``cfunc`` entry point whose source is fixed:

- gaussian models with one grouping factor, integrated out
  (:mod:`hiermodels.kernels.collapsed_density`, layout :mod:`hiermodels.collapsed_layout`),
  and Bernoulli, binomial and Poisson models with varying intercepts
  (:mod:`hiermodels.kernels.intercept_density`, layout :mod:`hiermodels.intercept_layout`)
  share one entry point (a collapsed model with more than two varying terms has its own);
- the other GLMMs the GLMM kernel covers (:mod:`hiermodels.kernels.glmm_density`,
  layout :mod:`hiermodels.glmm_layout`) have another.

numba compiles an entry point in the first process of an installation that needs it
and caches it under a key of the kernel's source (numba's own cache would not notice a
change in a kernel module other than the entry point's, and would load stale code). A
model's structure and data reach it through two arrays in nutpie's ``user_data``,
``ints`` and ``floats``. nutpie's expand function only copies the unconstrained draw;
the constrained values and deterministics are computed afterwards for all draws at once
(:mod:`hiermodels.kernel_draws`). A new formula or data set therefore samples at once,
where compiling its PyMC graph took 10-70 s. The PyMC model stays the specification: its
names, dims and coords label the draws, and tests check each kernel's density and
gradient against PyMC's at random points.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> kernel = compile_collapsed(model.collapsed_model("Subject"), model.design,
...                            model.priors, "Subject")
>>> kernel.compiled.n_dim
6
"""

from __future__ import annotations

import functools
import hashlib
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from hiermodels.cached_entry import _address_as_pointer, _assemble, _nutpie_parts, _signatures
from hiermodels.collapsed_layout import KernelLayout, collapsed_layout
from hiermodels.glmm_layout import glmm_layout
from hiermodels.intercept_layout import intercept_layout
from hiermodels.kernel_draws import posterior_of
from hiermodels.kernels import (
    collapsed_density,
    collapsed_levels,
    glmm_collapsed,
    glmm_density,
    glmm_hyper,
    glmm_rows,
    intercept_density,
)

__all__ = [
    "KernelModel",
    "compile_collapsed",
    "compile_glmm",
    "compile_intercepts",
    "entry_arrays",
    "entry_point",
]

#: Bump when the entry points' source changes (it is part of their cache key).
ENTRY_VERSION = "7"
#: The kernels: code, the density's call, the functions it names, and the modules its
#: code comes from. They raise nothing (``error_model="numpy"``: a fault in the
#: arithmetic gives inf or nan, which the entry point reports to nutpie as a bad point),
#: so the entry point has no ``try``: that cut its compile time by a fifth (collapsed
#: 9.4 -> 7.8 s, cold). A collapsed model with one or two varying terms (most) has an
#: entry point without the loops for more terms, which cost 2 s more to compile.
COLLAPSED, INTERCEPTS, COLLAPSED_SMALL, GLMM = 0, 1, 2, 3
_COLLAPSED_MODULES = (collapsed_density, collapsed_levels)
_KERNELS = {
    COLLAPSED: (
        "collapsed_log_density(x, out, ints, floats)",
        {"collapsed_log_density": collapsed_density.collapsed_log_density},
        _COLLAPSED_MODULES,
    ),
    COLLAPSED_SMALL: (
        "collapsed_log_density_small(x, out, ints, floats)",
        {"collapsed_log_density_small": collapsed_density.collapsed_log_density_small},
        _COLLAPSED_MODULES,
    ),
    INTERCEPTS: (
        "intercept_log_density(x, out, ints, floats)",
        {"intercept_log_density": intercept_density.intercept_log_density},
        (intercept_density, collapsed_density, glmm_rows),
    ),
    GLMM: (
        "glmm_log_density(x, out, ints, floats)",
        {"glmm_log_density": glmm_density.glmm_log_density},
        (glmm_density, glmm_hyper, glmm_rows, glmm_collapsed),
    ),
}
#: The entry points, each serving the kernels of one group: the small collapsed gaussian
#: kernel and the varying-intercept GLMM kernel share one, so that a process that
#: compiled it for a gaussian model fits a Bernoulli, binomial or Poisson model with
#: varying intercepts at once (issue 18: cold, the intercept kernel's own entry point
#: took 3.8-4.0 s to compile; shared, the first model's cold time stayed within its
#: run-to-run spread). The kernel a call serves is the last value of the ``ints``
#: passed (:func:`entry_arrays`).
_ENTRIES = ((COLLAPSED_SMALL, INTERCEPTS), (COLLAPSED,), (GLMM,))

_LOGP_SOURCE = """
def hm_kernel_logp(dim, x_, out_, logp_, user_data_):
    ud = carray(user_data_, (6,), dtype=np.uint64)
    ints = carray(to_pointer(ud[0]), (int(ud[2]),), dtype=np.int64)
    floats = carray(to_pointer(ud[1]), (int(ud[3]),), dtype=np.float64)
    if dim != ints[0]:
        return -1
    x = carray(x_, (dim,))
    out = carray(out_, (dim,))
    logp = carray(logp_, ())
DENSITY
    logp[()] = value
    for i in range(dim):
        if not math.isfinite(out[i]):
            return 3
    if not math.isfinite(value):
        return 4
    return 0
"""

_EXPAND_SOURCE = """
def hm_kernel_expand(dim, expanded, x_, out_, user_data_):
    if expanded != dim:
        return -1
    x = carray(x_, (dim,))
    out = carray(out_, (dim,))
    out[:] = x
    return 0
"""


@dataclass(frozen=True)
class _Slot:
    """A data slot of the entry points, as nutpie's ``shared_var_keys`` expects."""

    name: str
    ndim: int = 1


#: The two arrays every kernel model passes, under nutpie's fixed keys.
SLOTS = {_Slot("ints"): "d0", _Slot("floats"): "d1"}


def _cfunc(source: str, name: str, kind: str, key_parts: list[str], env: dict):
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    parts = [ENTRY_VERSION, numba.__version__, source, *key_parts]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    env = {
        "__name__": __name__,  # numba rebuilds the environment from this module's name
        "np": np,
        "math": math,
        "carray": numba.carray,
        "to_pointer": _address_as_pointer(),
        **env,
    }
    function = compile_numba_function_src(source, name, global_env=env, cache_key=f"{name}-{key}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=numba.NumbaWarning)
        return numba.cfunc(_signatures()[kind], cache=True)(function)


def entry_point(kernel: int):
    """The log-density entry point that serves ``kernel`` (``COLLAPSED``,
    ``COLLAPSED_SMALL``, ``INTERCEPTS`` or ``GLMM``): compiled in the first process of
    an installation that needs it, then loaded from numba's cache. It reads its
    arrays as :func:`entry_arrays` lays them out."""
    return _group_entry_point(next(group for group in _ENTRIES if kernel in group))


@functools.cache
def _group_entry_point(group: tuple[int, ...]):
    env, modules, branches = {}, [], []
    for kernel in group:
        call, names, kernel_modules = _KERNELS[kernel]
        env.update(names)
        modules += [module for module in kernel_modules if module not in modules]
        branches.append((kernel, call))
    lines = [f"    value = {branches[-1][1]}"]
    if len(branches) > 1:  # the kernel is the last value of ints
        lines = ["    kernel = ints[ints.size - 1]"]
        for j, (kernel, call) in enumerate(branches[:-1]):
            keyword = "if" if j == 0 else "elif"
            lines += [f"    {keyword} kernel == {kernel}:", f"        value = {call}"]
        lines += ["    else:", f"        value = {branches[-1][1]}"]
    source = _LOGP_SOURCE.replace("DENSITY", "\n".join(lines))
    sources = [Path(module.__file__).read_text() for module in modules]
    return _cfunc(source, "hm_kernel_logp", "logp", sources, env)


def entry_arrays(kernel: int, layout: KernelLayout) -> tuple[np.ndarray, np.ndarray]:
    """The ``ints`` and ``floats`` that the entry point of ``kernel`` reads: the
    layout's, with the kernel appended to ``ints`` (fresh, read-only, C-ordered)."""
    ints = np.append(np.asarray(layout.ints, np.int64), np.int64(kernel))  # a new array
    floats = np.array(layout.floats, dtype=np.float64, order="C", copy=True)
    ints.flags.writeable = floats.flags.writeable = False
    return ints, floats


@functools.cache
def copy_entry_point():
    """nutpie's expand entry point of every kernel model: the unconstrained draw."""
    return _cfunc(_EXPAND_SOURCE, "hm_kernel_expand", "expand", [], {})


def _initial_point(layout: KernelLayout):
    """PyMC's start (support points, on the unconstrained scale) jittered by U(-1, 1)."""

    def initial_point(seed):
        rng = np.random.default_rng(seed)
        return layout.start + rng.uniform(-1.0, 1.0, size=layout.n_dim)

    return initial_point


@dataclass(frozen=True)
class KernelModel:
    """A model on a compiled kernel: nutpie's compiled model (``compiled``, which draws
    the unconstrained point) and what completes its draws (:meth:`posterior`)."""

    compiled: object
    kind: int
    layout: KernelLayout
    dims: dict
    coords: dict

    def posterior(self, posterior: xr.Dataset) -> xr.Dataset:
        """nutpie's draws of the unconstrained point, completed with the constrained
        values and deterministics (as nutpie names them for the PyMC model)."""
        return posterior_of(self, posterior)

    def complete(self, tree: xr.DataTree) -> xr.DataTree:
        """A sampler's tree with the completed posterior."""
        groups = {k: tree[k].to_dataset() for k in tree.children}
        groups["posterior"] = self.posterior(groups["posterior"])
        return xr.DataTree.from_dict(groups)


def _kernel_model(pymc_model, kind: int, layout: KernelLayout | None) -> KernelModel | None:
    nutpie_pymc = _nutpie_parts()
    if layout is None or nutpie_pymc is None:
        return None
    shared_data = dict(zip(("d0", "d1"), entry_arrays(kind, layout), strict=True))
    names, slices, shapes = layout.shape_info
    n = len([s for s in slices if s.stop <= layout.n_dim])
    parts = {  # nutpie stores the unconstrained point under the value variables' names
        "n_dim": layout.n_dim,
        "n_expanded": layout.n_dim,
        "shape_info": (names[:n], slices[:n], shapes[:n]),
        "renamed": [],
    }
    compiled = _assemble(
        nutpie_pymc,
        pymc_model,
        parts,
        _initial_point(layout),
        SLOTS,
        shared_data,
        entry_point(kind),
        copy_entry_point(),
    )
    dims, coords = nutpie_pymc._prepare_dims_and_coords(
        pymc_model, layout.shape_info, layout.renamed
    )
    return KernelModel(compiled, kind, layout, dims, coords)


def compile_collapsed(pymc_model, design, priors, factor: str, *, stats=None):
    """A collapsed gaussian model on its kernel (:class:`KernelModel`), or None when the
    kernel does not cover the model (then compile its PyMC graph).

    ``stats``: the collapsed statistics of a refit's training rows (default: all rows).
    Nothing is compiled, so a refit is a new compiled model, not new data for one.
    """
    layout = collapsed_layout(pymc_model, design, priors, factor, stats=stats)
    small = layout is not None and layout.ints[1] <= 2  # one or two varying terms
    return _kernel_model(pymc_model, COLLAPSED_SMALL if small else COLLAPSED, layout)


def compile_intercepts(pymc_model, model):
    """A varying-intercept GLMM (``model.pymc_model``) on its kernel, or None when the
    kernel does not cover the model."""
    return _kernel_model(pymc_model, INTERCEPTS, intercept_layout(pymc_model, model))


def compile_glmm(pymc_model, model, *, keep=None, y=None, collapsed=None):
    """``model.pymc_model`` (or ``model.collapsed_model(collapsed)``) on the GLMM kernel,
    or None when the kernel does not cover it. ``keep``: a refit's training rows; ``y``:
    another response (:func:`hiermodels.glmm_layout.glmm_layout`)."""
    layout = glmm_layout(pymc_model, model, keep=keep, y=y, collapsed=collapsed)
    return _kernel_model(pymc_model, GLMM, layout)
