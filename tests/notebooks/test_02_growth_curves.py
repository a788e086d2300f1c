"""Notebook 02 (Oxboys and the alcohol growth models, next to nlme and lme4) runs."""

import pytest


@pytest.mark.slow
def test_growth_curves_notebook_runs(run_notebook):
    run_notebook("02_growth_curves.ipynb")
