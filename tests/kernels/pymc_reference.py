"""PyMC's own log density, gradient and expanded draws of a kernel model's layout: the
reference that the kernels' tests compare against at random points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest


@dataclass(frozen=True)
class PyMCReference:
    """``logp``, ``dlogp`` and ``expanded`` take a point from :meth:`point`."""

    logp: Any
    dlogp: Any
    expanded: Any
    names: list
    slices: list
    shapes: list
    n_values: int

    def point(self, x):
        """The flat unconstrained vector ``x`` as PyMC's point of value variables."""
        pairs = zip(self.names[: self.n_values], self.slices, self.shapes, strict=False)
        return {n: x[s].reshape(shape) for n, s, shape in pairs}

    def assert_density(self, x, value, grad) -> None:
        """A kernel's log density and gradient at ``x`` equal PyMC's to 1e-10."""
        assert value == pytest.approx(self.logp(self.point(x)), rel=1e-10)
        np.testing.assert_allclose(grad, self.dlogp(self.point(x)), rtol=1e-10, atol=1e-10)

    def assert_expanded(self, x, out, *, atol: float) -> None:
        """A kernel's expanded draw at ``x`` equals the point and PyMC's values of the
        other variables."""
        expected = np.concatenate([x, *[np.ravel(v) for v in self.expanded(self.point(x))]])
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=atol)


def pymc_reference(pymc_model, layout) -> PyMCReference:
    """PyTensor's evaluation of ``pymc_model`` (without numba's compile time), laid out as
    the kernel's ``layout``; checks that the layout names PyMC's value variables."""
    mode = "FAST_COMPILE"
    names, slices, shapes = layout.shape_info
    n_values = len(pymc_model.value_vars)
    assert names[:n_values] == [v.name for v in pymc_model.value_vars]
    values = {v.name: v for v in pymc_model.unobserved_value_vars}
    expanded = pymc_model.compile_fn(
        [values[n] for n in names[n_values:]],
        inputs=pymc_model.value_vars,
        mode=mode,
        on_unused_input="ignore",
    )
    return PyMCReference(
        pymc_model.compile_logp(jacobian=True, mode=mode),
        pymc_model.compile_dlogp(mode=mode),
        expanded,
        names,
        slices,
        shapes,
        n_values,
    )


def entry_density(kind: int, layout, x: np.ndarray) -> tuple[float, np.ndarray]:
    """The log density and gradient at ``x`` through the kernel's nutpie entry point
    (:func:`hiermodels.kernel_entry.entry_point`): the code fits run, loaded from the
    disk cache, so a test process does not compile the kernel's functions again."""
    status, value, grad = entry_call(kind, layout, x)
    assert status == 0, status
    return value, grad


def entry_call(kind: int, layout, x: np.ndarray) -> tuple[int, float, np.ndarray]:
    """The entry point's status (0: a finite density and gradient), density and
    gradient at ``x``."""
    import ctypes

    from hiermodels.kernel_entry import entry_arrays, entry_point

    ints, floats = entry_arrays(kind, layout)
    user_data = np.array(
        [ints.ctypes.data, floats.ctypes.data, ints.size, floats.size, 0, 0], dtype=np.uint64
    )
    x = np.ascontiguousarray(x, dtype=np.float64)
    grad, value = np.empty_like(x), np.zeros(1)
    status = entry_point(kind).ctypes(
        ctypes.c_uint64(x.size),
        x.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        grad.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        value.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ctypes.c_void_p(user_data.ctypes.data),
    )
    return int(status), float(value[0]), grad
