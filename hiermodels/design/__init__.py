"""The design layer: a DataFrame and a parsed formula in, arrays for the engines out.

One job per module, each importing only those listed before it:

- :mod:`~hiermodels.design.types`: the frozen dataclasses (``Design``, ``FixedDesign``,
  ``GroupDesign``, ``NewDesign``).
- :mod:`~hiermodels.design.checks`: the data checks, for fitting and new data alike.
- :mod:`~hiermodels.design.columns`: which columns a formula reads, in which role.
- :mod:`~hiermodels.design.frame`: the model frame (text dtypes, unused categories).
- :mod:`~hiermodels.design.levels`: level labels, factor codes, interaction labels,
  membership weights.
- :mod:`~hiermodels.design.matrices`: formulaic model matrices and offsets.
- :mod:`~hiermodels.design.response`: the response and the binomial trials.
- :mod:`~hiermodels.design.build`: :func:`build_design`, the design of the fitted rows.
- :mod:`~hiermodels.design.newdata`: :func:`prediction_design`, the design of new rows
  built with the fitted encoders.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.design import build_design
>>> from hiermodels.spec.formula import parse_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
>>> design = build_design(parse_formula("y ~ 1 + (1 | g)"), df, family="gaussian")
>>> design.groups[0].levels, design.groups[0].codes[:, 0].tolist()
(('a', 'b'), [0, 0, 1, 1])
"""

from hiermodels.design.build import build_design
from hiermodels.design.checks import LARGEST_COUNT, LARGEST_MAGNITUDE
from hiermodels.design.columns import formula_variables, plain_message, used_columns
from hiermodels.design.frame import model_frame
from hiermodels.design.levels import (
    interaction_label,
    level_label,
    level_labels,
    membership_weights,
)
from hiermodels.design.matrices import offset_values
from hiermodels.design.newdata import prediction_design, required_columns
from hiermodels.design.response import trials_column
from hiermodels.design.types import Design, FixedDesign, GroupDesign, Missing, NewDesign

__all__ = [
    "LARGEST_COUNT",
    "LARGEST_MAGNITUDE",
    "Design",
    "FixedDesign",
    "GroupDesign",
    "Missing",
    "NewDesign",
    "build_design",
    "formula_variables",
    "interaction_label",
    "level_label",
    "level_labels",
    "membership_weights",
    "model_frame",
    "offset_values",
    "plain_message",
    "prediction_design",
    "required_columns",
    "trials_column",
    "used_columns",
]
