"""A callable sent to worker processes by name, imported only when it is called.

A task's arguments are unpickled in the worker before the task runs, so a class in them
(``Model.from_recipe``) would import PyMC before :func:`hiermodels.parallel.run_tasks`
has given the worker its own compile folder. A :class:`ByName` travels as two strings
and imports its target on the first call, inside the task.

Examples
--------
>>> import math
>>> sqrt = ByName.of(math.sqrt)
>>> sqrt
ByName('math', 'sqrt')
>>> sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from hiermodels.errors import SpecError

__all__ = ["ByName"]


@dataclass(frozen=True)
class ByName:
    """A module-level function, class or classmethod, by module and qualified name."""

    module: str
    qualname: str

    @classmethod
    def of(cls, target: Any) -> ByName:
        """The reference of ``target``; it must resolve back to ``target`` by name."""
        ref = cls(getattr(target, "__module__", ""), getattr(target, "__qualname__", ""))
        if "<" in ref.qualname or not ref.module or ref.resolve() != target:
            raise SpecError(f"{target!r} cannot be sent to workers by name.")
        return ref

    def resolve(self) -> Any:
        """Import the module and return the target."""
        value: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            value = getattr(value, part)
        return value

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"ByName({self.module!r}, {self.qualname!r})"
