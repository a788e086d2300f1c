"""Notebook 04 (the simulated pupils: last school against multiple membership) runs."""

import pytest


@pytest.mark.slow
def test_multiple_membership_notebook_runs(run_notebook):
    executed = run_notebook("04_multiple_membership.ipynb")
    assert "weights sum to 1 in every row: True" in executed.text
