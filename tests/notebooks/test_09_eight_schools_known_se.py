"""Notebook 09 (the eight schools with known standard errors) runs."""

import pytest


@pytest.mark.slow
def test_eight_schools_notebook_runs(run_notebook):
    executed = run_notebook("09_eight_schools_known_se.ipynb")
    assert "Formula: effect | se(stderr) ~ 1 + (1 | school)" in executed.text
    assert "share of the way to mu" in executed.text
