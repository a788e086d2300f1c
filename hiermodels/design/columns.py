"""Which data columns a formula reads, and in which role.

Examples
--------
>>> from hiermodels.spec.formula import parse_formula
>>> used_columns(parse_formula("y ~ x + (1 | g)"))
['y', 'x', 'g']
"""

from __future__ import annotations

import re

from hiermodels.errors import FormulaError
from hiermodels.spec.expressions import expression_names
from hiermodels.spec.formula import ParsedFormula
from hiermodels.spec.offsets import offset_columns

__all__ = ["check_roles", "formula_variables", "plain_message", "used_columns"]


def formula_variables(expr: str) -> set[str]:
    """The data columns a formulaic expression reads.

    A name looked up as it is (``x`` or a backticked ```x.y```) counts whole; formulaic's
    own ``required_variables`` keeps only the part before a dot, which loses dotted names
    such as R's ``Sepal.Length``, and leaves out the columns of stateful transforms
    (``center(x)``); a Python factor is read by
    :func:`hiermodels.spec.expressions.expression_names`.
    """
    from formulaic import Formula
    from formulaic.formula import SimpleFormula
    from formulaic.parser.types import Factor

    try:
        formula = Formula(expr)
        if not isinstance(formula, SimpleFormula):
            return {str(v) for v in formula.required_variables}
        names: set[str] = set()
        for term in formula:
            for factor in term.factors:
                if factor.eval_method is Factor.EvalMethod.LOOKUP:
                    names.add(str(factor.expr))
                elif factor.eval_method is Factor.EvalMethod.PYTHON:
                    # formulaic's required_variables leaves out the columns of stateful
                    # transforms (center(x), scale(x), poly(x, 2)) and cuts dotted names.
                    names |= set(expression_names(str(factor.expr)).columns)
        return names
    except Exception as err:  # formulaic's syntax errors
        raise FormulaError(f"Cannot parse {expr!r}: {plain_message(err)}") from None


def plain_message(err: Exception) -> str:
    """Formulaic messages carry ANSI colour codes; strip them."""
    text = re.sub(r"\x1b\[[0-9;]*m|⧛|⧚", "", str(err))
    return text.strip()


def used_columns(parsed: ParsedFormula) -> list[str]:
    """Every data column the formula refers to, in order of first mention."""
    cols: list[str] = []
    cols += sorted(formula_variables(parsed.response.expr))
    cols += list(parsed.response.addition_columns)
    cols += sorted(formula_variables(parsed.fixed))
    for offset in parsed.offsets:
        cols += sorted(offset_columns(offset))
    for term in parsed.group_terms:
        cols += sorted(formula_variables(term.expr))
        cols += list(term.factor.used_columns)
    if parsed.autocor is not None:
        cols += list(parsed.autocor.used_columns)
    return list(dict.fromkeys(cols))


def check_roles(parsed: ParsedFormula, formula: str) -> None:
    """A response column may not also predict, offset, group or weight; no predictor column
    may be called ``Intercept`` (formulaic would silently take it for the intercept)."""
    predictors = formula_variables(parsed.fixed)
    for term in parsed.group_terms:
        predictors |= formula_variables(term.expr)
    others = {c for t in parsed.group_terms for c in t.factor.used_columns}
    for offset in parsed.offsets:
        others |= offset_columns(offset)
    if parsed.autocor is not None:
        others |= set(parsed.autocor.used_columns)
    both = sorted(formula_variables(parsed.response.expr) & (predictors | others))
    if both:
        raise FormulaError(
            f"The response column {both[0]!r} also appears on the right-hand side of the "
            "formula; a column cannot predict, offset, group or weight itself. Remove it "
            "from the right-hand side.",
            formula,
        )
    if "Intercept" in predictors:
        raise FormulaError(
            "The column 'Intercept' is used as a predictor, but 'Intercept' is the name of "
            "the intercept, so the two would be confused. Rename the column, e.g. "
            "data.rename(columns={'Intercept': 'intercept_value'}).",
            formula,
        )
