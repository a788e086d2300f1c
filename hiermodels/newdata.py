"""Moved to :mod:`hiermodels.design.newdata`; this module re-exports its names until the
modules that import ``hiermodels.newdata`` (compare, plots, predict) import them from
:mod:`hiermodels.design`."""

from hiermodels.design.newdata import (
    NewDesign,
    prediction_design,
    required_columns,
    value_columns,
)
from hiermodels.design.response import trials_column

__all__ = ["NewDesign", "prediction_design", "required_columns", "trials_column", "value_columns"]
