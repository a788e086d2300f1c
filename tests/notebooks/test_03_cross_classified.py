"""Notebook 03 (Penicillin, then InstEval) runs; InstEval is cut to students 1-150."""

import pytest


@pytest.mark.slow
def test_cross_classified_notebook_runs(run_notebook):
    executed = run_notebook(
        "03_cross_classified.ipynb", HIERMODELS_NOTEBOOK_INSTEVAL_STUDENTS="150"
    )
    assert "SUBSET used here: the ratings of students 1-150" in executed.text
