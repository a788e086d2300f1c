"""Defaults shared by every layer, one constant for each, the check of the interval
probability that every table and plot takes, and the check of a string option.

Examples
--------
>>> from hiermodels.options import PROB, interval_columns
>>> PROB, interval_columns(PROB)
(0.89, ('eti89_lb', 'eti89_ub'))
"""

from hiermodels.errors import SpecError

__all__ = ["PROB", "check_choice", "check_prob", "interval_columns"]

#: Probability mass of the equal-tailed intervals in tables, plots and summaries.
PROB = 0.89


def check_prob(prob: object) -> float:
    """``prob`` as a float, or :class:`SpecError` unless it is a number in (0, 1)."""
    ok = isinstance(prob, float | int) and not isinstance(prob, bool)
    if not ok:
        import numpy as np  # a NumPy scalar is a number too

        ok = isinstance(prob, np.floating | np.integer)
    if not (ok and 0 < prob < 1):
        raise SpecError(
            f"prob must be a number between 0 and 1 (exclusive), such as 0.89 or 0.95; "
            f"got {prob!r}."
        )
    return float(prob)


def interval_columns(prob: float) -> tuple[str, str]:
    """The names of the equal-tailed interval's bounds at ``prob``: ``("eti89_lb", "eti89_ub")``."""
    label = round(prob * 100)
    return f"eti{label}_lb", f"eti{label}_ub"


def check_choice(what: str, value: object, valid: tuple[str, ...]) -> None:
    """:class:`SpecError` naming ``value`` and the ``valid`` choices unless it is one."""
    if not isinstance(value, str) or value not in valid:
        raise SpecError(f"Unknown {what} {value!r}; valid choices are {list(valid)}.")
