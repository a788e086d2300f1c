"""Interpreting a fit over its posterior draws: predictions, marginal means, comparisons
and slopes (as emmeans and marginaleffects do, without the delta method).

Each function takes a fit and returns an :class:`~.estimates.Estimates`: a tidy table
(``.to_frame()``) and the draws behind each row (``.draws``, ``.samples()``).
``hm.Fit`` has a method of the same name for each.
"""

from hiermodels.analysis.interpret.contrasts import contrast_matrix
from hiermodels.analysis.interpret.counterfactual import comparisons, slopes
from hiermodels.analysis.interpret.estimates import Estimates
from hiermodels.analysis.interpret.grids import datagrid
from hiermodels.analysis.interpret.marginal import marginal_means, reference_grid
from hiermodels.analysis.interpret.predicted import predictions

__all__ = [
    "Estimates",
    "comparisons",
    "contrast_matrix",
    "datagrid",
    "marginal_means",
    "predictions",
    "reference_grid",
    "slopes",
]
