"""Hypotheses about a fit's parameters, brms's ``hypothesis()`` over posterior draws.

A hypothesis compares two expressions with ``>``, ``<`` (``>=``, ``<=`` mean the same
over continuous draws) or ``=`` (``==``): ``"Days > 0"``, ``"Intercept + 10 * Days =
300"``. Each side is arithmetic (``+ - * /``, parentheses, numbers) on the parameters,
evaluated draw by draw; the reported quantity is ``left - right``.

The string is read by a small tokenizer and recursive-descent parser, never by
``eval``. A parameter is written as the summary and the tables name it:

- the fixed effects, as in :meth:`hiermodels.Fit.fixed_effects` (``Intercept``,
  ``Days``, ``sex[M]``, ``a:b``);
- the SDs and correlations of the group effects, ``sd_Subject[Days]`` and
  ``cor_Subject[Intercept,Days]`` (factor and terms as in
  :meth:`hiermodels.Fit.variance_components`);
- the family's parameters (``sigma``, ``nu``, ``alpha``, ...).

Any parameter may be quoted in backticks, as in ``"`np.log(x)` > 0"``; names are
matched longest first, so ``np.log(x)``, ``sex[M]`` and ``a:b`` also read unquoted.

Examples
--------
>>> tokens = tokenize("Intercept + 10*Days = 300", ["Intercept", "Days"])
>>> [t.text for t in tokens if t.kind != "end"]
['Intercept', '+', '10', '*', 'Days', '=', '300']
>>> parse("a:b > -1", ["a:b"]).relation
'>'
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.analysis.draws import DrawsFrame, draws_frame
from hiermodels.errors import HypothesisError
from hiermodels.families import get_family
from hiermodels.options import PROB

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["hypothesis", "parameter_draws", "parse", "tokenize"]

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# A name the parser does not know: letters, digits, _ and ., with [..] parts and : joins.
_WORD = re.compile(r"[A-Za-z_.][\w.]*(?:\[[^\]]*\])?(?::[A-Za-z_.][\w.]*(?:\[[^\]]*\])?)*")
_OPERATORS = ("<=", ">=", "==", "<", ">", "=", "+", "-", "*", "/", "(", ")")
_RELATIONS = {"<": "<", "<=": "<", ">": ">", ">=": ">", "=": "=", "==": "="}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``"name"``, ``"number"``, ``"op"`` or ``"end"``."""

    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Hypothesis:
    """A parsed hypothesis: ``left relation right``; the sides are expression trees."""

    text: str
    left: tuple | str | float
    relation: str
    right: tuple | str | float


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_."


def _known_name(text: str, i: int, names: Sequence[str]) -> str | None:
    """The longest parameter name at ``text[i:]`` that is not the start of a longer word."""
    for name in sorted(names, key=len, reverse=True):
        end = i + len(name)
        if text.startswith(name, i) and not (
            end < len(text) and _is_word_char(name[-1]) and _is_word_char(text[end])
        ):
            return name
    return None


def _unknown(text: str, name: str, position: int, names: Sequence[str]) -> HypothesisError:
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {close}?" if close else ""
    return HypothesisError(
        f"Unknown parameter {name!r} in the hypothesis.{hint} Valid names (as the summary "
        f"names them; quote others in backticks): {list(names)}.",
        text,
        position,
    )


