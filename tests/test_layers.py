"""The package's import graph: no module may import, at any depth, a module that imports it.

Every ``import`` statement counts, wherever it is: at module level, inside a function,
or under ``if TYPE_CHECKING:``; so does a facade method's
``facade("pkg.module.function")``, which imports ``pkg.module`` when the method is first
read. An import inside a function still ties the two modules together (one cannot be
read, tested or moved without the other); only third-party imports may sit in
functions, to keep ``import hiermodels`` fast.
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


def imported_modules(path: Path, name: str, known: set[str], *, parents: bool = True) -> set[str]:
    """Modules of the package that the file imports, anywhere in the file.

    ``from pkg import sub`` names ``pkg`` and ``pkg.sub``; with ``parents=False`` only
    ``pkg.sub`` when every imported name is a submodule (the package's ``__init__`` runs,
    but nothing of it is used).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif _is_facade(node):  # facade("pkg.module.function") imports pkg.module
            targets = [node.args[0].value.rpartition(".")[0]]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            keep_base = parents or not all(sub in known for sub in subs)
            targets = [base, *subs] if keep_base else subs
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _is_facade(node: ast.AST) -> bool:
    """A ``facade("pkg.module.function")`` call (:mod:`hiermodels.facade`)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "facade"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def import_graph(root: Path, *, parents: bool = True) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    return {
        name: imported_modules(path, name, known, parents=parents) for name, path in files.items()
    }


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
        "class B:\n    f = facade('pkg.a.f')\n",
    ],
    ids=["module-level", "in-function", "type-checking", "relative", "facade"],
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


# ---------------------------------------------------------------------- layers
#: The layers, bottom to top. A module may import from its own layer and the layers
#: below it, never from a layer above. An entry names a module, or a subpackage with all
#: its modules (``"hiermodels.design"`` covers ``hiermodels.design.build`` ...); the
#: entry ``"hiermodels"`` is the package's ``__init__`` alone.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "base",
        [
            "hiermodels.errors",
            "hiermodels.options",
            "hiermodels.naming",
            "hiermodels.version",
            "hiermodels.references",
            "hiermodels.datasets",
            "hiermodels.protocols",
            "hiermodels.facade",
            "hiermodels.parallel",
            "hiermodels.progress",
        ],
    ),
    ("spec", ["hiermodels.spec"]),
    ("families", ["hiermodels.families"]),
    ("design", ["hiermodels.design"]),
    (
        "kernels",
        [
            "hiermodels.kernels",
            "hiermodels.sufficient_statistics",
            "hiermodels.collapsed",
            "hiermodels.linear_predictor",
            "hiermodels.pointwise",
            "hiermodels.parameters",
        ],
    ),
    (
        "engines",
        [
            "hiermodels.backend",
            "hiermodels.gibbs",
            "hiermodels.distributed",
            "hiermodels.theta_search",
            "hiermodels.statistics_profile",
            "hiermodels.optimize",
            "hiermodels.map_estimate",
            "hiermodels.point_estimates",
            "hiermodels.working_pilot",
            "hiermodels.sampling",
            "hiermodels.cached_entry",
            "hiermodels.kernel_entry",
            "hiermodels.collapsed_layout",
            "hiermodels.intercept_layout",
            "hiermodels.glmm_layout",
            "hiermodels.glmm_arrays",
            "hiermodels.kernel_draws",
            "hiermodels.kernel_priors",
            "hiermodels.manifests",
            "hiermodels.nutpie_trace",
            "hiermodels.graph_key",
            "hiermodels.convergence",
        ],
    ),
    ("inference", ["hiermodels.inference"]),
    (
        "analysis",
        [
            "hiermodels.analysis",
            "hiermodels.diagnostics",
            "hiermodels.variance",
            "hiermodels.predict",
            "hiermodels.new_levels",
        ],
    ),
    (
        "results",
        [
            "hiermodels.tables",
            "hiermodels.summary",
            "hiermodels.data2_store",
            "hiermodels.persistence",
            "hiermodels.plots",
            "hiermodels.ppc",
            "hiermodels.fit_plots",
            "hiermodels.shrinkage_explorer",
            "hiermodels.prediction_plots",
            "hiermodels.smooth_plots",
            "hiermodels.results",
        ],
    ),
    ("model", ["hiermodels.model", "hiermodels.builders", "hiermodels.loading"]),
    ("studies", ["hiermodels.studies", "hiermodels.sbc", "hiermodels.compare"]),
    (
        "interfaces",
        [
            "hiermodels.cli",
            "hiermodels.report",
            "hiermodels.report_pages",
            "hiermodels.__main__",
            "hiermodels",
        ],
    ),
]


def layer_of(module: str, layers=LAYERS) -> int | None:
    """The index of ``module``'s layer: the longest entry that names it or a subpackage
    above it (``None`` if there is none)."""
    best, depth = None, -1
    for i, (_, entries) in enumerate(layers):
        for entry in entries:
            covers = "." in entry and module.startswith(entry + ".")
            if (module == entry or covers) and entry.count(".") > depth:
                best, depth = i, entry.count(".")
    return best


def upward_imports(graph: dict[str, set[str]], layers=LAYERS) -> list[str]:
    """``a (layer) -> b (layer)`` for every import from a lower layer to a higher one."""
    out = []
    for name, targets in sorted(graph.items()):
        low = layer_of(name, layers)
        for target in sorted(targets):
            high = layer_of(target, layers)
            if low is not None and high is not None and high > low:
                out.append(f"{name} ({layers[low][0]}) -> {target} ({layers[high][0]})")
    return out


def test_every_module_has_a_layer():
    unassigned = sorted(name for name in import_graph(PACKAGE) if layer_of(name) is None)
    assert unassigned == [], f"modules in no layer of LAYERS: {unassigned}"


def test_imports_run_only_downward():
    """Imports at module level, in functions and under TYPE_CHECKING all count;
    third-party imports are not in the graph and may sit anywhere."""
    upward = upward_imports(import_graph(PACKAGE, parents=False))
    assert upward == [], "imports from a lower layer to a higher one:\n" + "\n".join(upward)


@pytest.mark.parametrize(
    "low_imports_high",
    [
        "from pkg.top import f\n",
        "def g():\n    from pkg.top import f\n    return f\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import top\n",
        "import numpy\nfrom . import top\n",
    ],
    ids=["module-level", "in-function", "type-checking", "relative"],
)
def test_a_planted_upward_import_is_found_wherever_it_sits(tmp_path, low_imports_high):
    root = _package(tmp_path, {"top.py": "import numpy\n", "low.py": low_imports_high})
    layers = [("bottom", ["pkg.low"]), ("top", ["pkg.top", "pkg"])]
    graph = import_graph(root, parents=False)
    assert upward_imports(graph, layers) == ["pkg.low (bottom) -> pkg.top (top)"]
    assert upward_imports({"pkg.top": {"pkg.low"}}, layers) == []


def test_a_module_in_no_layer_is_reported():
    layers = [("bottom", ["pkg.sub"]), ("top", ["pkg"])]
    assert [layer_of(m, layers) for m in ["pkg.sub.a", "pkg", "pkg.other"]] == [0, 1, None]
