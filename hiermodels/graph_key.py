"""A key that identifies a PyTensor graph exactly, before any rewrite.

Two graphs get the same key only when they have the same operations (by type and
properties, written out: never pickled, since PyTensor attaches caches to compiled
operations), in the same topology, with the same
constants (by value), the same data containers (by name, type and the shape of their
values, and the value of an integer scalar such as a dim length) and the same inputs (by
name and type). Rewrites and compilation are deterministic functions of the graph and the
library versions, so a key made of both identifies the compiled result:
:mod:`hiermodels.cached_entry` uses it to skip PyTensor's rewrites (4-5 s for a small
model) when the compiled entry points are in the cache already.

Examples
--------
>>> import pytensor.tensor as pt
>>> x = pt.dvector("x")
>>> graph_key([pt.exp(x).sum()]) == graph_key([pt.exp(x).sum()])
True
>>> graph_key([pt.exp(x).sum()]) == graph_key([pt.log(x).sum()])
False
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["graph_key"]


def _leaf(var) -> str:
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.link.numba.dispatch.basic import cache_key_for_constant

    if isinstance(var, Constant):
        return f"constant {var.type} {cache_key_for_constant(var.data)}"
    if isinstance(var, SharedVariable):  # its shape, and the value of a dim length
        value = np.asarray(var.get_value(borrow=True))
        known = value.item() if value.ndim == 0 and value.dtype.kind in "iu" else None
        return f"data {var.name!r} {var.type} {value.shape} {known}"
    return f"input {var.name!r} {var.type}"


class _Unkeyable(Exception):
    """An operation property with no faithful text (an address or an elided repr)."""


def _value_key(value) -> str:
    """A string that determines an operation's property: never a pickle, which would
    carry caches that PyTensor attaches to operations after compiling them."""
    if value is None or isinstance(value, bool | int | float | str | np.dtype | type):
        return repr(value)
    if isinstance(value, np.ndarray | np.generic):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return f"array {value.dtype} {np.shape(value)} {digest}"
    if isinstance(value, tuple | list | frozenset | set):
        items = [_value_key(v) for v in value]
        if isinstance(value, frozenset | set):
            items.sort()
        return f"{type(value).__name__}({', '.join(items)})"
    if isinstance(value, dict):
        items = sorted(f"{_value_key(k)}: {_value_key(v)}" for k, v in value.items())
        return f"dict({', '.join(items)})"
    if getattr(value, "__props__", None) is not None:  # an operation, e.g. a scalar op
        return _op_key(value)
    text = repr(value)
    if " at 0x" in text or "..." in text:
        raise _Unkeyable(text)
    return f"{type(value).__module__}.{type(value).__qualname__} {text}"


def _op_key(op) -> str:
    props = op._props_dict()
    inner = ", ".join(f"{name}={_value_key(value)}" for name, value in props.items())
    return f"{type(op).__module__}.{type(op).__qualname__}({inner})"


def graph_key(outputs: list, *, extra: tuple[str, ...] = ()) -> str | None:
    """The sha256 key of the graph of ``outputs`` (and the strings ``extra``), or
    ``None`` when an operation has no properties to key it by."""
    from pytensor.graph.traversal import graph_inputs, io_toposort

    digest = hashlib.sha256("\0".join(extra).encode())
    index: dict = {}

    def ref(var) -> int:
        if var not in index:
            index[var] = len(index)
            digest.update(f"\n{index[var]} = {_leaf(var)}".encode())
        return index[var]

    inputs = list(graph_inputs(outputs))
    for node in io_toposort(inputs, outputs):
        if getattr(node.op, "__props__", None) is None:
            return None
        try:
            op_key = _op_key(node.op)
        except _Unkeyable:
            return None
        args = [ref(var) for var in node.inputs]
        for out in node.outputs:
            index[out] = len(index)
        outs = [f"{index[out]}:{out.type}" for out in node.outputs]
        digest.update(f"\n{outs} = {op_key}{args}".encode())
    digest.update(f"\nreturn {[ref(var) for var in outputs]}".encode())
    return digest.hexdigest()
