"""Run independent tasks here, on a ``concurrent.futures`` executor or on Dask; the results
come back in the order of the items, with the hiermodels warnings raised in workers."""

from __future__ import annotations

import concurrent.futures
import importlib
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hiermodels.errors import HiermodelsWarning, SpecError
from hiermodels.parallel.workers import prepare_worker_process
from hiermodels.progress import progress

__all__ = ["ExecutorKind", "executor_kind", "run_tasks"]

ExecutorKind = Literal["serial", "futures", "dask"]


def executor_kind(executor: object) -> ExecutorKind:
    """``"serial"`` for ``None``, ``"dask"`` for a ``distributed.Client``, ``"futures"``
    for a :class:`concurrent.futures.Executor`; anything else is a SpecError.

    A Dask client is recognised by its class, without importing ``distributed``.

    Examples
    --------
    >>> executor_kind(None)
    'serial'
    >>> executor_kind("tcp://localhost:8786")
    Traceback (most recent call last):
    ...
    hiermodels.errors.SpecError: executor must be None, a concurrent.futures.Executor or a distributed.Client, got str 'tcp://localhost:8786'. Connect a client first: distributed.Client('tcp://localhost:8786').
    """  # noqa: E501
    if executor is None:
        return "serial"
    if any(
        cls.__name__ == "Client" and cls.__module__.split(".")[0] == "distributed"
        for cls in type(executor).__mro__
    ):
        return "dask"
    if isinstance(executor, concurrent.futures.Executor):
        return "futures"
    hint = (
        f" Connect a client first: distributed.Client({executor!r})."
        if isinstance(executor, str)
        else ""
    )
    raise SpecError(
        "executor must be None, a concurrent.futures.Executor or a distributed.Client, "
        f"got {type(executor).__name__} {executor!r}.{hint}"
    )


def _reference(function: Callable) -> tuple[str, str]:
    """``(module, qualified name)`` of a module-level function, checked to resolve."""
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", None)
    ok = isinstance(module, str) and isinstance(name, str) and "<" not in name
    if ok:
        try:
            ok = _resolve((module, name)) is function
        except (ImportError, AttributeError):
            ok = False
    if not ok:
        raise SpecError(
            f"run_tasks needs a function defined at the top level of a module (it is sent "
            f"to the workers by name), got {function!r}."
        )
    return module, name


def _resolve(reference: tuple[str, str]) -> Callable:
    module, name = reference
    value: Any = importlib.import_module(module)
    for part in name.split("."):
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class _Outcome:
    """A task's return value and the hiermodels warnings it raised in a worker."""

    value: Any
    warnings: tuple[tuple[type[Warning], str], ...] = ()


def _call(function: Callable, item: Any, shared: Any, has_shared: bool) -> Any:
    return function(shared, item) if has_shared else function(item)


def _run_task(item, *, reference, shared, has_shared, caller_pid) -> _Outcome:
    """Run one task; in another process, prepare it first and collect its warnings."""
    if os.getpid() == caller_pid:  # serial or threads: warnings reach the caller as they are
        return _Outcome(_call(_resolve(reference), item, shared, has_shared))
    notices = prepare_worker_process()
    function = _resolve(reference)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = _call(function, item, shared, has_shared)
    raised = tuple(
        (w.category, str(w.message)) for w in caught if issubclass(w.category, HiermodelsWarning)
    )
    return _Outcome(value, notices + raised)


def run_tasks(
    function: Callable,
    items: Sequence,
    *,
    shared: Any = None,
    executor: object = None,
    progress_label: str | None = None,
) -> list:
    """Run ``function`` on every item and return the results in the order of ``items``.

    Parameters
    ----------
    function
        A function defined at the top level of a module. It is called as
        ``function(item)``, or as ``function(shared, item)`` when ``shared`` is given.
    items
        One task per item. Items must pickle and hold no PyMC or PyTensor objects.
    shared
        An argument common to every task, such as the data or a model recipe. It is
        sent to each Dask worker once. A ``concurrent.futures`` executor gets it
        with every task.
    executor
        ``None`` (default) runs the tasks here, one after the other. A
        :class:`concurrent.futures.Executor` (e.g. a ``ProcessPoolExecutor`` with the
        ``"spawn"`` start method) or a ``distributed.Client`` (a ``LocalCluster`` or a
        remote scheduler) runs them in its workers. Workers should run one task at a
        time each (one thread per Dask worker), since the sampler's chains and the
        compiler already use the cores.
    progress_label
        What the tasks are (``"k-fold refits"``): run here, one after the other, they
        show a progress bar of that name once they take over two seconds
        (:mod:`hiermodels.progress`). ``None`` shows none.

    Returns
    -------
    list
        ``function``'s results, in the order of ``items``.

    Raises
    ------
    SpecError
        For an executor of another type, or a function that cannot be sent by name.
        The first exception of a task is raised again here; the other tasks are
        cancelled.

    Examples
    --------
    >>> run_tasks(len, ["a", "bcd"])
    [1, 3]
    """
    kind = executor_kind(executor)
    items = list(items)
    has_shared = shared is not None
    if kind == "serial":
        results = []
        with progress(
            len(items), progress_label or "", enabled=progress_label is not None
        ) as advance:
            for item in items:
                results.append(_call(function, item, shared, has_shared))
                advance()
        return results
    options = {
        "reference": _reference(function),
        "has_shared": has_shared,
        "caller_pid": os.getpid(),
    }
    if kind == "dask":
        outcomes = _run_on_dask(executor, items, shared, options)
    else:
        outcomes = _run_on_executor(executor, items, shared, options)
    results = []
    for outcome in outcomes:
        for category, message in outcome.warnings:
            warnings.warn(message, category, stacklevel=2)
        results.append(outcome.value)
    return results


def _run_on_executor(executor, items, shared, options) -> list[_Outcome]:
    futures = [executor.submit(_run_task, item, shared=shared, **options) for item in items]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _run_on_dask(client, items, shared, options) -> list[_Outcome]:
    shared_future = None
    if options["has_shared"]:
        # a list of one, so that a shared dict or list is sent as one object
        [shared_future] = client.scatter([shared], broadcast=True, hash=False)
    futures = client.map(_run_task, items, shared=shared_future, pure=False, **options)
    try:
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if shared_future is not None:
            shared_future.release()
