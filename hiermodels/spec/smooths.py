"""Penalised smooth terms ``s(x)`` and ``s(x, by=g)`` in the fixed part of a formula.

A smooth stays in the formula's fixed text as the user wrote it (so the formula, and a
model rebuilt from it, are unchanged); :func:`split_smooths` takes the smooth terms out
of that text when the design is built.

==================================  =========================================================
``s(x)``                            a penalised cubic regression spline of ``x`` (mgcv's
                                    ``bs="cr"``), basis size ``k=10``
``s(x, k=5)``                       the same with 5 basis functions
``s(x, by=g)``                      one smooth of ``x`` per level of the categorical ``g``,
                                    each with its own SD (mgcv's and brms's factor ``by``)
==================================  =========================================================

Examples
--------
>>> rest, smooths = split_smooths("z + s(x, k=5) + s(x, by=g)", "y ~ z + s(x, k=5)")
>>> rest, [s.name for s in smooths]
('z', ['s(x, k=5)', 's(x, by=g)'])
>>> smooths[1].used_columns
('x', 'g')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hiermodels.errors import FormulaError
from hiermodels.spec.scanning import column_name, split_top, strip
from hiermodels.spec.terms import quote

__all__ = ["DEFAULT_K", "SMOOTH_BASES", "Smooth", "is_smooth", "parse_smooth", "split_smooths"]

#: The basis size of ``s(x)`` without ``k=`` (mgcv's default).
DEFAULT_K = 10
#: The bases ``s(x, bs=...)`` accepts.
SMOOTH_BASES = ("cr",)
_CALL = re.compile(r"s\s*\((.*)\)", flags=re.DOTALL)


@dataclass(frozen=True)
class Smooth:
    """One smooth term: the column ``x``, an optional factor ``by``, the basis size ``k``."""

    x: str
    by: str | None = None
    k: int = DEFAULT_K
    bs: str = "cr"

    @property
    def name(self) -> str:
        """The term as written in normal form, e.g. ``"s(x)"``, ``"s(x, by=g)"``."""
        parts = [quote(self.x)]
        if self.by is not None:
            parts.append(f"by={quote(self.by)}")
        if self.k != DEFAULT_K:
            parts.append(f"k={self.k}")
        if self.bs != "cr":  # pragma: no cover - one basis for now
            parts.append(f"bs={self.bs!r}")
        return "s(" + ", ".join(parts) + ")"

    @property
    def used_columns(self) -> tuple[str, ...]:
        return (self.x,) if self.by is None else (self.x, self.by)


def _k(value: str, formula: str, at: int) -> int:
    try:
        k = int(value)
    except ValueError:
        k = None
    if k is None or str(k) != value.strip() or k < 4:
        raise FormulaError(
            f"s() takes k= as a whole number of basis functions of at least 4, got "
            f"{value.strip()!r}.",
            formula,
            at,
        )
    return k


def parse_smooth(text: str, formula: str = "", at: int = 0) -> Smooth:
    """The :class:`Smooth` of a term ``s(...)``; ``at`` is its position in ``formula``.

    Raises
    ------
    FormulaError
        For a missing column, an unknown argument or a bad ``k``/``bs``.
    """
    match = _CALL.fullmatch(text.strip())
    if match is None:
        raise FormulaError(f"{text!r} is not a smooth term s(x, ...).", formula, at)
    inner_at = at + match.start(1)
    x, fields = None, {}
    for arg, arg_at in split_top(match.group(1), ",", inner_at, formula):
        arg, arg_at = strip(arg, arg_at)
        if not arg:
            raise FormulaError("Empty argument in s(); write e.g. s(x, k=5).", formula, arg_at)
        key, eq, value = arg.partition("=")
        key = key.strip()
        if not eq:
            if x is not None:
                raise FormulaError(
                    "s() smooths one column; a smooth of several columns (s(x, z)) is not "
                    "supported. Write s(x) + s(z).",
                    formula,
                    arg_at,
                )
            x = column_name(arg, arg_at, formula, "the column of s()")
        elif key == "by":
            fields["by"] = column_name(value, arg_at + len(key) + 1, formula, "by=")
        elif key == "k":
            fields["k"] = _k(value, formula, arg_at)
        elif key == "bs":
            bs = value.strip().strip("'\"")
            if bs not in SMOOTH_BASES:
                raise FormulaError(
                    f"Unknown smooth basis bs={value.strip()}; the supported bases are "
                    f"{list(SMOOTH_BASES)} (cubic regression spline).",
                    formula,
                    arg_at,
                )
            fields["bs"] = bs
        else:
            raise FormulaError(
                f"Unknown s() argument {key!r}; the valid ones are 'by', 'k' and 'bs'.",
                formula,
                arg_at,
            )
    if x is None:
        raise FormulaError("s() needs the column to smooth, e.g. s(x).", formula, at)
    if fields.get("by") == x:
        raise FormulaError(f"s({x}, by={x}): by= must name another column.", formula, at)
    return Smooth(x=x, **fields)


def is_smooth(piece: str) -> bool:
    """Whether a term of the fixed part is a smooth ``s(...)``."""
    return _CALL.fullmatch(piece.strip()) is not None


def split_smooths(fixed: str, formula: str = "") -> tuple[str, tuple[Smooth, ...]]:
    """The fixed text without its smooth terms (``"1"`` if nothing is left), and the smooths.

    Raises
    ------
    FormulaError
        For a malformed smooth, or one written twice.
    """
    at = formula.find(fixed) if fixed in formula else 0
    rest, smooths = [], []
    for piece, piece_at in split_top(fixed, "+", at, formula):
        if is_smooth(piece):
            smooth = parse_smooth(piece, formula, piece_at)
            if smooth in smooths:
                raise FormulaError(f"The smooth {smooth.name} appears twice.", formula, piece_at)
            smooths.append(smooth)
        else:
            rest.append(piece.strip())
    return (" + ".join(rest) if rest else "1"), tuple(smooths)
