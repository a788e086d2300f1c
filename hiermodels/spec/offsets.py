"""What ``offset(expr)`` may hold: data columns and a few elementwise functions.

An offset is a known term: it is evaluated on each row by itself, in fitting and again
on new data in prediction. So only functions of one row's values are allowed, not
transforms that learn from the whole column (``center``, ``scale``, ``poly``), whose
values on new data would differ from those of the fit.

Examples
--------
>>> sorted(offset_columns("log1p(exposure)"))
['exposure']
>>> sorted(offset_columns("np.sqrt(`days at risk`)"))
['days at risk']
>>> offset_columns("center(x)")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hiermodels.errors.FormulaError: offset(center(x)) uses the function 'center', which ...
"""

from __future__ import annotations

from hiermodels.errors import FormulaError
from hiermodels.spec.expressions import expression_names

__all__ = ["OFFSET_FUNCTIONS", "offset_columns"]

#: Functions allowed inside ``offset()``. ``I`` is formulaic's identity (for arithmetic);
#: the others are NumPy's, also accepted as ``np.<name>``.
OFFSET_FUNCTIONS = ("I", "exp", "log", "log10", "log1p", "log2", "sqrt")


def _allowed(name: str) -> bool:
    if name in OFFSET_FUNCTIONS:
        return True
    return name.startswith("np.") and name[3:] in OFFSET_FUNCTIONS and name != "np.I"


def offset_columns(expr: str, formula: str | None = None, position: int | None = None) -> set[str]:
    """The data columns that ``offset(expr)`` reads, after checking its functions.

    Parameters
    ----------
    expr
        The text inside ``offset(...)``; backticks quote column names.
    formula, position
        The formula and the offset of ``expr`` in it, to point at a bad function.

    Returns
    -------
    set of str

    Raises
    ------
    FormulaError
        If ``expr`` is not an expression, or calls a function not in
        :data:`OFFSET_FUNCTIONS`; the message lists them.
    """
    try:
        names = expression_names(expr)
    except SyntaxError:
        raise FormulaError(f"Cannot read offset({expr}) as an expression.", formula) from None

    def caret(part: str) -> int | None:
        at = expr.find(part)
        return None if position is None or at < 0 else position + at

    for name in names.functions:
        if not _allowed(name):
            raise FormulaError(
                f"offset({expr}) uses the function {name!r}, which an offset cannot "
                f"hold; the functions allowed in offset() are {list(OFFSET_FUNCTIONS)} "
                "(also written np.log, ...), and arithmetic inside I(...), e.g. "
                "offset(I(2 * x)).",
                formula,
                caret(name),
            )
    for part in names.indexing:
        # x[0] would be one value broadcast over the rows, not the row's own value.
        raise FormulaError(
            f"offset({expr}) reads {part!r}, which is not one row's value: an offset "
            "is evaluated row by row, from whole columns (e.g. offset(log(exposure))). "
            "Make a column of the values you want and use that.",
            formula,
            caret(part),
        )
    return set(names.columns)
