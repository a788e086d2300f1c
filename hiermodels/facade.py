"""Facade methods: a method of ``Fit`` (or ``Model``) that is a function of a lower layer.

A facade method is one line in the class body, naming the function by its full path::

    class Fit:
        kfold = facade("hiermodels.analysis.kfold.kfold")

The function (here ``hiermodels.analysis.kfold.kfold(fit, k=10, *, by=..., ...)``) keeps
the user-facing numpydoc docstring, written for ``fit.kfold(...)``, with its examples.
The method is built from it the first time the class attribute is read: named
``Fit.kfold``, with the function's docstring and its signature, the first parameter
renamed ``self``. So ``help(hm.Fit.kfold)``, ``inspect.signature(hm.Fit.kfold)`` and the
API pages show what the user calls, and the text lives in one place, beside the code it
describes.

The function's module is imported then, not when the class is made: a fit does not pay
for the modules of the methods it never calls (the plots import matplotlib, the
optimiser SciPy's, the interpretation tools arviz-base's readers; together about 1 s of a
fresh process). ``tests/test_layers.py`` counts the path as an import of that module, so
the layer rules hold as for an ``import`` statement. :func:`resolve_facades` builds every
method of a class at once (the doctest collector needs them as functions).

The method belongs to the class's module (``__module__``), so griffe documents it as a
member of the class (the API page inspects ``Fit``: ``force_inspection``); its
``__facade_of__`` names the function. The doctest collector finds the examples twice,
with the method and with the function; ``conftest.py`` keeps the method's copy
(``hiermodels.results.Fit.kfold``), which runs against the small cached ``fit`` of its
``doctest_namespace`` fixture. The call adds one frame, as a hand-written method does,
so the ``stacklevel`` of warnings raised by the function still points at the user's line.

Examples
--------
>>> import inspect
>>> class Box:
...     value = 3.0
...     dims = facade("numpy.ndim")
>>> Box().dims(), Box.dims.__qualname__, Box.dims.__doc__ == __import__("numpy").ndim.__doc__
(0, 'Box.dims', True)
>>> Box.dims.__facade_of__ is __import__("numpy").ndim
True
>>> inspect.signature(Box.dims)
<Signature (self)>
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import import_module

__all__ = ["facade", "resolve_facades"]


class facade:  # lower case: it reads like a decorator in the class body
    """A class attribute that becomes a method calling ``function(self, ...)``.

    Parameters
    ----------
    path
        The function's full dotted path, ``"package.module.function"``. Its first
        positional parameter takes the instance (the fit or the model); the others
        become the method's parameters, unchanged. The module is imported, and the
        method built, when the attribute is first read.
    """

    def __init__(self, path: str):
        module, _, name = path.rpartition(".")
        if not module or not name:
            raise TypeError(f"facade needs a function's full dotted path, got {path!r}.")
        self.path = path
        self.owner: type | None = None
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner, name

    def __get__(self, instance, owner: type | None = None):
        method = self.resolve()
        return method if instance is None else method.__get__(instance, owner)

    def resolve(self) -> Callable:
        """Import the function, build the method and put it in the class in place of
        this attribute; return the method."""
        module, _, name = self.path.rpartition(".")
        function = getattr(import_module(module), name)
        params = list(inspect.signature(function).parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(f"{self.path} takes no positional first parameter.")
        method = _method(function, self.owner, self.name)
        setattr(self.owner, self.name, method)
        return method


def resolve_facades(cls: type) -> None:
    """Build every facade method of ``cls`` now (importing their modules)."""
    for value in list(vars(cls).values()):
        if isinstance(value, facade):
            value.resolve()


def _method(function: Callable, owner: type, name: str) -> Callable:
    def method(self, /, *args, **kwargs):
        return function(self, *args, **kwargs)

    signature = inspect.signature(function)
    first, *rest = signature.parameters.values()
    this = first.replace(name="self", annotation=inspect.Parameter.empty)
    method.__signature__ = signature.replace(parameters=[this, *rest])
    method.__name__ = name
    method.__qualname__ = f"{owner.__qualname__}.{name}"
    method.__module__ = owner.__module__
    method.__facade_of__ = function
    method.__doc__ = function.__doc__
    return method
