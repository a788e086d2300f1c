"""Notebook 05 (tumours, cbpp and the Efron-Morris batting predictions) runs."""

import pytest


@pytest.mark.slow
def test_multilevel_logistic_notebook_runs(run_notebook):
    executed = run_notebook("05_multilevel_logistic.ipynb")
    assert "players' remaining hits fall in their 89% prediction interval" in executed.text
