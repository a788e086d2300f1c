"""Diagnostics name parameters as the user wrote the factors, not as they are stored."""

from __future__ import annotations

import numpy as np
import pytest
from comparison_fits import prior_fit

import hiermodels as hm
from hiermodels.results import Fit

MM = "mm(school1, school2, school3)"


@pytest.fixture(scope="module")
def mm_fit() -> Fit:
    pupils = hm.datasets.load("pupils_multiple_membership").iloc[:400]
    formula = "score ~ prior + (1 | mm(school1, school2, school3, weights=[w1, w2, w3]))"
    fit = prior_fit(hm.Model(formula, pupils), draws=400)
    # make the chains of the group effects disagree, so the advice names the worst one
    post = fit.idata["posterior"].to_dataset()
    stored = "r_mm(school1+school2+school3)"
    shifted = post[stored].values.copy()
    shifted[1] += 10.0 * np.arange(shifted.shape[2])[None, :, None]
    post[stored] = post[stored].copy(data=shifted)
    tree = fit.idata.copy()
    tree["posterior"] = post
    return Fit(model=fit.model, idata=tree)


def test_diagnostics_show_the_multiple_membership_factor_as_written(mm_fit):
    report = mm_fit.diagnostics()
    names = list(report.table.index)
    assert f"sd_{MM}[Intercept]" in names
    assert any(n.startswith(f"r_{MM}[") for n in names)
    assert not [n for n in names if "+" in n]
    assert len(report.advice) >= 1 and f"(worst: r_{MM}[" in report.advice[0]
    assert f"r_{MM}[" in str(mm_fit.summary())
    # the stored variables keep their names (saved fits and the backend read them)
    assert "r_mm(school1+school2+school3)" in mm_fit.posterior


def test_trace_legend_uses_the_names_as_written(mm_fit):
    import matplotlib.pyplot as plt

    pc = mm_fit.plot_trace()
    fig = pc.get_viz("figure")
    try:
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
        assert f"sd_{MM}[Intercept]" in texts
        labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
        assert f"sd_{MM}" in labels and not [t for t in labels if "+" in t]
    finally:
        plt.close(fig)


def test_correlated_terms_of_a_factor_named_like_a_dimension():
    """A factor called "level" is stored as "level__level"; its correlations are still
    found (this raised KeyError 'level__level__level__term', so fit() failed)."""
    sleep = hm.datasets.load("sleepstudy").rename(columns={"Subject": "level"})
    fit = prior_fit(hm.Model("Reaction ~ Days + (Days | level)", sleep), draws=40)
    names = list(fit.diagnostics().table.index)
    assert "cor_level[Intercept:Days]" in names and "sd_level[Days]" in names
