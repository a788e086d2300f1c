"""hiermodels: Bayesian hierarchical (multilevel, mixed-effects) regression.

The specification layer (:mod:`hiermodels.spec`), :mod:`hiermodels.errors` and
:mod:`hiermodels.datasets` import without PyMC; the model, fit and builder names are
loaded on first use.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> model.design.n_obs
180
"""

from importlib import import_module

from hiermodels import datasets, errors
from hiermodels.spec.priors import Prior

__version__ = "0.1.0"

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
    "load": "hiermodels.persistence",
    "summarize_predictions": "hiermodels.predict",
}

__all__ = ["Prior", "__version__", "datasets", "errors", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hiermodels' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
