"""What a Python expression inside a formula reads: its columns and the functions it calls.

Formula terms such as ``center(x)``, ``np.log1p(`days at risk`)`` or ``offset(log(n))``
are Python expressions over data columns. This module reads one without evaluating it:
names used as values are columns (a dotted ``Sepal.Length`` counts whole, as R writes
such names), names in call position are functions, and indexing (``x[0]``) is reported
separately, since it reads part of a column rather than each row's own value.

Examples
--------
>>> names = expression_names("center(`days at risk`) + np.log1p(Sepal.Length)")
>>> sorted(names.columns), names.functions
(['Sepal.Length', 'days at risk'], ('center', 'np.log1p'))
>>> expression_names("log(x[0])").indexing
('x[0]',)
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["ExpressionNames", "expression_names"]

_BACKTICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class ExpressionNames:
    """The names an expression uses, in order of first appearance.

    Attributes
    ----------
    columns
        Names read as values: the data columns.
    functions
        Names called, as written (``"log"``, ``"np.log"``).
    indexing
        Subscripted parts as written (``"x[0]"``).
    """

    columns: tuple[str, ...]
    functions: tuple[str, ...]
    indexing: tuple[str, ...]


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else ``None``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def expression_names(expr: str) -> ExpressionNames:
    """The columns, functions and indexing of the Python expression ``expr``.

    Backticks quote column names (``\\`days at risk\\```).

    Raises
    ------
    SyntaxError
        If ``expr`` is not a Python expression; callers turn it into a
        :class:`~hiermodels.errors.FormulaError` that names their context.
    """
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:
        key = f"_hm_column_{len(quoted)}_"
        quoted[key] = match.group(1)
        return key

    tree = ast.parse(_BACKTICKED.sub(placeholder, expr).strip(), mode="eval")
    columns: dict[str, None] = {}
    functions: dict[str, None] = {}
    indexing: dict[str, None] = {}

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            functions[ast.unparse(node.func)] = None
            for child in [*node.args, *(k.value for k in node.keywords)]:
                visit(child)
            return
        if isinstance(node, ast.Subscript):
            indexing[_restore(ast.unparse(node), quoted)] = None
            visit(node.value)
            visit(node.slice)
            return
        name = _dotted(node)
        if name is not None:
            columns[quoted.get(name, name)] = None
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree.body)
    return ExpressionNames(tuple(columns), tuple(functions), tuple(indexing))


def _restore(text: str, quoted: dict[str, str]) -> str:
    for key, name in quoted.items():
        text = text.replace(key, f"`{name}`")
    return text
