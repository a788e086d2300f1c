"""Notebook 10 (the pooling-and-likelihood lesson on Hsb82) runs, and its likelihood by
hand equals optimize('ml')'s (the notebook asserts it to 1e-8 and prints it)."""

import re

import pytest


@pytest.mark.slow
def test_pooling_and_likelihood_notebook_runs(run_notebook):
    executed = run_notebook("10_pooling_and_likelihood.ipynb")
    difference = float(re.search(r"difference:\s+(\S+)", executed.text).group(1))
    assert difference < 1e-8
    assert "pooled: alpha" in executed.text
