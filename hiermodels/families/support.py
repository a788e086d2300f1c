"""What a family's response may hold: the kinds of support, in words and as a test.

Examples
--------
>>> import numpy as np
>>> outside_support("unit_interval", np.array([0.2, 1.0, 0.0])).tolist()
[False, True, True]
>>> SUPPORTS["positive"]
'positive numbers (> 0)'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import numpy as np

__all__ = ["SUPPORTS", "Support", "outside_support"]

Support = Literal[
    "real", "binary", "bounded_count", "count", "ordinal", "unit_interval", "positive"
]

#: What each kind of support lets the response hold, as error messages state it.
SUPPORTS: Mapping[str, str] = MappingProxyType(
    {
        "real": "real numbers",
        "binary": "0/1 or boolean values",
        "bounded_count": "integer counts between 0 and the number of trials",
        "count": "non-negative integer counts",
        "ordinal": "ordered categories (an ordered pandas Categorical, or integers)",
        "unit_interval": "proportions strictly between 0 and 1 (no exact 0 or 1)",
        "positive": "positive numbers (> 0)",
    }
)


def outside_support(support: str, values: np.ndarray) -> np.ndarray:
    """``True`` for each value (finite floats) that a response of ``support`` cannot hold.

    Counts (and ordinal codes) must be non-negative integers; the bound of
    ``"bounded_count"`` (the trials) is checked where the trials are read.
    """
    if support == "real":
        return np.zeros(values.shape, dtype=bool)
    if support == "binary":
        return ~np.isin(values, (0.0, 1.0))
    if support == "unit_interval":
        return (values <= 0) | (values >= 1)
    if support == "positive":
        return values <= 0
    return (values < 0) | (values != np.round(values))
