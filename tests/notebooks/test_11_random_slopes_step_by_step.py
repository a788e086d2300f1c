"""Notebook 11 (the homework lesson's sequence on Hsb82) runs and shows (0 + cses | school)
with its summary (issue #19, point 4)."""

import pytest


@pytest.mark.slow
def test_random_slopes_notebook_runs(run_notebook):
    executed = run_notebook("11_random_slopes_step_by_step.ipynb")
    assert "(cses | school)     varies: ('Intercept', 'cses')" in executed.text
    assert "same REML criterion: True" in executed.text
    assert "varies: ('cses',)" in executed.text
    assert "mAch ~ cses + (0 + cses | school)" in executed.text
