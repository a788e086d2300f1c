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
