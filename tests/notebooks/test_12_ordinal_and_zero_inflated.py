"""Notebook 12 (the wine ratings by a cumulative model, the salamander counts by a
zero-inflated Poisson model) runs."""

import pytest


@pytest.mark.slow
def test_ordinal_and_zero_inflated_notebook_runs(run_notebook):
    executed = run_notebook("12_ordinal_and_zero_inflated.ipynb")
    assert "Family: cumulative (link = logit)" in executed.text
    assert "Family: zero_inflated_poisson (link = log)" in executed.text
    assert "Intercept[4]" in executed.text and "temp[warm] > contact[yes]" in executed.text
