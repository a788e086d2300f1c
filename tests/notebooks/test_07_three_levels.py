"""Notebook 07 (Pastes, and people in families in states) runs."""

import pytest


@pytest.mark.slow
def test_three_levels_notebook_runs(run_notebook):
    executed = run_notebook("07_three_levels.ipynb")
    assert "state:family (180)" in executed.text
