"""Parse lme4/brms-style formulas into a fixed part and group terms.

Only the group-term layer is parsed here. The fixed part is kept as text and handed to
formulaic, which builds the design matrix (categoricals, interactions, transforms).

Supported syntax
----------------
=====================================  =============================================
``(1 | g)``                            varying intercept
``(1 + x | g)``, ``(x | g)``           correlated varying intercept and slope
``(1 + x || g)``                       the same, uncorrelated
``(0 + x | g)``                        varying slope only
``(1 | a/b)``                          nested: ``(1 | a) + (1 | a:b)``
``(1 | a:b)``                          interaction of two columns as one factor
``(1 | mm(s1, s2, weights=[w1, w2]))`` multiple membership (``scale=True`` optional)
``(1 | gr(g, cov=K))``                 levels with a known covariance ``data2["K"]``
``y | trials(n) ~ ...``                binomial response with ``n`` trials
``y | se(s) ~ ...``                    known measurement SD ``s`` per row (gaussian)
``y | cens(c) ~ ...``, ``cens(c, y2)`` left, right and interval censoring
``y | weights(w) ~ ...``               likelihood weights (``trials(n) + weights(w)``)
``offset(log(exposure))``              a known term added to the linear predictor
``ar(time, gr = id)``                  residual AR(1) within each ``id`` (gaussian)
=====================================  =============================================

Examples
--------
>>> from hiermodels.spec.formula import parse_formula
>>> parsed = parse_formula("Reaction ~ Days + (Days | Subject)")
>>> parsed.fixed
'Days'
>>> parsed.group_terms[0].text
'(Days | Subject)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hiermodels.errors import FormulaError
from hiermodels.spec.additions import parse_additions
from hiermodels.spec.autocor import ArTerm, parse_ar
from hiermodels.spec.known_covariance import parse_gr
from hiermodels.spec.offsets import offset_columns
from hiermodels.spec.scanning import column_name as _name
from hiermodels.spec.scanning import scan as _scan
from hiermodels.spec.scanning import split_top as _split_top
from hiermodels.spec.scanning import strip as _strip
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership, Response

__all__ = ["ParsedFormula", "parse_formula"]


@dataclass(frozen=True)
class ParsedFormula:
    """The pieces of a formula: response, fixed-part text and group terms."""

    response: Response
    fixed: str
    group_terms: tuple[GroupTerm, ...]
    offsets: tuple[str, ...] = ()
    #: The residual autocorrelation term ``ar(...)``, if any (:mod:`hiermodels.spec.autocor`).
    autocor: ArTerm | None = None


def _parse_response(text: str, offset: int, formula: str) -> Response:
    text, offset = _strip(text, offset)
    if not text:
        raise FormulaError("The formula has no response before '~'.", formula, offset)
    pieces = _split_top(text, "|", offset, formula)
    expr, expr_at = _strip(*pieces[0])
    if not expr:
        raise FormulaError("The response is empty.", formula, expr_at)
    _refuse_cbind(expr, expr_at, formula)
    if len(pieces) == 1:
        return Response(expr=expr)
    if len(pieces) > 2:
        raise FormulaError("The response has more than one '|'.", formula, pieces[2][1] - 1)
    addition, add_at = _strip(*pieces[1])
    return parse_additions(expr, addition, add_at, formula)


def _refuse_cbind(expr: str, offset: int, formula: str) -> None:
    """R's ``cbind(successes, failures)`` response, answered with the brms form."""
    match = re.fullmatch(r"cbind\s*\((.*)\)", expr, flags=re.DOTALL)
    if not match:
        return
    args = [a.strip() for a, _ in _split_top(match.group(1), ",", offset, formula)]
    if len(args) == 2:
        k, rest = args
        total = re.fullmatch(rf"(.+?)\s*-\s*{re.escape(k)}", rest)
        hint = (
            f"here '{k} | trials({total.group(1).strip()}) ~ ...'"
            if total
            else f"here add a column total = {k} + {rest} and write '{k} | trials(total) ~ ...'"
        )
    else:
        hint = "e.g. 'k | trials(n) ~ ...'"
    raise FormulaError(
        "cbind(successes, failures) is R's binomial response; hiermodels writes it as "
        f"successes | trials(number of trials), as brms does: {hint}, with "
        "family='binomial'.",
        formula,
        offset,
    )


