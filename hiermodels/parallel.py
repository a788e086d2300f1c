"""Run independent tasks one after the other, on a ``concurrent.futures`` executor or on Dask.

The refits of :meth:`hiermodels.Fit.kfold`, the three fits of
:func:`hiermodels.compare_pooling` and the simulations of :func:`hiermodels.sbc` do not
depend on each other. :func:`run_tasks` runs them. With ``executor=None`` they run in
this process. With a :class:`concurrent.futures.Executor` or a ``distributed.Client``
they run in that executor's workers. The results come back in the order of the items.

Worker processes
----------------
PyTensor and numba cache compiled code on disk, and one cache directory must not be
shared by processes that compile at the same time. Before a task runs in another
process, :func:`prepare_worker_process` gives that process its own PyTensor
``base_compiledir`` and ``NUMBA_CACHE_DIR``. It must run before PyTensor is imported
there. The directories are slots ``slot-0``, ``slot-1``, ... under
:func:`worker_cache_root`. A process claims the first free slot and holds a file lock on
it while it lives. Later workers take the slots over, and with them the compiled code.

So that nothing imports PyTensor too early, a task's function is sent by name, and
its module is imported in the worker after the setup. Its items and shared argument
must not hold PyMC or PyTensor objects. Send data and model recipes instead (see
:class:`hiermodels.recipe.ModelRecipe`). A worker process that had PyTensor loaded
already keeps the directory it has, and the caller gets a
:class:`SharedCompileDirWarning`. This happens to workers forked from a process that
had imported PyMC, such as a ``ProcessPoolExecutor`` with the default start method on
Linux. Pass ``mp_context=multiprocessing.get_context("spawn")`` to avoid it. It also
happens to spawned workers whose ``__main__`` script imports PyMC at the top; create
the cluster under ``if __name__ == "__main__":``.

Warnings of hiermodels (:class:`hiermodels.errors.HiermodelsWarning`, such as
``ConvergenceWarning``) raised in a worker are raised again in the caller. Other
warnings in a worker stay there.

Examples
--------
>>> from concurrent.futures import ThreadPoolExecutor
>>> import operator
>>> run_tasks(abs, [-2, 3])
[2, 3]
>>> with ThreadPoolExecutor(2) as pool:
...     run_tasks(operator.mul, [1, 2, 3], shared=10, executor=pool)
[10, 20, 30]

On a Dask cluster, pass a client that is connected to it. The cluster can be local or
remote, given by its scheduler's address:

>>> from distributed import Client  # doctest: +SKIP
>>> with Client("tcp://scheduler.example.org:8786") as client:  # doctest: +SKIP
...     result = hm.sbc(model, n_sims=200, executor=client)
"""

from __future__ import annotations

import concurrent.futures
import importlib
import os
import sys
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hiermodels.errors import HiermodelsWarning, SpecError

__all__ = [
    "WORKER_CACHE_ENV",
    "SharedCompileDirWarning",
    "executor_kind",
    "prepare_worker_process",
    "process_cache",
    "run_tasks",
    "worker_cache_root",
]

#: Environment variable naming the folder of the worker cache slots (optional).
WORKER_CACHE_ENV = "HIERMODELS_WORKER_CACHE"
#: Compiled models kept per process by :func:`process_cache`.
PROCESS_CACHE_SIZE = 8

ExecutorKind = Literal["serial", "futures", "dask"]


class SharedCompileDirWarning(HiermodelsWarning):
    """A worker process had PyTensor loaded before it could get its own compile folder."""


# ---------------------------------------------------------------------------- dispatch
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
        return [_call(function, item, shared, has_shared) for item in items]
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


# ---------------------------------------------------------------------------- worker setup
_setup_lock = threading.Lock()
_prepared: dict[str, Any] = {}


def _flag(flags: str, key: str) -> str | None:
    """The value of ``key`` in a ``PYTENSOR_FLAGS`` string (``"a=1,b=2"``)."""
    for part in flags.split(","):
        name, _, value = part.partition("=")
        if name.strip() == key and value.strip():
            return value.strip()
    return None


def _with_flag(flags: str, key: str, value: str) -> str:
    """``flags`` with ``key`` set to ``value`` (added or replaced).

    Examples
    --------
    >>> _with_flag("floatX=float64,base_compiledir=/a", "base_compiledir", "/b")
    'floatX=float64,base_compiledir=/b'
    >>> _with_flag("", "base_compiledir", "/b")
    'base_compiledir=/b'
    """
    parts = [p for p in flags.split(",") if p.strip() and p.partition("=")[0].strip() != key]
    return ",".join([*parts, f"{key}={value}"])


