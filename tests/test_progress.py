"""The progress bar of hiermodels' own loops (hiermodels.progress)."""

from __future__ import annotations

import io
import warnings

import pytest
from rich.console import Console

import hiermodels as hm
from hiermodels import progress as progress_module
from hiermodels.progress import progress


def _console_output(monkeypatch) -> io.StringIO:
    """Send the bars to a string (a terminal of 80 columns) instead of stderr."""
    sink = io.StringIO()
    console = Console(file=sink, force_terminal=True, width=80)
    monkeypatch.setattr(progress_module, "_console", lambda: console)
    return sink


def test_a_bar_appears_after_the_delay_counts_the_steps_and_is_removed(monkeypatch):
    sink = _console_output(monkeypatch)
    with progress(5, "refits", show_after=0.0) as advance:
        for _ in range(5):
            advance()
    text = sink.getvalue()
    assert "refits" in text and "5/5" in text


@pytest.mark.parametrize(("enabled", "show_after"), [(False, 0.0), (True, 60.0)])
def test_no_bar_when_disabled_or_quick(monkeypatch, enabled, show_after):
    sink = _console_output(monkeypatch)
    with progress(3, "refits", enabled=enabled, show_after=show_after) as advance:
        for _ in range(3):
            advance()
    assert sink.getvalue() == ""


def test_gibbs_fit_shows_its_sweeps_unless_progressbar_false(monkeypatch):
    sink = _console_output(monkeypatch)
    monkeypatch.setattr(progress_module, "SHOW_AFTER", 0.0)
    sleep = hm.datasets.load("sleepstudy")
    model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
    short = dict(method="gibbs", draws=50, tune=50, chains=2, random_seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)  # 50 draws: expected
        model.fit(**short, progressbar=False)
        assert sink.getvalue() == ""
        model.fit(**short)
    assert "Gibbs sweeps" in sink.getvalue() and "100/100" in sink.getvalue()


def _slow_square(x):
    import time

    time.sleep(0.01)
    return x * x


def test_serial_tasks_show_their_label_and_count(monkeypatch):
    """k-fold refits and SBC simulations run through run_tasks: serially they show a bar."""
    from hiermodels.parallel import run_tasks

    sink = _console_output(monkeypatch)
    monkeypatch.setattr(progress_module, "SHOW_AFTER", 0.0)
    assert run_tasks(_slow_square, [1, 2, 3], progress_label="k-fold refits") == [1, 4, 9]
    assert "k-fold refits" in sink.getvalue() and "3/3" in sink.getvalue()
    before = sink.getvalue()
    assert run_tasks(_slow_square, [4]) == [16]  # no label: no bar
    assert sink.getvalue() == before


def test_no_bar_into_a_log_file_or_pipe(monkeypatch):
    """A console that cannot redraw (CI logs, doctest output) gets no frames, not even a newline."""
    sink = io.StringIO()
    console = Console(file=sink, force_terminal=False, force_jupyter=False, width=80)
    monkeypatch.setattr(progress_module, "_console", lambda: console)
    with progress(3, "refits", show_after=0.0) as advance:
        for _ in range(3):
            advance()
    assert sink.getvalue() == ""
