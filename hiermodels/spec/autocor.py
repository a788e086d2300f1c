"""The residual autocorrelation term ``ar(time, gr=id)`` of a formula (brms syntax).

``ar(time, gr=id)`` gives the residuals of each level of ``id`` (a series) a first-order
autoregressive correlation over ``time``: ``cor(e_i, e_j) = phi^|t_i - t_j|`` within a
series, none between series. Written as brms writes it: ``ar(t, gr=id)``,
``ar(time=t, gr=id)`` or ``ar(t, id)``; without ``gr`` all rows form one series. ``p=1``
is accepted (the only order), and so is brms's ``cov=TRUE`` (the residual covariance
form, which is the one hiermodels fits).

Examples
--------
>>> from hiermodels.spec.autocor import parse_ar
>>> parse_ar("time = Days, gr = Subject", 0, "")
ArTerm(time='Days', group='Subject')
"""

from __future__ import annotations

from dataclasses import dataclass

from hiermodels.errors import FormulaError
from hiermodels.spec.scanning import column_name, split_top, strip

__all__ = ["ArTerm", "parse_ar"]

_TRUE = ("TRUE", "True", "T")


@dataclass(frozen=True)
class ArTerm:
    """A residual AR(1) term: the time column and the column naming the series."""

    time: str
    group: str | None = None

    @property
    def used_columns(self) -> tuple[str, ...]:
        return (self.time,) if self.group is None else (self.time, self.group)

    @property
    def text(self) -> str:
        return f"ar({self.time})" if self.group is None else f"ar({self.time}, gr = {self.group})"


def parse_ar(inner: str, offset: int, formula: str) -> ArTerm:
    """Parse the text between ``ar(`` and ``)``; ``offset`` is its position in ``formula``."""
    values: dict[str, str] = {}
    positional = ("time", "gr")
    count = 0
    for arg, at in split_top(inner, ",", offset, formula):
        arg, at = strip(arg, at)
        if not arg:
            raise FormulaError("Empty argument in ar(); write e.g. ar(time, gr = id).", formula, at)
        key, eq, value = arg.partition("=")
        if eq:
            key = key.strip()
            value_at = at + len(arg) - len(value.lstrip())
        else:
            if count >= len(positional):
                raise FormulaError(
                    "ar() takes at most two unnamed arguments (time and gr).", formula, at
                )
            key, value, value_at = positional[count], arg, at
            count += 1
        if key in values:
            raise FormulaError(f"ar() gives {key!r} twice.", formula, at)
        if key in ("time", "gr"):
            what = "the time column" if key == "time" else "the column naming the series"
            values[key] = column_name(value, value_at, formula, what)
        elif key == "p":
            if value.strip() != "1":
                raise FormulaError(
                    f"ar() supports order p = 1 only, got p = {value.strip()}.", formula, at
                )
        elif key == "cov":
            if value.strip() not in _TRUE:
                raise FormulaError(
                    "hiermodels fits ar() by its residual covariance (brms's cov = TRUE); "
                    f"cov = {value.strip()} (brms's regression on past residuals) is not "
                    "available. Leave cov out.",
                    formula,
                    at,
                )
        else:
            raise FormulaError(
                f"Unknown ar() argument {key!r}; valid ones are 'time', 'gr', 'p' (1) and "
                "'cov' (TRUE).",
                formula,
                at,
            )
    if "time" not in values:
        raise FormulaError(
            "ar() needs the time column, e.g. ar(time, gr = id): the residuals are "
            "correlated over time within each level of gr.",
            formula,
            offset,
        )
    if values["time"] == values.get("gr"):
        raise FormulaError(
            f"ar() uses {values['time']!r} both as time and as gr; the series need a column "
            "of their own.",
            formula,
            offset,
        )
    return ArTerm(time=values["time"], group=values.get("gr"))
