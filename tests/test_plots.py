"""Every figure renders to PNG from the shared radon fits; nothing is shown."""

from __future__ import annotations

import comparison_fits as cases
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.plots import plot_group_effects, plot_shrinkage


@pytest.fixture(scope="module")
def radon():
    return cases.radon_pooling()


def _save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=100)
    assert path.stat().st_size > 10_000


def test_shrinkage_plot_without_fits(tmp_path):
    est = pd.DataFrame(
        {"n": [1, 2, 4, 30], "none": [2.0, 0.3, 0.5, 1.4], "partial": [1.5, 0.9, 0.8, 1.4]},
        index=pd.Index(list("abcd"), name="g"),
    ).assign(complete=1.2, population=1.3)
    n_before = len(plt.get_fignums())
    fig = plot_shrinkage(est, group="g", term="Intercept")
    assert len(plt.get_fignums()) == n_before, "figures stay out of pyplot's registry"
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.texts) == 3  # one arrow per level that moved
    _save(fig, tmp_path / "shrinkage_small.png")


def test_caterpillar_highlights_intervals_excluding_zero(tmp_path):
    effects = pd.DataFrame(
        {
            "mean": [0.5, -0.1, -0.6, 0.05],
            "eti89_lb": [0.1, -0.4, -0.9, -0.3],
            "eti89_ub": [0.9, 0.2, -0.2, 0.4],
        },
        index=list("abcd"),
    )
    fig = plot_group_effects(effects, group="g", term="Intercept")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["c", "b", "d", "a"]  # sorted by posterior mean
    assert "2 of 4 levels" in ax.get_title()
    _save(fig, tmp_path / "caterpillar_small.png")


@pytest.mark.slow
def test_radon_shrinkage_plot(radon, tmp_path):
    fig = radon.plot_shrinkage()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    complete = radon.estimates()["complete"].iloc[0]
    assert any(np.allclose(line.get_ydata(), complete) for line in ax.get_lines())
    _save(fig, tmp_path / "radon_shrinkage.png")


@pytest.mark.slow
def test_radon_group_fits_plot(radon, tmp_path):
    fig = radon.plot_group_fits()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 8
    titles = [ax.get_title() for ax in visible]
    # by default the example levels: small to large, in each size band the one that moved
    assert [t.split(" (")[0] for t in titles] == radon.example_levels()
    sizes = [int(t.split("n = ")[1].rstrip(")")) for t in titles]
    assert sizes == sorted(sizes) and sizes[0] <= 2 and sizes[-1] >= 50
    for ax in visible:
        assert len(ax.get_lines()) == 3  # complete, none, partial
        assert len(ax.collections) == 2  # the data, the partial-pooling band
    _save(fig, tmp_path / "radon_group_fits.png")
    fig = radon.plot_group_fits(["LACQUIPARLE", "AITKIN", "STLOUIS"], ncols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["LACQUIPARLE (n = 2)", "AITKIN (n = 4)", "STLOUIS (n = 116)"]
    _save(fig, tmp_path / "radon_group_fits_3.png")
    with pytest.raises(SpecError, match=r"Unknown level\(s\) \['Atlantis'\] of 'county'"):
        radon.plot_group_fits(["Atlantis"])


@pytest.mark.slow
def test_radon_caterpillar_plot(radon, tmp_path):
    fit = radon.fits["partial"]
    fig = fit.plot_group_effects("county")
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 85
    effects = fit.group_effects("county").xs("Intercept", level="term")
    excluding = int(((effects["eti89_lb"] > 0) | (effects["eti89_ub"] < 0)).sum())
    assert f"{excluding} of 85 levels" in ax.get_title()
    _save(fig, tmp_path / "radon_caterpillar.png")
    with pytest.raises(SpecError, match=r"Unknown term 'floor' for the factor 'county'"):
        fit.plot_group_effects("county", term="floor")


def _tick_texts(ax, *, minor=False) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels(minor=minor) if t.get_text()]


def test_shrinkage_plot_of_equal_sized_levels_has_a_plain_size_axis(tmp_path):
    """All levels of 10 rows: the jitter alone spreads them; no "9.25×10⁰" labels."""
    rng = np.random.default_rng(1)
    est = pd.DataFrame(
        {"n": 10, "none": rng.normal(size=18), "partial": rng.normal(size=18)},
        index=pd.Index([f"s{i}" for i in range(18)], name="Subject"),
    ).assign(complete=0.1, population=0.1)
    fig = plot_shrinkage(est, group="Subject", term="Intercept")
    _save(fig, tmp_path / "shrinkage_balanced.png")  # draws the tick labels
    ax = fig.axes[0]
    assert _tick_texts(ax) == ["10"]
    assert _tick_texts(ax, minor=True) == []
    assert "all 10" in ax.get_xlabel()
    assert "small" not in ax.get_title()


def test_shrinkage_plot_of_a_narrow_size_range_labels_sizes_plainly(tmp_path):
    est = pd.DataFrame(
        {"n": [8, 9, 9, 12, 12], "none": [1.0, 2, 3, 4, 5], "partial": [1.5, 2, 3, 3.5, 4]},
        index=pd.Index(list("abcde"), name="g"),
    ).assign(complete=3.0)
    fig = plot_shrinkage(est, group="g", term="Intercept")
    _save(fig, tmp_path / "shrinkage_narrow.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert _tick_texts(ax) == ["8", "9", "12"]
    assert _tick_texts(ax, minor=True) == []


@pytest.fixture(scope="module")
def sleep_slopes_prior():
    model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    return cases.prior_fit(model)


def test_trace_plot_has_a_legend_naming_each_term(sleep_slopes_prior, tmp_path):
    pc = sleep_slopes_prior.plot_trace()
    fig = pc.get_viz("figure")
    try:
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == [
            "Intercept",
            "b[Days]",
            "sd_Subject[Intercept]",
            "sd_Subject[Days]",
            "sigma",
        ]
        # the two SD lines of one panel have the colours of their legend entries
        colors = {
            t.get_text(): h.get_color() for t, h in zip(legend.get_texts(), legend.legend_handles)
        }
        assert colors["sd_Subject[Intercept]"] != colors["sd_Subject[Days]"]
        pc.savefig(tmp_path / "trace.png")
    finally:
        plt.close(fig)


def test_rank_plot_titles_do_not_overlap_tick_labels(sleep_slopes_prior, tmp_path):
    pc = sleep_slopes_prior.plot_rank()
    fig = pc.get_viz("figure")
    try:
        pc.savefig(tmp_path / "rank.png")
        renderer = fig.canvas.get_renderer()
        titles = [ax.title for ax in fig.axes if ax.get_title()]
        ticks = [
            label
            for ax in fig.axes
            if ax.axison
            for label in ax.get_xticklabels()
            if label.get_visible() and label.get_text()
        ]
        assert len(titles) == 5 and ticks
        clashes = [
            (title.get_text(), label.get_text())
            for title in titles
            for label in ticks
            if title.get_window_extent(renderer).overlaps(label.get_window_extent(renderer))
        ]
        assert clashes == []
    finally:
        plt.close(fig)
