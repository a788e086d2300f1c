"""Execute the teaching notebooks top to bottom with few draws (nbclient): the helpers.

Each notebook runs in a fresh kernel (the venv's ``python3``) in a temporary folder laid
out like the repository (``notebooks/`` as the working directory, with the reference
folders the notebooks read linked in), so nothing is written next to the committed
notebooks and their outputs are never overwritten. The sampler settings come from
environment variables that every notebook's parameters cell reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

#: The small-draws setting injected into every notebook.
CI_SETTINGS = {
    "HIERMODELS_NOTEBOOK_DRAWS": "100",
    "HIERMODELS_NOTEBOOK_TUNE": "100",
    "HIERMODELS_NOTEBOOK_CHAINS": "2",
}
#: Seconds a single cell may run before the test fails.
CELL_TIMEOUT = 900
#: Folders the notebooks read through relative paths, linked into the temporary copy.
LINKED = ("notebooks/reference", "tests/reference")
#: Files next to the notebooks that they import (the shared helpers).
LINKED_FILES = ("notebooks/_helpers.py",)


def execute_notebook(name: str, folder: Path, env: dict[str, str]) -> tuple[object, float]:
    """Run ``notebooks/<name>`` in ``folder``; return the executed notebook and seconds.

    Raises ``nbclient.exceptions.CellExecutionError`` (with the cell and traceback) when
    a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    for relative in LINKED:
        link = folder / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT / relative, target_is_directory=True)
    for relative in LINKED_FILES:
        (folder / relative).symlink_to(ROOT / relative)
    workdir = folder / "notebooks"
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute(env=env)
    return notebook, time.perf_counter() - start


@dataclass(frozen=True)
class ExecutedNotebook:
    """An executed notebook, everything its cells printed, and the wall time."""

    notebook: object
    text: str
    seconds: float


def printed_text(notebook) -> str:
    """Stream output and plain-text results of every code cell, joined.

    Stream chunks are joined as they are: a busy kernel may send one printed line in two
    chunks ("same REML criterion:" and " True"), which a separator would split.
    """
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            elif "data" in output:
                parts.append("\n" + output["data"].get("text/plain", "") + "\n")
        parts.append("\n")
    return "".join(parts)
