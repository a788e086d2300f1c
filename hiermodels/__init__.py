"""hiermodels: Bayesian hierarchical (multilevel, mixed-effects) regression.

The specification layer (:mod:`hiermodels.spec`), the response families
(:mod:`hiermodels.families`), :mod:`hiermodels.errors` and :mod:`hiermodels.datasets`
import without PyMC; the model, fit and builder names are loaded on first use.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> model.design.n_obs
180
"""

import sys
import types
from importlib import import_module

from hiermodels import datasets, errors, families
from hiermodels.spec.priors import Prior
from hiermodels.version import __version__

_LAZY = {
    "Model": "hiermodels.model",
    "Fit": "hiermodels.results",
    "varying_intercept": "hiermodels.builders",
    "varying_slopes": "hiermodels.builders",
    "cross_classified": "hiermodels.builders",
    "nested": "hiermodels.builders",
    "multiple_membership": "hiermodels.builders",
    "compare": "hiermodels.compare",
    "compare_pooling": "hiermodels.compare",
    "PoolingComparison": "hiermodels.compare",
    "load": "hiermodels.loading",
    "summarize_predictions": "hiermodels.predict",
    "sbc": "hiermodels.sbc",
    "SBCResult": "hiermodels.sbc",
}

__all__ = ["Prior", "__version__", "datasets", "errors", "families", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hiermodels' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


#: Public functions named like the submodule that holds them (``hiermodels.compare``).
_SHADOWED = frozenset(name for name, module in _LAZY.items() if module == f"{__name__}.{name}")


class _Package(types.ModuleType):
    """Keeps ``hm.compare`` and ``hm.sbc`` the functions once their submodules are imported.

    Importing ``hiermodels.compare`` binds the submodule as the package's ``compare``
    attribute, which would hide the function of that name. Those two names are bound
    to the functions instead. ``from hiermodels.compare import ...`` is unaffected.
    """

    def __setattr__(self, name, value):
        if (
            name in _SHADOWED
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