def tokenize(text: str, names: Sequence[str]) -> list[Token]:
    """Split a hypothesis into tokens; unknown names and characters are errors.

    Raises
    ------
    HypothesisError
        With a caret under an unknown name or an unexpected character.
    """
    tokens, i = [], 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise HypothesisError("Unclosed backtick in the hypothesis.", text, i)
            name = text[i + 1 : end]
            if name not in names:
                raise _unknown(text, name, i, names)
            tokens.append(Token("name", name, i))
            i = end + 1
            continue
        name = _known_name(text, i, names)
        if name is not None:
            tokens.append(Token("name", name, i))
            i += len(name)
            continue
        number = _NUMBER.match(text, i)
        if number:
            tokens.append(Token("number", number.group(), i))
            i = number.end()
            continue
        word = _WORD.match(text, i)
        if word:
            raise _unknown(text, word.group(), i, names)
        op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if op is None:
            raise HypothesisError(
                f"Unexpected character {char!r} in the hypothesis; it may hold parameter "
                "names, numbers, + - * / ( ) and one of =, <, >.",
                text,
                i,
            )
        tokens.append(Token("op", op, i))
        i += len(op)
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
    factor := ('+'|'-') factor | number | name | '(' expr ')'."""

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens, self.i = text, tokens, 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str) -> HypothesisError:
        return HypothesisError(message, self.text, self.token.position)

    def expr(self):
        node = self.term()
        while self.token.text in ("+", "-"):
            op = self.token.text
            self.i += 1
            node = (op, node, self.term())
        return node

    def term(self):
        node = self.factor()
        while self.token.text in ("*", "/"):
            op = self.token.text
            self.i += 1
            node = (op, node, self.factor())
        return node

    def factor(self):
        token = self.token
        self.i += 1
        if token.kind == "number":
            return float(token.text)
        if token.kind == "name":
            return token.text
        if token.text in ("+", "-"):
            return ("neg", self.factor()) if token.text == "-" else self.factor()
        if token.text == "(":
            node = self.expr()
            if self.token.text != ")":
                raise self.error("Expected ')' here.")
            self.i += 1
            return node
        self.i -= 1
        what = "the end of the hypothesis" if token.kind == "end" else repr(token.text)
        raise self.error(f"Expected a parameter, a number or '(' but found {what}.")


def parse(text: str, names: Sequence[str]) -> Hypothesis:
    """Parse ``left relation right``; see the module docstring for the syntax.

    Raises
    ------
    HypothesisError
        For a string that does not parse, with a caret under the offending token, or
        that names no parameter or an unknown one.
    """
    if not isinstance(text, str):
        raise HypothesisError(f"A hypothesis must be a string, got {type(text).__name__}.")
    parser = _Parser(text, tokenize(text, names))
    left = parser.expr()
    if parser.token.text not in _RELATIONS:
        raise parser.error(
            "Expected one of =, <, > here: a hypothesis compares two sides, e.g. 'Days > 0'."
        )
    relation = _RELATIONS[parser.token.text]
    parser.i += 1
    right = parser.expr()
    if parser.token.kind != "end":
        raise parser.error(f"Unexpected {parser.token.text!r}: a hypothesis has one relation.")
    if not any(t.kind == "name" for t in parser.tokens):
        raise HypothesisError(
            f"The hypothesis names no parameter. Valid names: {list(names)}.", text, 0
        )
    return Hypothesis(text, left, relation, right)


def _evaluate(node, draws: Mapping[str, xr.DataArray]):
    if isinstance(node, float):
        return node
    if isinstance(node, str):
        return draws[node]
    if node[0] == "neg":
        return -_evaluate(node[1], draws)
    op, a, b = node
    return _ARITHMETIC[op](_evaluate(a, draws), _evaluate(b, draws))


def parameter_draws(fit: FitLike) -> dict[str, xr.DataArray]:
    """The parameters a hypothesis may name, each as draws with dims ``(chain, draw)``."""
    post = fit.posterior
    out: dict[str, xr.DataArray] = {}
    for name in fit.design.fixed.names:
        if name == naming.INTERCEPT:
            out[name] = post[naming.INTERCEPT]
        else:
            out[name] = post[naming.SLOPES].sel({naming.FIXED_DIM: name}, drop=True)
    for g in fit.design.groups:
        sd = post[naming.sd_name(g.name)]
        for term in g.terms:
            out[f"sd_{g.name}[{term}]"] = sd.sel({naming.term_dim(g.name): term}, drop=True)
        if g.correlated:
            cor = post[naming.cor_name(g.name)]
            for block in g.blocks:
                for k, a in enumerate(block):
                    for b in block[k + 1 :]:
                        ta, tb = g.terms[a], g.terms[b]
                        out[f"cor_{g.name}[{ta},{tb}]"] = cor.sel(
                            {naming.term_dim(g.name): ta, naming.term_dim_bis(g.name): tb},
                            drop=True,
                        )
    for param in get_family(fit.spec.family).parameters:
        if param in post and param not in out:
            out[param] = post[param]
    return {k: v.reset_coords(drop=True) for k, v in out.items()}


def _probability(delta: np.ndarray, relation: str) -> tuple[float, float]:
    """Posterior probability of a one-sided hypothesis and its evidence ratio P / (1 - P)."""
    if relation == "=":
        return np.nan, np.nan
    p = float(np.mean(delta > 0 if relation == ">" else delta < 0))
    return p, (np.inf if p == 1 else p / (1 - p))


def hypothesis(fit: FitLike, hypotheses: str | Sequence[str], *, prob: float = PROB) -> DrawsFrame:
    """Test hypotheses about the parameters over the posterior draws, as brms does.

    Parameters
    ----------
    hypotheses
        One hypothesis or a list: two expressions compared with ``>``, ``<`` or ``=``,
        e.g. ``"Days > 0"`` or ``"Intercept + 10 * Days = 300"``. The expressions are
        arithmetic (``+ - * /``, parentheses, numbers) on parameters named as in the
        summary: fixed effects (``Intercept``, ``Days``, ``a:b``), group SDs and
        correlations (``sd_Subject[Days]``, ``cor_Subject[Intercept,Days]``) and family
        parameters (``sigma``, ...). Quote other characters in backticks.
    prob
        Probability mass of the equal-tailed interval (default 0.89).

    Returns
    -------
    DrawsFrame
        One row per hypothesis, indexed by position, with the columns ``hypothesis``
        (as written), ``estimate`` (posterior mean of ``left - right``), ``sd``, the
        interval bounds (``eti89_lb``, ``eti89_ub``; equal-tailed also for one-sided
        hypotheses, where brms prints a one-sided bound), ``post_prob`` and
        ``evid_ratio``. For ``left > right``, ``post_prob`` is the share of draws with
        ``left > right`` and ``evid_ratio`` is ``post_prob / (1 - post_prob)`` (infinite
        when every draw agrees); likewise for ``<``. For a point hypothesis (``=``) both
        are NaN: its posterior probability is 0 for a continuous posterior, and the
        Savage-Dickey ratio that brms reports needs prior draws and a density estimate
        at the point; read the interval instead. ``draws`` holds ``left - right`` per
        draw, dims ``(chain, draw, hypothesis)``, labelled by the hypotheses as written:
        ``table.draws.sel(hypothesis="Days > 0")``.

    Raises
    ------
    HypothesisError
        For a hypothesis that does not parse (the message marks the token with a caret)
        or names an unknown parameter (the message lists the valid names).

    Examples
    --------
    >>> table = fit.hypothesis(["Days > 0", "Intercept + 10 * Days = 350"])
    >>> table[["hypothesis", "post_prob", "evid_ratio"]]
                        hypothesis  post_prob  evid_ratio
    0                     Days > 0        1.0         inf
    1  Intercept + 10 * Days = 350        NaN         NaN
    >>> table.draws.sel(hypothesis="Days > 0").shape  # (chain, draw)
    (2, 500)
    """
    texts = [hypotheses] if isinstance(hypotheses, str) else list(hypotheses)
    if not texts:
        raise HypothesisError("No hypothesis given; pass a string such as 'Days > 0'.")
    params = parameter_draws(fit)
    names = list(params)
    parsed = [parse(text, names) for text in texts]
    deltas = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for h in parsed:
            delta = _evaluate(h.left, params) - _evaluate(h.right, params)
            deltas.append(delta.transpose(*naming.CHAIN_DRAW))
    da = xr.concat(deltas, dim="hypothesis").transpose(*naming.CHAIN_DRAW, "hypothesis")
    da = da.assign_coords(hypothesis=texts).rename(None)
    table = draws_frame(da, prob=prob)
    table.index = pd.RangeIndex(len(texts))
    probabilities = [_probability(d.values, h.relation) for d, h in zip(deltas, parsed)]
    table.insert(0, "hypothesis", texts)
    table["post_prob"] = [p for p, _ in probabilities]
    table["evid_ratio"] = [r for _, r in probabilities]
    table.draws = da
    return table
