"""The response additions of brms: the terms after ``|`` on the left of ``~``.

==============================  ===============================================================
``y | trials(n)``               binomial number of trials per row
``y | se(s)``                   known measurement SD per row, no residual SD (meta-analysis;
                                gaussian); ``se(s, sigma=True)`` keeps a residual SD ``sigma``
                                and the row's SD is ``sqrt(s² + sigma²)``
``y | cens(c)``                 censoring code per row: ``-1``/``"left"`` (``Y <= y``),
                                ``0``/``"none"``, ``1``/``"right"`` (``Y > y``),
                                ``2``/``"interval"`` (``y < Y <= y2``, with ``cens(c, y2)``)
``y | weights(w)``              likelihood weights: each row's log density times ``w``
==============================  ===============================================================

Several additions join with ``+``, as in brms: ``y | trials(n) + weights(w)``,
``y | cens(c) + weights(w)``, ``y | se(s) + weights(w)``. Which families accept which
addition is checked when the data are read (:mod:`hiermodels.design.row_terms`).

Examples
--------
>>> parse_additions("y", "cens(c, y2) + weights(w)", 4, "y | cens(c, y2) + weights(w) ~ x")
Response(expr='y', trials=None, se=None, se_sigma=False, cens='c', cens_y2='y2', weights='w')
>>> parse_additions("y", "se(s, sigma=True)", 4, "y | se(s, sigma=True) ~ 1").text
'y | se(s, sigma=True)'
"""

from __future__ import annotations

import re

from hiermodels.errors import FormulaError
from hiermodels.spec.scanning import column_name, split_top, strip
from hiermodels.spec.terms import Response

__all__ = ["ADDITIONS", "parse_additions"]

#: The additions a response accepts, with the form each is written in.
ADDITIONS = {
    "trials": "trials(n)",
    "se": "se(s) or se(s, sigma=True)",
    "cens": "cens(c) or cens(c, y2)",
    "weights": "weights(w)",
}


def _arguments(inner: str, at: int, formula: str, name: str) -> list[tuple[str, int]]:
    args = [strip(a, a_at) for a, a_at in split_top(inner, ",", at, formula)]
    if any(not a for a, _ in args):
        raise FormulaError(f"Empty argument in {name}(); write {ADDITIONS[name]}.", formula, at)
    return args


def _se(args, formula: str) -> dict:
    column = column_name(*args[0], formula, "the standard errors")
    sigma = False
    for text, at in args[1:]:
        key, eq, value = text.partition("=")
        if not eq or key.strip() != "sigma" or value.strip() not in ("True", "False"):
            raise FormulaError(
                f"Unknown se() argument {text!r}; se() takes a column and optionally "
                "sigma=True (a residual SD besides the known one) or sigma=False.",
                formula,
                at,
            )
        sigma = value.strip() == "True"
    if len(args) > 2:
        raise FormulaError("se() takes at most two arguments.", formula, args[2][1])
    return {"se": column, "se_sigma": sigma}


def _cens(args, formula: str) -> dict:
    if len(args) > 2:
        raise FormulaError(
            "cens() takes the censoring column and, for interval censoring, the column of "
            "upper bounds: cens(c) or cens(c, y2).",
            formula,
            args[2][1],
        )
    out = {"cens": column_name(*args[0], formula, "the censoring codes")}
    if len(args) == 2:
        out["cens_y2"] = column_name(*args[1], formula, "the upper bounds of intervals")
    return out


def parse_additions(expr: str, text: str, at: int, formula: str) -> Response:
    """The :class:`~hiermodels.spec.terms.Response` of ``expr | text``.

    ``at`` is the position of ``text`` in ``formula`` (for the caret of errors).

    Raises
    ------
    FormulaError
        For an unknown or repeated addition, or malformed arguments.
    """
    fields: dict[str, object] = {}
    seen: set[str] = set()
    for piece, piece_at in split_top(text, "+", at, formula):
        piece, piece_at = strip(piece, piece_at)
        match = re.fullmatch(r"(\w+)\s*\((.*)\)", piece, flags=re.DOTALL)
        if not match or match.group(1) not in ADDITIONS:
            raise FormulaError(
                f"Unknown response addition {piece!r}; the valid ones are "
                f"{', '.join(ADDITIONS.values())}, joined with '+'.",
                formula,
                piece_at,
            )
        name = match.group(1)
        if name in seen:
            raise FormulaError(f"The addition {name}() appears twice.", formula, piece_at)
        seen.add(name)
        args = _arguments(match.group(2), piece_at + match.start(2), formula, name)
        if name == "se":
            fields.update(_se(args, formula))
        elif name == "cens":
            fields.update(_cens(args, formula))
        else:
            if len(args) != 1:
                raise FormulaError(
                    f"{name}() takes one column: {ADDITIONS[name]}.", formula, args[1][1]
                )
            what = "the number of trials" if name == "trials" else "the weights"
            fields[name] = column_name(*args[0], formula, what)
    return Response(expr=expr, **fields)