def _parse_membership(inner: str, offset: int, formula: str) -> Membership:
    members: list[str] = []
    weights: tuple[str, ...] | None = None
    scale = False
    for arg, at in _split_top(inner, ",", offset, formula):
        arg, at = _strip(arg, at)
        if not arg:
            raise FormulaError("Empty argument in mm().", formula, at)
        key, _, value = arg.partition("=")
        if _ and key.strip() == "weights":
            value_at = at + len(key) + 1
            value_s, value_at = _strip(value, value_at)
            if not (value_s.startswith("[") and value_s.endswith("]")):
                raise FormulaError(
                    "mm() weights must be a list of columns: weights=[w1, w2, ...].",
                    formula,
                    value_at,
                )
            weights = tuple(
                _name(w, w_at, formula, "a weight column")
                for w, w_at in _split_top(value_s[1:-1], ",", value_at + 1, formula)
            )
        elif _ and key.strip() == "scale":
            flag = value.strip()
            if flag not in ("True", "False"):
                raise FormulaError(f"mm() scale must be True or False, got {flag!r}.", formula, at)
            scale = flag == "True"
        elif _:
            raise FormulaError(
                f"Unknown mm() argument {key.strip()!r}; valid ones are 'weights' and 'scale'.",
                formula,
                at,
            )
        else:
            members.append(_name(arg, at, formula, "a member column"))
    if len(members) < 1:
        raise FormulaError("mm() needs at least one member column.", formula, offset)
    if len(set(members)) != len(members):
        raise FormulaError(f"mm() lists a member column twice: {members}.", formula, offset)
    if weights is not None and len(weights) != len(members):
        raise FormulaError(
            f"mm() has {len(members)} member columns {members} but {len(weights)} weight "
            f"columns {list(weights)}; give one weight column per member.",
            formula,
            offset,
        )
    return Membership(members=tuple(members), weights=weights, scale=scale)


def _parse_factors(text: str, offset: int, formula: str) -> list[GroupFactor | Membership]:
    text, offset = _strip(text, offset)
    if not text:
        raise FormulaError("Missing grouping factor after '|'.", formula, offset)
    if text.startswith("mm(") and text.endswith(")"):
        return [_parse_membership(text[3:-1], offset + 3, formula)]
    if text.startswith("gr(") and text.endswith(")"):
        return [parse_gr(text[3:-1], offset + 3, formula)]
    factors: list[GroupFactor | Membership] = []
    prefix: tuple[str, ...] = ()
    for level, level_at in _split_top(text, "/", offset, formula):
        columns = tuple(
            _name(c, c_at, formula, "a grouping factor")
            for c, c_at in _split_top(level, ":", level_at, formula)
        )
        prefix = prefix + columns
        factors.append(GroupFactor(prefix))
    return factors


def _parse_group_term(inner: str, offset: int, formula: str) -> list[GroupTerm]:
    bars = [i for i, ch, depth in _scan(inner, offset, formula) if ch == "|" and depth == 0]
    first = bars[0]
    correlated = True
    if len(bars) == 2 and bars[1] == first + 1:
        correlated = False
    elif len(bars) > 1:
        raise FormulaError("A group term has more than one bar.", formula, offset + bars[1])
    expr = inner[:first].strip()
    if not expr:
        raise FormulaError(
            "Missing varying effects before '|'; write e.g. (1 | g).", formula, offset + first
        )
    # Normal form: one space around each top-level '+', so (1+x|g) equals (1 + x | g).
    expr = " + ".join(part.strip() for part, _ in _split_top(expr, "+", offset, formula))
    rest_at = first + (1 if correlated else 2)
    factors = _parse_factors(inner[rest_at:], offset + rest_at, formula)
    return [GroupTerm(expr=expr, factor=f, correlated=correlated) for f in factors]


