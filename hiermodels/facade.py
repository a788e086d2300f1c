"""Facade methods: a method of ``Fit`` (or ``Model``) that is a function of a lower layer.

A facade method is one line in the class body::

    class Fit:
        kfold = facade(hiermodels.analysis.kfold.kfold)

The function (here ``hiermodels.analysis.kfold.kfold(fit, k=10, *, by=..., ...)``) keeps
the user-facing numpydoc docstring, written for ``fit.kfold(...)``, with its examples.
The method is built from it when the class is made: named ``Fit.kfold``, with the
function's docstring and its signature, the first parameter renamed ``self``. So
``help(hm.Fit.kfold)``, ``inspect.signature(hm.Fit.kfold)`` and the API pages show what
the user calls, and the text lives in one place, beside the code it describes.

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
>>> def scaled(obj, factor: float = 2.0) -> float:
...     '''The value times ``factor``.'''
...     return obj.value * factor
>>> class Box:
...     value = 3.0
...     times = facade(scaled)
>>> Box().times(), Box.times.__qualname__, Box.times.__doc__
(6.0, 'Box.times', 'The value times ``factor``.')
>>> Box.times.__facade_of__ is scaled
True
>>> inspect.signature(Box.times)
<Signature (self, factor: 'float' = 2.0) -> 'float'>
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

__all__ = ["facade"]


class facade:  # lower case: it reads like a decorator in the class body
    """A class attribute that becomes a method calling ``function(self, ...)``.

    Parameters
    ----------
    function
        A function whose first positional parameter takes the instance (the fit or the
        model); the others become the method's parameters, unchanged.
    """

    def __init__(self, function: Callable):
        params = list(inspect.signature(function).parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(f"{function.__qualname__} takes no positional first parameter.")
        self.function = function

    def __set_name__(self, owner: type, name: str) -> None:
        setattr(owner, name, _method(self.function, owner, name))


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
