"""How each factor's group effects are parameterised: centred or not.

``"auto"`` asks the REML pilot how much of each factor's effects the data determine
(:func:`hiermodels.optimize.data_dominance`) and centres the factors above
:data:`DATA_DOMINANCE_THRESHOLD`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from hiermodels.design import Design
from hiermodels.errors import SpecError
from hiermodels.families import FAMILIES

__all__ = ["DATA_DOMINANCE_THRESHOLD", "Parameterization", "choose_centered"]

Parameterization = Literal["auto", "non_centered", "centered"]
_PARAMETERIZATIONS = ("auto", "non_centered", "centered")
#: A factor is centred under "auto" when the data determine more than this share of its
#: group effects' variance (kappa > 1 for one factor: Papaspiliopoulos, Roberts & Skold
#: 2007, Statistical Science 22:59).
DATA_DOMINANCE_THRESHOLD = 0.5


def choose_centered(
    choice, groups: list[str], design: Design, family: str, dominance=None
) -> dict[str, bool]:
    """Validate the parameterisation choice; return factor -> centred?

    ``dominance`` is a zero-argument callable returning the REML pilot's
    :func:`~hiermodels.optimize.data_dominance` (computed here when not given).
    """
    if isinstance(choice, str):
        choice = dict.fromkeys(groups, choice)
    elif isinstance(choice, Mapping):
        # Factors not named keep the default, "auto".
        choice = {**dict.fromkeys(groups, "auto"), **choice}
    else:
        raise SpecError(
            f"parameterization must be one of {list(_PARAMETERIZATIONS)} or a dict of "
            f"factor -> choice, got {choice!r}."
        )
    out = {}
    for group, value in choice.items():
        if group not in groups:
            raise SpecError(
                f"parameterization names the factor {group!r}, which is not in the model; "
                f"its factors are {groups}."
            )
        if value not in _PARAMETERIZATIONS:
            raise SpecError(
                f"Unknown parameterization {value!r} for {group!r}; valid choices are "
                f"{list(_PARAMETERIZATIONS)}."
            )
        out[group] = value == "centered"
    auto = [g for g, v in choice.items() if v == "auto"]
    if auto and family in FAMILIES and FAMILIES[family].reml_pilot:
        if dominance is None:
            from hiermodels.optimize import data_dominance

            shares = data_dominance(design)
        else:
            shares = dominance()
        for group in auto:
            out[group] = shares[group] > DATA_DOMINANCE_THRESHOLD
    return out
