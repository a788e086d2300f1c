"""Small hand-made frames and shortcuts shared by the design tests."""

from __future__ import annotations

import pandas as pd

from hiermodels.design import Design, GroupDesign, build_design
from hiermodels.spec.formula import parse_formula


def design(formula: str, data: pd.DataFrame, **options) -> Design:
    return build_design(parse_formula(formula), data, family="gaussian", formula=formula, **options)


def group(formula: str, data: pd.DataFrame, name: str | None = None) -> GroupDesign:
    built = design(formula, data)
    return built.groups[0] if name is None else built.group(name)


def simple_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "x": [0.5, -1.0, 2.0, 0.0, 1.5, -0.5],
            "sex": ["F", "M", "F", "M", "M", "F"],
            "g": ["b", "a", "c", "b", "a", "c"],
        }
    )


def membership_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0],
            "s1": ["t1", "t2", "t3", "t1", "t4"],
            "s2": ["t2", "t3", "t1", "t1", "t2"],
            "w1": [0.5, 2.0, 1.0, 1.0, 3.0],
            "w2": [1.5, 2.0, 3.0, 0.0, 1.0],
        }
    )
