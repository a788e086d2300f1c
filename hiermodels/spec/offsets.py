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

import ast
import re

from hiermodels.errors import FormulaError

__all__ = ["OFFSET_FUNCTIONS", "offset_columns"]

#: Functions allowed inside ``offset()``. ``I`` is formulaic's identity (for arithmetic);
#: the others are NumPy's, also accepted as ``np.<name>``.
OFFSET_FUNCTIONS = ("I", "exp", "log", "log10", "log1p", "log2", "sqrt")

_BACKTICKED = re.compile(r"`([^`]+)`")


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
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:
        key = f"_hm_column_{len(quoted)}_"
        quoted[key] = match.group(1)
        return key

    try:
        tree = ast.parse(_BACKTICKED.sub(placeholder, expr).strip(), mode="eval")
    except SyntaxError:
        raise FormulaError(f"Cannot read offset({expr}) as an expression.", formula) from None
    columns: set[str] = set()
    todo: list[ast.AST] = [tree.body]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if not _allowed(name):
                at = expr.find(name)
                raise FormulaError(
                    f"offset({expr}) uses the function {name!r}, which an offset cannot "
                    f"hold; the functions allowed in offset() are {list(OFFSET_FUNCTIONS)} "
                    "(also written np.log, ...), and arithmetic inside I(...), e.g. "
                    "offset(I(2 * x)).",
                    formula,
                    None if position is None or at < 0 else position + at,
                )
            todo.extend(node.args)
            todo.extend(k.value for k in node.keywords)
            continue
        if isinstance(node, ast.Attribute | ast.Subscript):
            # x[0] or x.values would be one value (or the whole column) broadcast over
            # the rows, not the row's own value.
            part = ast.unparse(node)
            at = expr.find(part)
            raise FormulaError(
                f"offset({expr}) reads {part!r}, which is not one row's value: an offset "
                "is evaluated row by row, from whole columns (e.g. offset(log(exposure))). "
                "Make a column of the values you want and use that.",
                formula,
                None if position is None or at < 0 else position + at,
            )
        if isinstance(node, ast.Name):
            columns.add(quoted.get(node.id, node.id))
            continue
        todo.extend(ast.iter_child_nodes(node))
    return columns
