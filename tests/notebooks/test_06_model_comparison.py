"""Notebook 06 (Hsb82 candidate structures: LOO, stacking and k-fold) runs with 2 folds."""

import pytest


@pytest.mark.slow
def test_model_comparison_notebook_runs(run_notebook):
    executed = run_notebook("06_model_comparison.ipynb", HIERMODELS_NOTEBOOK_KFOLDS="2")
    assert "2-fold cross-validation, leaving out whole schools" in executed.text
