"""Notebook 08 (MRP: a simulated non-representative survey, poststratified) runs."""

import pytest


@pytest.mark.slow
def test_mrp_notebook_runs(run_notebook):
    executed = run_notebook("08_mrp.ipynb")
    assert "the poststratified 89% interval covers the population truth:" in executed.text
    assert "states whose 89% interval covers the truth:" in executed.text
