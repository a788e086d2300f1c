"""The specification layer: formulas, terms, families and priors.

Pure Python: nothing here imports PyMC or PyTensor, so a specification can be built,
inspected and saved without a backend.
"""

from hiermodels.spec.families import FAMILIES, Family, get_family
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import Prior
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership, ModelSpec, Response

__all__ = [
    "FAMILIES",
    "Family",
    "GroupFactor",
    "GroupTerm",
    "Membership",
    "ModelSpec",
    "Prior",
    "Response",
    "get_family",
    "parse_formula",
]
