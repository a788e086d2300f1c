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
:class:`hiermodels.spec.recipe.ModelRecipe`). A worker process that had PyTensor loaded
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

from hiermodels.parallel.cache import PROCESS_CACHE_SIZE, process_cache
from hiermodels.parallel.tasks import ExecutorKind, executor_kind, run_tasks
from hiermodels.parallel.workers import (
    WORKER_CACHE_ENV,
    SharedCompileDirWarning,
    prepare_worker_process,
    worker_cache_root,
)

__all__ = [
    "PROCESS_CACHE_SIZE",
    "WORKER_CACHE_ENV",
    "ExecutorKind",
    "SharedCompileDirWarning",
    "executor_kind",
    "prepare_worker_process",
    "process_cache",
    "run_tasks",
    "worker_cache_root",
]
