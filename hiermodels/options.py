"""Defaults shared by every layer: one constant for each.

Examples
--------
>>> from hiermodels.options import PROB
>>> PROB
0.89
"""

__all__ = ["PROB"]

#: Probability mass of the equal-tailed intervals in tables, plots and summaries.
PROB = 0.89
