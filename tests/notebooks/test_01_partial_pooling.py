"""Notebook 01 (radon: complete, no and partial pooling) runs top to bottom."""

import pytest


@pytest.mark.slow
def test_partial_pooling_notebook_runs(run_notebook):
    executed = run_notebook("01_partial_pooling.ipynb")
    assert "largest |by hand - precision_weighted|" in executed.text
