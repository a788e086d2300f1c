"""Checks of column names given as builder and study arguments (not formulas).

Examples
--------
>>> column_names("Days", "predictors")
('Days',)
>>> one_name("Subject", "group")
'Subject'
"""

from __future__ import annotations

from hiermodels.errors import SpecError

__all__ = ["column_names", "one_name", "writable_name"]


def column_names(value, what: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    """``value`` (a column name or a list of them) as a tuple; SpecError otherwise."""
    if isinstance(value, str):
        value = (value,)
    try:
        names = tuple(value)
    except TypeError:
        raise SpecError(f"{what} must be a column name or a list of them, got {value!r}.") from None
    if any(not isinstance(n, str) for n in names):
        raise SpecError(f"{what} must hold column names (strings), got {names!r}.")
    if not names and not allow_empty:
        raise SpecError(f"{what} must name at least one column.")
    for name in names:
        writable_name(name, what)
    return names


def writable_name(name: str, what: str) -> str:
    """A name a formula can hold: non-empty and without a backtick (backticks quote)."""
    if not name or "`" in name:
        raise SpecError(
            f"{what} names the column {name!r}, which a formula cannot refer to: column "
            "names must be non-empty and free of backticks. Rename the column."
        )
    return name


def one_name(value, what: str) -> str:
    if not isinstance(value, str):
        raise SpecError(f"{what} must be one column name (a string), got {value!r}.")
    return writable_name(value, what)
