"""The ``run_notebook`` fixture: execute a notebook with few draws and fail on any error.

The helpers live in ``notebook_runner.py`` (see its docstring for the layout of the
temporary folder the notebooks run in).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from notebook_runner import CI_SETTINGS, ExecutedNotebook, execute_notebook, printed_text


@pytest.fixture
def run_notebook(tmp_path) -> Callable[..., ExecutedNotebook]:
    """``run_notebook("01_partial_pooling.ipynb", EXTRA_VAR="...")`` executes it with the
    small-draws settings (plus any extra environment variables); fails on any error."""

    def run(name: str, **extra_env: str) -> ExecutedNotebook:
        env = {**os.environ, **CI_SETTINGS, **extra_env}
        notebook, seconds = execute_notebook(name, tmp_path, env)
        errors = [
            output
            for cell in notebook.cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if output.get("output_type") == "error"
        ]
        assert not errors, f"{name} produced error outputs: {errors}"
        print(f"{name}: executed in {seconds:.0f} s with {CI_SETTINGS | extra_env}")
        return ExecutedNotebook(notebook, printed_text(notebook), seconds)

    return run
