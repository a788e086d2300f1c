"""The pooling study: complete, no and partial pooling of one factor, compared.

- :mod:`~hiermodels.studies.pooling.formulas`: the three formulas and their priors.
- :mod:`~hiermodels.studies.pooling.study`: fitting them (:func:`fit_pooling`).
- :mod:`~hiermodels.studies.pooling.comparison`: :class:`PoolingComparison`.
- :mod:`~hiermodels.studies.pooling.summary`: :class:`PoolingSummary`, its printout.
"""

from hiermodels.studies.pooling.comparison import PoolingComparison, precision_weighted
from hiermodels.studies.pooling.formulas import POOLING, PoolingFormulas, pooling_formulas
from hiermodels.studies.pooling.study import fit_pooling
from hiermodels.studies.pooling.summary import PoolingSummary

__all__ = [
    "POOLING",
    "PoolingComparison",
    "PoolingFormulas",
    "PoolingSummary",
    "fit_pooling",
    "pooling_formulas",
    "precision_weighted",
]
