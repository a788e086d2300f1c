"""The package's import graph: no module may import, at any depth, a module that imports it.

Every ``import`` statement counts, wherever it is: at module level, inside a function,
or under ``if TYPE_CHECKING:``. An import inside a function still ties the two modules
together (one cannot be read, tested or moved without the other); only third-party
imports may sit in functions, to keep ``import hiermodels`` fast.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hiermodels

PACKAGE = Path(hiermodels.__file__).parent


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of the package that the file imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    return {name: imported_modules(path, name, known) for name, path in files.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_hiermodels_has_no_import_cycle():
    cycles = import_cycles(import_graph(PACKAGE))
    assert cycles == [], "import cycles among hiermodels modules:\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for child in graph[todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


@pytest.mark.parametrize("layer", ["hiermodels.analysis", "hiermodels.studies"])
def test_analysis_and_studies_never_reach_fit_or_model(layer):
    """Not even through another module, in a function or under TYPE_CHECKING."""
    graph = import_graph(PACKAGE)
    facades = {"hiermodels.model", "hiermodels.results"}
    reached = {
        name: sorted(_reachable(graph, name) & facades)
        for name in graph
        if name == layer or name.startswith(layer + ".")
    }
    assert reached and not any(reached.values()), reached


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    "b_imports_a",
    [
        "from pkg.a import f\n",
        "def g():\n    from pkg.a import f\n    return f\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "from .. import a\n",
    ],
    ids=["module-level", "in-function", "type-checking", "relative"],
)
def test_a_planted_cycle_is_found_wherever_the_import_sits(tmp_path, b_imports_a):
    root = _package(
        tmp_path,
        {"a.py": "from pkg.sub.b import g\n", "sub/__init__.py": "", "sub/b.py": b_imports_a},
    )
    assert import_cycles(import_graph(root)) == [["pkg.a", "pkg.sub.b"]]


def test_no_cycle_is_found_in_a_package_that_imports_only_downward(tmp_path):
    root = _package(tmp_path, {"a.py": "import pkg.b\n", "b.py": "import numpy\n"})
    assert import_graph(root)["pkg.a"] == {"pkg.b"}
    assert import_cycles(import_graph(root)) == []
