"""hiermodels: Bayesian hierarchical (multilevel, mixed-effects) regression.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> model.design.n_obs
180
"""

from hiermodels import datasets, errors
from hiermodels.builders import (
    cross_classified,
    multiple_membership,
    nested,
    varying_intercept,
    varying_slopes,
)
from hiermodels.model import Model
from hiermodels.results import Fit
from hiermodels.spec.priors import Prior

__version__ = "0.1.0"

__all__ = [
    "Fit",
    "Model",
    "Prior",
    "__version__",
    "cross_classified",
    "datasets",
    "errors",
    "multiple_membership",
    "nested",
    "varying_intercept",
    "varying_slopes",
]
