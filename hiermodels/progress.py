"""A progress bar for work that takes a while: Gibbs sweeps, refits, simulations.

NUTS shows nutpie's (or PyMC's) own bar. The loops that hiermodels runs itself show
this one: a `rich <https://rich.readthedocs.io>`_ bar (the library PyMC draws its bars
with), which renders in terminals and in notebooks. It appears only once the work has
run for :data:`SHOW_AFTER` seconds, so quick calls print nothing, and it is removed
when the work ends. Bars go to stderr and are drawn only where they can redraw in
place (a terminal or a notebook), never into a log file.
``enabled=False`` (a fit's ``progressbar=False``) turns it off.

Examples
--------
>>> with progress(3, "refits", enabled=False) as advance:
...     for _ in range(3):
...         advance()
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

__all__ = ["SHOW_AFTER", "progress"]

#: Seconds of work before the bar appears.
SHOW_AFTER = 2.0


def _console():
    """The rich console bars draw on: stderr, or the notebook's output area."""
    from rich.console import Console

    return Console(stderr=True)


def _can_redraw(console) -> bool:
    """Whether a bar can redraw in place: a terminal or a notebook, not a log file or pipe.

    Elsewhere a bar would leave its frames (or a stray blank line) in the output, so
    none is shown.
    """
    return bool(console.is_terminal or console.is_jupyter)


@contextlib.contextmanager
def progress(
    total: int, description: str, *, enabled: bool = True, show_after: float | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(steps=1)``, which moves a bar of ``total`` steps.

    Parameters
    ----------
    total
        Steps of the whole work.
    description
        What the steps are, shown left of the bar (``"Gibbs sweeps"``).
    enabled
        ``False`` shows nothing.
    show_after
        Seconds of work before the bar is shown; :data:`SHOW_AFTER` by default.
    """
    if show_after is None:
        show_after = SHOW_AFTER
    start = time.perf_counter()
    state: dict[str, object] = {"done": 0, "bar": None, "task": None}

    def advance(steps: int = 1) -> None:
        state["done"] = int(state["done"]) + steps
        if not enabled:
            return
        bar = state["bar"]
        if bar is False:
            return
        if bar is None:
            if time.perf_counter() - start < show_after:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = _console()
            if not _can_redraw(console):
                state["bar"] = False
                return
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar.start()
            state["bar"] = bar
            state["task"] = bar.add_task(description, total=total, completed=state["done"])
            return
        bar.update(state["task"], completed=state["done"])

    try:
        yield advance
    finally:
        if state["bar"]:
            state["bar"].stop()
