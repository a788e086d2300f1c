"""Frozen dataclasses that describe a multilevel model without any data attached.

Examples
--------
>>> from hiermodels.spec.terms import GroupFactor, GroupTerm
>>> GroupTerm(expr="1 + Days", factor=GroupFactor(("Subject",))).text
'(1 + Days | Subject)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hiermodels.spec.autocor import ArTerm

__all__ = ["GroupFactor", "GroupTerm", "Membership", "ModelSpec", "Response", "quote"]


def quote(name: str) -> str:
    """Return ``name`` as it must be written in a formula (backticks if not an identifier)."""
    return name if name.isidentifier() else f"`{name}`"


@dataclass(frozen=True)
class GroupFactor:
    """A grouping factor: one column, or the interaction ``a:b`` of several columns."""

    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        """The factor as written in a formula, e.g. ``"a:b"``; also its dimension name."""
        return ":".join(self.columns)

    @property
    def text(self) -> str:
        return ":".join(quote(c) for c in self.columns)

    @property
    def used_columns(self) -> tuple[str, ...]:
        return self.columns


@dataclass(frozen=True)
class Membership:
    """A multiple-membership factor: each row belongs to several units of one factor.

    The levels are the union of the values in ``members``. The row's group effect is the
    weighted sum of its members' effects. Without ``weights`` every member gets weight
    ``1 / k``; with ``scale=True`` each row's weights are divided by their sum.
    """

    members: tuple[str, ...]
    weights: tuple[str, ...] | None = None
    scale: bool = False

    @property
    def name(self) -> str:
        return f"mm({', '.join(self.members)})"

    @property
    def text(self) -> str:
        parts = [quote(m) for m in self.members]
        if self.weights is not None:
            parts.append("weights=[" + ", ".join(quote(w) for w in self.weights) + "]")
        if self.scale:
            parts.append("scale=True")
        return "mm(" + ", ".join(parts) + ")"

    @property
    def used_columns(self) -> tuple[str, ...]:
        return self.members + (self.weights or ())


@dataclass(frozen=True)
class GroupTerm:
    """One bar term, ``(expr | factor)`` or, uncorrelated, ``(expr || factor)``."""

    expr: str
    factor: GroupFactor | Membership
    correlated: bool = True

    @property
    def text(self) -> str:
        bar = "|" if self.correlated else "||"
        return f"({self.expr} {bar} {self.factor.text})"


@dataclass(frozen=True)
class Response:
    """The response column and its brms-style additions (the terms after ``|``).

    ``trials`` names the binomial number of trials; ``se`` a known measurement SD per row
    (``se_sigma=True`` keeps a residual SD besides it); ``cens`` the censoring codes and
    ``cens_y2`` the upper bounds of interval-censored rows; ``weights`` the likelihood
    weights. See :mod:`hiermodels.spec.additions`.
    """

    expr: str
    trials: str | None = None
    se: str | None = None
    se_sigma: bool = False
    cens: str | None = None
    cens_y2: str | None = None
    weights: str | None = None

    @property
    def additions(self) -> tuple[str, ...]:
        """The additions as written in a formula, e.g. ``("trials(n)", "weights(w)")``."""
        out = []
        if self.trials is not None:
            out.append(f"trials({quote(self.trials)})")
        if self.se is not None:
            out.append(f"se({quote(self.se)}" + (", sigma=True)" if self.se_sigma else ")"))
        if self.cens is not None:
            y2 = "" if self.cens_y2 is None else f", {quote(self.cens_y2)}"
            out.append(f"cens({quote(self.cens)}{y2})")
        if self.weights is not None:
            out.append(f"weights({quote(self.weights)})")
        return tuple(out)

    @property
    def has_row_terms(self) -> bool:
        """``True`` with ``se()``, ``cens()`` or ``weights()`` (not only ``trials()``)."""
        return self.se is not None or self.cens is not None or self.weights is not None

    @property
    def addition_columns(self) -> tuple[str, ...]:
        """The data columns the additions read, in the order written."""
        cols = (self.trials, self.se, self.cens, self.cens_y2, self.weights)
        return tuple(c for c in cols if c is not None)

    @property
    def text(self) -> str:
        extra = self.additions
        return self.expr if not extra else f"{self.expr} | {' + '.join(extra)}"


@dataclass(frozen=True)
class ModelSpec:
    """A complete, data-free model specification.

    Built by :func:`hiermodels.spec.formula.parse_formula` (plus family and priors) or by
    the builders in :mod:`hiermodels.builders`; both give equal objects for the same model.
    """

    response: Response
    fixed: str
    group_terms: tuple[GroupTerm, ...] = ()
    family: str = "gaussian"
    link: str | None = None
    priors: tuple[tuple[str, object], ...] = field(default=())
    offsets: tuple[str, ...] = ()
    #: The residual autocorrelation term, :class:`hiermodels.spec.autocor.ArTerm`.
    autocor: ArTerm | None = None
    #: Formulas of distributional parameters (:mod:`hiermodels.spec.distributional`).
    distributional: tuple[Any, ...] = ()

    @property
    def formula(self) -> str:
        rhs = [self.fixed, *(f"offset({o})" for o in self.offsets)]
        rhs += [t.text for t in self.group_terms]
        rhs += [self.autocor.text] if self.autocor is not None else []
        return f"{self.response.text} ~ {' + '.join(rhs)}"

    @property
    def group_names(self) -> tuple[str, ...]:
        """Grouping factors in order of first appearance, without repeats."""
        return tuple(dict.fromkeys(t.factor.name for t in self.group_terms))

    @property
    def prior_dict(self) -> dict[str, object]:
        return dict(self.priors)
