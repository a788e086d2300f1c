"""The specification layer: formulas, terms and priors.

Pure Python: nothing here imports PyMC or PyTensor, so a specification can be built,
inspected and saved without a backend. A model names its family by a string; the family
objects live one layer up, in :mod:`hiermodels.families`.
"""

from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import Prior
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership, ModelSpec, Response

__all__ = [
    "GroupFactor",
    "GroupTerm",
    "Membership",
    "ModelSpec",
    "Prior",
    "Response",
    "parse_formula",
]

#: Names that moved to :mod:`hiermodels.families`; still reachable here.
_MOVED = ("FAMILIES", "Family", "get_family")


def __getattr__(name: str):
    if name in _MOVED:
        # A compatibility alias for code written before the families became objects;
        # resolved on use, so importing the spec layer never imports the family layer.
        import hiermodels.families

        return getattr(hiermodels.families, name)
    raise AttributeError(f"module 'hiermodels.spec' has no attribute {name!r}")
