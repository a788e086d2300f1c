"""``gr(g, cov=K)``: a grouping factor whose levels have a known covariance (brms syntax).

``(1 | gr(g, cov=K))`` gives the levels of ``g`` effects ``r ~ N(0, sd^2 K)`` instead of
independent ones, with ``K`` a positive-definite matrix passed to the model by name,
``hm.Model(..., data2={"K": K})``: a relationship matrix (pedigree, animal model), a
phylogenetic covariance, a spatial kernel. ``(1 + x | gr(g, cov=K))`` gives the terms the
covariance ``Sigma`` (kron) ``K``, as brms does. ``gr(g)`` without ``cov`` is ``g``.

Examples
--------
>>> from hiermodels.spec.formula import parse_formula
>>> term = parse_formula("y ~ 1 + (1 | gr(animal, cov=A))").group_terms[0]
>>> term.factor.name, term.factor.cov, term.text
('animal', 'A', '(1 | gr(animal, cov=A))')
"""

from __future__ import annotations

from dataclasses import dataclass

from hiermodels.errors import FormulaError
from hiermodels.spec.scanning import column_name, split_top, strip
from hiermodels.spec.terms import GroupFactor, quote

__all__ = ["KnownCovarianceFactor", "parse_gr"]

#: The ``gr()`` arguments hiermodels reads; brms's others (``by``, ``cor``, ``id``,
#: ``dist``) are refused by name.
GR_ARGUMENTS = ("cov",)


@dataclass(frozen=True)
class KnownCovarianceFactor(GroupFactor):
    """A grouping factor whose levels' effects have the known covariance ``data2[cov]``.

    Its name, dimension and prior keys are those of the plain factor (``"sd|g"``); only
    the covariance among its levels differs.
    """

    cov: str = ""

    @property
    def text(self) -> str:
        return f"gr({super().text}, cov={quote(self.cov)})"


def parse_gr(inner: str, offset: int, formula: str) -> GroupFactor:
    """The factor of ``gr(inner)``; ``offset`` is the position of ``inner`` in ``formula``."""
    pieces = split_top(inner, ",", offset, formula)
    factor_text, factor_at = strip(*pieces[0])
    if not factor_text:
        raise FormulaError(
            "gr() needs a grouping factor first, e.g. gr(g, cov=K).", formula, offset
        )
    if "/" in factor_text:
        raise FormulaError(
            "gr() takes one grouping factor; write nested factors as separate terms, "
            "e.g. (1 | a) + (1 | gr(a:b, cov=K)).",
            formula,
            factor_at,
        )
    columns = tuple(
        column_name(c, at, formula, "a grouping factor")
        for c, at in split_top(factor_text, ":", factor_at, formula)
    )
    cov = None
    for arg, at in pieces[1:]:
        arg, at = strip(arg, at)
        key, eq, value = arg.partition("=")
        key = key.strip()
        if not eq or key not in GR_ARGUMENTS:
            raise FormulaError(
                f"Unknown gr() argument {arg!r}; hiermodels reads {list(GR_ARGUMENTS)} "
                "(a known covariance among the levels: gr(g, cov=K) with data2={'K': K}).",
                formula,
                at,
            )
        if cov is not None:
            raise FormulaError("gr() names cov twice.", formula, at)
        cov = column_name(value, at + len(key) + 1, formula, "the name of a matrix in data2")
    if cov is None:
        return GroupFactor(columns)
    return KnownCovarianceFactor(columns, cov=cov)
