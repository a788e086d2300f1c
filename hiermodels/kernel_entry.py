"""nutpie's compiled model on a structure-generic kernel: no compilation per model.

For the models a compiled kernel covers (a gaussian model with one grouping factor,
integrated out: :mod:`hiermodels.kernels.collapsed_density`), the log density, its
gradient and the expanded draws come from two numba ``cfunc`` entry points whose source
is fixed. numba caches them once per installation; a model's structure and data reach
them through two arrays in nutpie's ``user_data`` (:mod:`hiermodels.collapsed_layout`).
A new formula or data set therefore samples at once, cold cache or warm, where compiling
its PyMC graph took 10-70 s. The PyMC model stays the specification: its names, dims and
coords label the draws, and a test checks the kernel's density and gradient against
PyMC's at random points.

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
from dataclasses import dataclass

import numba
import numpy as np
from numba import carray

from hiermodels.cached_entry import _address_as_pointer, _assemble, _nutpie_parts, _signatures
from hiermodels.collapsed_layout import KernelLayout, collapsed_layout
from hiermodels.kernels.collapsed_density import collapsed_expand, collapsed_log_density

to_pointer = _address_as_pointer()

__all__ = ["compile_collapsed", "entry_points"]


@dataclass(frozen=True)
class _Slot:
    """A data slot of the entry points, as nutpie's ``shared_var_keys`` expects."""

    name: str
    ndim: int = 1


#: The two arrays every kernel model passes, under nutpie's fixed keys.
SLOTS = {_Slot("ints"): "d0", _Slot("floats"): "d1"}


def _logp_entry(dim, x_, out_, logp_, user_data_):  # pragma: no cover - compiled
    ud = carray(user_data_, (6,), dtype=np.uint64)
    ints = carray(to_pointer(ud[0]), (int(ud[2]),), dtype=np.int64)
    floats = carray(to_pointer(ud[1]), (int(ud[3]),), dtype=np.float64)
    if dim != ints[0]:
        return -1
    try:
        x = carray(x_, (dim,))
        out = carray(out_, (dim,))
        logp = carray(logp_, ())
        value = collapsed_log_density(x, out, ints, floats)
        logp[()] = value
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(value):
            return 4
    except Exception:
        return 1
    return 0


def _expand_entry(dim, expanded, x_, out_, user_data_):  # pragma: no cover - compiled
    ud = carray(user_data_, (6,), dtype=np.uint64)
    ints = carray(to_pointer(ud[0]), (int(ud[2]),), dtype=np.int64)
    floats = carray(to_pointer(ud[1]), (int(ud[3]),), dtype=np.float64)
    if dim != ints[0]:
        return -1
    try:
        x = carray(x_, (dim,))
        out = carray(out_, (expanded,))
        collapsed_expand(x, out, ints, floats)
    except Exception:
        return -2
    return 0


@functools.cache
def entry_points():
    """The kernel's two ``cfunc`` entry points (numba's disk cache after the first
    process of an installation): ``(logp, expand)``."""
    signatures = _signatures()
    logp = numba.cfunc(signatures["logp"], cache=True)(_logp_entry)
    expand = numba.cfunc(signatures["expand"], cache=True)(_expand_entry)
    return logp, expand


def _initial_point(layout: KernelLayout):
    """PyMC's start (support points, on the unconstrained scale) jittered by U(-1, 1)."""

    def initial_point(seed):
        rng = np.random.default_rng(seed)
        return layout.start + rng.uniform(-1.0, 1.0, size=layout.n_dim)

    return initial_point


def compile_collapsed(pymc_model, design, priors, factor: str, *, stats=None):
    """nutpie's compiled model of a collapsed gaussian model on the kernel, or None
    when the kernel does not cover the model (then compile its PyMC graph).

    ``stats``: the collapsed statistics of a refit's training rows (default: all rows).
    Nothing is compiled, so a refit is a new compiled model, not new data for one.
    """
    nutpie_pymc = _nutpie_parts()
    if nutpie_pymc is None:
        return None
    layout = collapsed_layout(pymc_model, design, priors, factor, stats=stats)
    if layout is None:
        return None
    logp, expand = entry_points()
    shared_data = {}
    for key, array in (("d0", layout.ints), ("d1", layout.floats)):
        array = np.array(array, order="C", copy=True)
        array.flags.writeable = False
        shared_data[key] = array
    parts = {
        "n_dim": layout.n_dim,
        "n_expanded": layout.n_expanded,
        "shape_info": layout.shape_info,
        "renamed": layout.renamed,
    }
    return _assemble(
        nutpie_pymc,
        pymc_model,
        parts,
        _initial_point(layout),
        SLOTS,
        shared_data,
        logp,
        expand,
    )
