"""hiermodels: Bayesian hierarchical (multilevel, mixed-effects) regression.

The package is built in layers; a module imports only from its own layer and the ones
below it (``tests/test_layers.py`` holds the list and checks it). Bottom to top:

==========  ===========================================================================
base        :mod:`~hiermodels.errors`, :mod:`~hiermodels.options`,
            :mod:`~hiermodels.naming`, :mod:`~hiermodels.datasets`,
            :mod:`~hiermodels.protocols`, :mod:`~hiermodels.parallel`
spec        :mod:`hiermodels.spec`: formulas, terms, priors, recipes (pure Python)
families    :mod:`hiermodels.families`: one object per response family, and the registry
design      :mod:`hiermodels.design`: data checks, level encoding, design matrices
kernels     :mod:`hiermodels.kernels`, linear predictor, collapsed and pointwise algebra
engines     :mod:`hiermodels.backend` (PyMC), :mod:`hiermodels.gibbs`, optimisation,
            sampling options, convergence checks
inference   :mod:`hiermodels.inference`: parameterisation, prior and posterior draws
analysis    :mod:`hiermodels.analysis` (LOO, k-fold, ICC/R²), diagnostics, predictions
results     ``Fit`` and its tables, summary, figures and file format
model       ``Model``, the formula builders, ``load``
studies     :mod:`hiermodels.studies` (pooling), :mod:`hiermodels.sbc`, ``compare``
interfaces  the command line (:mod:`hiermodels.cli`, :mod:`hiermodels.report`)
==========  ===========================================================================

The names below the engines import without PyMC; the names of the layers above are
loaded on first use.

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

# Results are arviz-base DataTrees. Imported first, with few modules loaded: its numpyro
# reader calls inspect.stack() when jax is absent, which walks every loaded module (measured
# here: 0.05 s now, 0.1-0.15 s after PyMC, in a fit's first call).
import arviz_base  # noqa: F401  # isort: skip

# base: errors, the version, example data sets
from hiermodels import datasets, errors
from hiermodels.version import __version__

# isort: split
# spec: the priors users write
from hiermodels.spec.priors import Prior

# isort: split
# families: hm.families.get_family, register, ...
from hiermodels import families

#: Names of the upper layers, loaded on first use (they import PyMC), bottom to top.
_LAZY = {
    # analysis: tables of predictions, grids to predict at, poststratification
    "summarize_predictions": "hiermodels.predict",
    "datagrid": "hiermodels.analysis.interpret",
    "poststratify": "hiermodels.analysis.poststratify",
    # results: the fitted model
    "Fit": "hiermodels.results",
    # model: the model, the formula builders, reading a saved fit
    "Model": "hiermodels.model",
    "varying_intercept": "hiermodels.builders",
    "varying_slopes": "hiermodels.builders",
    "cross_classified": "hiermodels.builders",
    "nested": "hiermodels.builders",
    "multiple_membership": "hiermodels.builders",
    "load": "hiermodels.loading",
    # studies: comparisons of models, the pooling study, simulation-based calibration
    "compare": "hiermodels.compare",
    "compare_pooling": "hiermodels.compare",
    "PoolingComparison": "hiermodels.compare",
    "sbc": "hiermodels.sbc",
    "SBCResult": "hiermodels.sbc",
}

__all__ = ["Prior", "__version__", "datasets", "errors", "families", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in ("formula", "bf", "brmsformula"):  # the API for distributional formulas
        raise AttributeError(
            f"hiermodels has no hm.{name}(): give a distributional parameter its own formula "
            "as a keyword of hm.Model, e.g. hm.Model('y ~ x + (1 | g)', data, sigma='~ x')."
        )
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
