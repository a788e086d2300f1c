"""Scanning formula text: top-level splits outside quotes and brackets, column names.

Examples
--------
>>> [piece for piece, _ in split_top("a + f(b, c) + d", "+", 0, "")]
['a ', ' f(b, c) ', ' d']
"""

from __future__ import annotations

import re

from hiermodels.errors import FormulaError

__all__ = ["column_name", "scan", "split_top", "strip"]

OPEN = "([{"
CLOSE = ")]}"
# A backticked name, or an identifier (Unicode letters too, as Python and formulaic allow)
# that may also hold dots, as R names do.
NAME = re.compile(r"^\s*(`[^`]+`|(?:[^\W\d]|\.)[\w.]*)\s*$")


def scan(text: str, offset: int, formula: str):
    """Yield ``(index, char, depth)`` for characters outside quotes and backticks."""
    depth = 0
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote is not None:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`":
            quote = ch
            continue
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
            if depth < 0:
                raise FormulaError("Unmatched closing parenthesis.", formula, offset + i)
        yield i, ch, depth
    if quote is not None:
        raise FormulaError(f"Unclosed quote {quote}.", formula, offset + len(text))
    if depth != 0:
        raise FormulaError(
            "Unclosed parenthesis: add the missing ')'.", formula, offset + len(text)
        )


def split_top(text: str, sep: str, offset: int, formula: str) -> list[tuple[str, int]]:
    """Split ``text`` at top-level ``sep``; return pieces with their absolute offsets."""
    pieces: list[tuple[str, int]] = []
    start = 0
    for i, ch, depth in scan(text, offset, formula):
        if ch == sep and depth == 0:
            pieces.append((text[start:i], offset + start))
            start = i + 1
    pieces.append((text[start:], offset + start))
    return pieces


def strip(piece: str, offset: int) -> tuple[str, int]:
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), offset + lead


def column_name(text: str, offset: int, formula: str, what: str) -> str:
    match = NAME.match(text)
    if not match:
        raise FormulaError(
            f"Expected a column name as {what}, got {text.strip()!r}. Write a column name "
            "(use backticks for names that are not identifiers).",
            formula,
            offset + (len(text) - len(text.lstrip())),
        )
    name = match.group(1)
    return name[1:-1] if name.startswith("`") else name