def worker_cache_root() -> Path:
    """The folder that holds the worker processes' cache slots.

    ``$HIERMODELS_WORKER_CACHE`` if set. Otherwise a sibling of this process's
    PyTensor ``base_compiledir`` (from ``PYTENSOR_FLAGS``) named ``<name>-workers``, so
    a project that keeps its caches in ``.cache/pytensor`` keeps the workers' caches
    in ``.cache/pytensor-workers``. Otherwise ``hiermodels-workers`` in the temporary
    directory.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> env = {"PYTENSOR_FLAGS": "base_compiledir=/repo/.cache/pytensor"}
    >>> with mock.patch.dict(os.environ, env, clear=True):
    ...     worker_cache_root().as_posix()
    '/repo/.cache/pytensor-workers'
    """
    explicit = os.environ.get(WORKER_CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = _flag(os.environ.get("PYTENSOR_FLAGS", ""), "base_compiledir")
    if base:
        path = Path(base).expanduser()
        return path.with_name(f"{path.name}-workers")
    return Path(tempfile.gettempdir()) / "hiermodels-workers"


def _claim_slot(root: Path) -> Path:
    """The first slot folder under ``root`` that no living process holds; lock it."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one folder per process
        return root / f"process-{os.getpid()}"
    index = 0
    while True:
        handle = open(root / f"slot-{index}.lock", "a")  # held while the process lives
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            index += 1
            continue
        _prepared["lock"] = handle  # released when the process ends
        return root / f"slot-{index}"


def prepare_worker_process(root: Path | str | None = None) -> tuple[tuple[type[Warning], str], ...]:
    """Give this process its own PyTensor compile folder and numba cache folder.

    Idempotent; call it in a worker process before PyTensor is imported there
    (:func:`run_tasks` does). Sets ``PYTENSOR_FLAGS`` (``base_compiledir``) and
    ``NUMBA_CACHE_DIR`` to ``pytensor`` and ``numba`` in a claimed slot under ``root``
    (default :func:`worker_cache_root`).

    Returns
    -------
    tuple
        The first time only, when PyTensor was already imported: one
        ``(SharedCompileDirWarning, message)`` pair for the caller to raise.
    """
    with _setup_lock:
        if "folder" in _prepared:
            return ()
        if "pytensor" in sys.modules:
            folder = sys.modules["pytensor"].config.base_compiledir
            _prepared["folder"] = Path(folder)
            message = (
                f"PyTensor was loaded in worker process {os.getpid()} before hiermodels "
                f"could give the process its own compile folder, so it compiles in {folder}, "
                "which other processes may use at the same time. Start workers with the "
                "'spawn' method (ProcessPoolExecutor(mp_context=multiprocessing.get_context"
                "('spawn')); a Dask LocalCluster spawns), and create them under "
                "if __name__ == '__main__': in a script that imports PyMC."
            )
            return ((SharedCompileDirWarning, message),)
        slot = _claim_slot(Path(root) if root is not None else worker_cache_root())
        (slot / "pytensor").mkdir(parents=True, exist_ok=True)
        (slot / "numba").mkdir(parents=True, exist_ok=True)
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = _with_flag(flags, "base_compiledir", str(slot / "pytensor"))
        os.environ["NUMBA_CACHE_DIR"] = str(slot / "numba")
        if "numba" in sys.modules:  # numba reads its settings at import; read them again
            sys.modules["numba"].core.config.reload_config()
        _prepared["folder"] = slot
        return ()


# ---------------------------------------------------------------------------- process cache
_cache: OrderedDict[Hashable, Any] = OrderedDict()
_cache_lock = threading.RLock()


def process_cache(key: Hashable, factory: Callable[[], Any]) -> Any:
    """The value stored under ``key`` in this process, made by ``factory()`` if absent.

    Workers keep built and compiled models here, so that tasks of the same model
    compile once per process. The :data:`PROCESS_CACHE_SIZE` most recently used values
    are kept.

    Examples
    --------
    >>> process_cache(("doc", 1), lambda: [1, 2])
    [1, 2]
    >>> process_cache(("doc", 1), lambda: "not called")
    [1, 2]
    """
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        value = factory()
        _cache[key] = value
        while len(_cache) > PROCESS_CACHE_SIZE:
            _cache.popitem(last=False)
        return value