def parse_formula(formula: str) -> ParsedFormula:
    """Split a formula into its response, fixed part and group terms.

    Parameters
    ----------
    formula
        An lme4/brms-style formula such as ``"y ~ x + (1 + x | g)"``.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    FormulaError
        With the offending position marked by a caret.

    Examples
    --------
    >>> parse_formula("strength ~ 1 + (1 | batch/cask)").group_terms[1].factor.name
    'batch:cask'
    """
    if not isinstance(formula, str):
        raise FormulaError(f"A formula must be a string, got {type(formula).__name__}.")
    tildes = [i for i, ch, depth in _scan(formula, 0, formula) if ch == "~" and depth == 0]
    if not tildes:
        raise FormulaError("The formula has no '~'; write it as 'y ~ x + (1 | g)'.", formula, 0)
    if len(tildes) > 1:
        raise FormulaError("The formula has more than one '~'.", formula, tildes[1])
    cut = tildes[0]
    response = _parse_response(formula[:cut], 0, formula)
    fixed: list[str] = []
    offsets: list[str] = []
    group_terms: list[GroupTerm] = []
    autocor: ArTerm | None = None
    for piece, at in _split_top(formula[cut + 1 :], "+", cut + 1, formula):
        piece, at = _strip(piece, at)
        if not piece:
            raise FormulaError("Empty term: a '+' has nothing on one side.", formula, at)
        bars = [i for i, ch, _ in _scan(piece, at, formula) if ch == "|"]
        # Is the closing parenthesis the partner of the opening one?
        closes = [i for i, ch, depth in _scan(piece, at, formula) if ch == ")" and depth == 0]
        whole = piece.startswith("(") and bool(closes) and closes[0] == len(piece) - 1
        if whole:
            inner_bar = any(
                ch == "|" and depth == 0 for _, ch, depth in _scan(piece[1:-1], at + 1, formula)
            )
            if inner_bar:
                group_terms.extend(_parse_group_term(piece[1:-1], at + 1, formula))
                continue
        if piece.startswith("(") and closes and not whole and bars and bars[0] < closes[0]:
            after = closes[0] + 1
            after += len(piece[after:]) - len(piece[after:].lstrip())
            raise FormulaError(
                "Missing '+' after a group term: each group term is a term of its own, "
                "e.g. (1 | g) + (1 | h).",
                formula,
                at + after,
            )
        if bars and whole:
            raise FormulaError(
                "Write a group term with one pair of parentheses, e.g. (1 | g).",
                formula,
                at,
            )
        if bars:
            raise FormulaError(
                "A '|' must sit inside a parenthesised group term such as (1 | g).",
                formula,
                at + bars[0],
            )
        if piece.startswith("offset(") and piece.endswith(")"):
            raw = piece[len("offset(") : -1]
            inner = raw.strip()
            if not inner:
                raise FormulaError(
                    "offset() needs an expression, e.g. offset(log(n)).", formula, at
                )
            offset_columns(inner, formula, at + len("offset(") + len(raw) - len(raw.lstrip()))
            offsets.append(inner)
            continue
        if piece.startswith("ar(") and piece.endswith(")"):
            if autocor is not None:
                raise FormulaError("The formula has more than one ar() term.", formula, at)
            autocor = parse_ar(piece[3:-1], at + 3, formula)
            continue
        fixed.append(piece)
    if not fixed:
        fixed = ["1"]
    seen: set[tuple[str, str]] = set()
    for term in group_terms:
        key = (term.expr, term.factor.name)
        if key in seen:
            raise FormulaError(f"The group term {term.text} appears twice.", formula)
        seen.add(key)
    return ParsedFormula(
        response=response,
        fixed=" + ".join(fixed),
        group_terms=tuple(group_terms),
        offsets=tuple(offsets),
        autocor=autocor,
    )
