"""Distributional parameters with their own formulas: ``sigma="~ x + (1 | g)"``.

A family's further parameters (``sigma``, ``nu``, ``alpha``, ``phi``, ``shape``, ``zi``,
``hu``) are one number per draw unless the model gives one of them a formula of its own.
The API is a keyword per parameter, named as the family names it::

    hm.Model("y ~ x + (1 | g)", data, sigma="~ x + (1 | g)")

The keyword holds the right-hand side of a formula (``"~ x"``; ``"sigma ~ x"`` and
``"x"`` are read the same), with fixed terms, group terms and offsets as in the main
formula. Each parameter has the link brms gives it: ``log`` for ``sigma``, ``phi``,
``shape``, ``alpha`` and ``nu``; ``logit`` for ``zi`` and ``hu``. A brms-style
``bf(y ~ x, sigma ~ x)`` (several formulas in one) is refused with a message that points
to the keyword.

Prior keys (the most specific key wins; ``p`` is the parameter, ``g`` a factor):

=============================  ==============================================
key                            addresses
=============================  ==============================================
``"p|Intercept"``              the intercept of ``p``'s formula (link scale)
``"p|b|x"``, ``"p|b"``         one slope, every slope of ``p``'s formula
``"sd|g|p|term"``              the SD of one varying term of ``g`` in ``p``
``"sd|g|p"``, ``"p|sd"``       every SD of ``g`` in ``p``, every SD of ``p``
``"cor|g|p"``, ``"p|cor"``     the correlations of ``g``'s terms in ``p``
=============================  ==============================================

The keys of the mean (``"Intercept"``, ``"b"``, ``"sd"``, ``"sd|g"``, ...) do not reach
the parameters' formulas: those live on another scale.

Examples
--------
>>> (f,) = parse_distributional({"sigma": "~ Days + (1 | Subject)"}, family="gaussian",
...                             parameters=("sigma",))
>>> f.parameter, f.link, f.rhs
('sigma', 'log', 'Days + (1 | Subject)')
>>> sd_keys("sigma", "Subject", "Intercept")
('sd|Subject|sigma|Intercept', 'sd|Subject|sigma', 'sigma|sd')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hiermodels.errors import FormulaError, SpecError
from hiermodels.spec.formula import ParsedFormula, parse_formula

__all__ = [
    "DPAR_LINKS",
    "DistributionalFormula",
    "check_single_formula",
    "cor_keys",
    "intercept_key",
    "parse_distributional",
    "sd_keys",
    "slope_keys",
]

#: The link of each parameter that may take a formula (brms's defaults).
DPAR_LINKS: Mapping[str, str] = {
    "sigma": "log",
    "phi": "log",
    "shape": "log",
    "alpha": "log",
    "nu": "log",
    "zi": "logit",
    "hu": "logit",
}

_HINT = "hm.Model('y ~ x + (1 | g)', data, sigma='~ x + (1 | g)')"


@dataclass(frozen=True)
class DistributionalFormula:
    """The formula of one distributional parameter: its name, right-hand side and link."""

    parameter: str
    rhs: str
    link: str

    @property
    def text(self) -> str:
        """The formula as brms writes it, ``sigma ~ x``."""
        return f"{self.parameter} ~ {self.rhs}"

    def parsed(self, response: str) -> ParsedFormula:
        """The right-hand side parsed as ``response ~ rhs`` (the design reads the rows
        through the main response)."""
        return parse_formula(f"{response} ~ {self.rhs}")


def check_single_formula(formula: object) -> None:
    """Refuse several formulas in one (``[...]``, ``"y ~ x, sigma ~ x"``) with a
    :class:`FormulaError` that points to the keyword API."""
    if isinstance(formula, list | tuple | dict):
        raise FormulaError(
            f"A formula must be a string, got {type(formula).__name__}: hm.Model takes one "
            "formula for the mean; give a distributional parameter its own formula as a "
            f"keyword named after it: {_HINT}."
        )
    if isinstance(formula, str):
        names = "|".join(DPAR_LINKS)
        match = re.search(rf"[,;\n]\s*({names})\s*~", formula)
        if match:
            raise FormulaError(
                f"The formula {formula!r} holds a second formula for {match.group(1)!r}; "
                f"give it as a keyword instead: {_HINT}."
            )


def parse_distributional(
    formulas: Mapping[str, object], *, family: str, parameters: tuple[str, ...]
) -> tuple[DistributionalFormula, ...]:
    """Check the keyword formulas of a model whose family has ``parameters``.

    Raises
    ------
    SpecError
        For a keyword that is not one of the family's parameters (the message lists
        them), a parameter without a link rule, or a formula that is not a string or
        has another left-hand side.
    """
    out = []
    for name, value in formulas.items():
        if name not in parameters:
            has = f"its parameters are {list(parameters)}" if parameters else "it has none"
            what = (
                f"family {family!r} has no parameter {name!r}"
                if name in DPAR_LINKS
                else f"{name!r} is neither an option of hm.Model nor a parameter of "
                f"family {family!r}"
            )
            raise SpecError(
                f"Cannot give {name!r} a formula: {what} ({has}). Distributional "
                f"formulas are keywords named after a parameter of the family: {_HINT}."
            )
        if name not in DPAR_LINKS:
            raise SpecError(
                f"Parameter {name!r} of family {family!r} cannot take a formula: there is "
                f"no link rule for it; parameters that can: {sorted(DPAR_LINKS)}."
            )
        if not isinstance(value, str):
            raise SpecError(
                f"The formula of {name!r} must be a string such as '~ x + (1 | g)', got "
                f"{type(value).__name__} {value!r}."
            )
        lhs, tilde, rhs = value.partition("~")
        if not tilde:
            lhs, rhs = "", value
        if lhs.strip() not in ("", name):
            raise SpecError(
                f"The formula of {name!r} has the left-hand side {lhs.strip()!r}; write "
                f"only its right-hand side, {name}='~ {rhs.strip() or 'x'}'."
            )
        if not rhs.strip():
            raise SpecError(f"The formula of {name!r} is empty; write e.g. {name}='~ 1 + (1 | g)'.")
        # Parse now so that a bad term is reported at construction, positions and all.
        parse_formula(f"{name} ~ {rhs.strip()}")
        out.append(DistributionalFormula(name, rhs.strip(), DPAR_LINKS[name]))
    return tuple(sorted(out, key=lambda f: parameters.index(f.parameter)))


def intercept_key(parameter: str) -> str:
    """The prior key of the intercept of ``parameter``'s formula."""
    return f"{parameter}|Intercept"


def slope_keys(parameter: str, term: str) -> tuple[str, ...]:
    """The prior keys of one slope of ``parameter``'s formula, most specific first."""
    return (f"{parameter}|b|{term}", f"{parameter}|b")


def sd_keys(parameter: str, group: str, term: str) -> tuple[str, ...]:
    """The prior keys of one group SD of ``parameter``'s formula, most specific first."""
    return (f"sd|{group}|{parameter}|{term}", f"sd|{group}|{parameter}", f"{parameter}|sd")


def cor_keys(parameter: str, group: str) -> tuple[str, ...]:
    """The prior keys of the correlations of ``group`` in ``parameter``'s formula."""
    return (f"cor|{group}|{parameter}", f"{parameter}|cor")
