"""run_tasks on no executor, a thread pool, a process pool and a 2-worker Dask LocalCluster.

The worker processes must each compile in their own PyTensor and numba folders inside
the clone's ``.cache`` (the root conftest points PyTensor at ``.cache/pytensor``, so the
workers use ``.cache/pytensor-workers/slot-<i>``).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from hiermodels.errors import ConvergenceWarning, DataError, SpecError
from hiermodels.parallel import (
    PROCESS_CACHE_SIZE,
    executor_kind,
    process_cache,
    run_tasks,
    worker_cache_root,
)
from hiermodels.parallel.workers import flag, seed_numba_cache, with_flag

CACHE = Path(__file__).resolve().parents[2] / ".cache"


# ------------------------------------------------------------------ task functions
def square(x):
    return x * x


def scaled(factor, x):
    return factor * x


def fail_on_three(x):
    if x == 3:
        raise DataError(f"bad item {x}")
    return x


def warn_and_return(x):
    warnings.warn(f"item {x} did not converge", ConvergenceWarning, stacklevel=1)
    warnings.warn("a library's own warning", DeprecationWarning, stacklevel=1)
    return x


def compile_folders(_item):
    """Where this process's PyTensor and numba cache compiled code (imports PyTensor)."""
    import time

    import pytensor

    time.sleep(0.5)  # long enough that both workers get a task
    return {
        "pid": os.getpid(),
        "base_compiledir": str(pytensor.config.base_compiledir),
        "compiledir": str(pytensor.config.compiledir),
        "numba": os.environ.get("NUMBA_CACHE_DIR"),
    }


# ------------------------------------------------------------------ no processes
def test_serial_and_threads_keep_the_order_of_the_items():
    items = list(range(7))
    assert run_tasks(square, items) == [x * x for x in items]
    with ThreadPoolExecutor(3) as pool:
        assert run_tasks(square, items, executor=pool) == [x * x for x in items]
        assert run_tasks(scaled, items, shared=3, executor=pool) == [3 * x for x in items]
    assert run_tasks(scaled, [], shared=3) == []


def test_a_task_error_reaches_the_caller():
    with pytest.raises(DataError, match="bad item 3"):
        run_tasks(fail_on_three, [1, 2, 3, 4])
    with ThreadPoolExecutor(2) as pool, pytest.raises(DataError, match="bad item 3"):
        run_tasks(fail_on_three, [1, 2, 3, 4], executor=pool)


def test_executor_kind_rejects_other_objects():
    assert executor_kind(None) == "serial"
    with ThreadPoolExecutor(1) as pool:
        assert executor_kind(pool) == "futures"
    with pytest.raises(SpecError, match=r"got int 4"):
        run_tasks(square, [1], executor=4)
    with pytest.raises(SpecError, match=r"distributed.Client\('tcp://host:8786'\)"):
        run_tasks(square, [1], executor="tcp://host:8786")


def test_functions_must_be_sendable_by_name():
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(SpecError, match="top level of a module"):
            run_tasks(lambda x: x, [1], executor=pool)

        def local(x):
            return x

        with pytest.raises(SpecError, match="top level of a module"):
            run_tasks(local, [1], executor=pool)
    # without an executor nothing is sent, so any callable works
    assert run_tasks(lambda x: x + 1, [1]) == [2]


def test_pytensor_flags_are_edited_not_replaced():
    flags = "floatX=float64, base_compiledir=/a,linker=numba"
    assert flag(flags, "base_compiledir") == "/a"
    assert flag(flags, "mode") is None
    edited = with_flag(flags, "base_compiledir", "/b")
    assert edited == "floatX=float64,linker=numba,base_compiledir=/b"


def test_worker_cache_root_sits_beside_the_compile_folder(monkeypatch):
    monkeypatch.delenv("HIERMODELS_WORKER_CACHE", raising=False)
    monkeypatch.setenv("PYTENSOR_FLAGS", "base_compiledir=/x/.cache/pytensor")
    assert worker_cache_root() == Path("/x/.cache/pytensor-workers")
    monkeypatch.setenv("HIERMODELS_WORKER_CACHE", "/y/slots")
    assert worker_cache_root() == Path("/y/slots")


def test_a_worker_numba_folder_is_seeded_with_what_the_parent_compiled(tmp_path):
    parent, worker = tmp_path / "parent", tmp_path / "worker"
    (parent / "kernels_1").mkdir(parents=True)
    (parent / "kernels_1" / "density.nbi").write_bytes(b"parent index")
    (parent / "kernels_1" / "density.1.nbc").write_bytes(b"parent code")
    (parent / "kernels_1" / "notes.txt").write_text("not numba's")
    (worker / "kernels_1").mkdir(parents=True)
    (worker / "kernels_1" / "own.nbi").write_bytes(b"worker only")
    assert seed_numba_cache(parent, worker) == 2
    assert (worker / "kernels_1" / "density.1.nbc").read_bytes() == b"parent code"
    assert (worker / "kernels_1" / "own.nbi").read_bytes() == b"worker only"
    assert not (worker / "kernels_1" / "notes.txt").exists()
    assert not list(worker.rglob("*.partial"))
    # a file the worker holds already, as new as the parent's, stays
    (worker / "kernels_1" / "density.nbi").write_bytes(b"worker index")
    assert seed_numba_cache(parent, worker) == 0
    assert (worker / "kernels_1" / "density.nbi").read_bytes() == b"worker index"
    # a newer one in the parent replaces it
    os.utime(parent / "kernels_1" / "density.nbi", (2e9, 2e9))
    assert seed_numba_cache(parent, worker) == 1
    assert (worker / "kernels_1" / "density.nbi").read_bytes() == b"parent index"
    assert seed_numba_cache(tmp_path / "missing", worker) == 0
    # a prefix picks hiermodels' entry points among PyTensor's cached functions
    (parent / "string.hm_kernel_logp-1.py312.nbi").write_bytes(b"entry")
    (parent / "string.elemwise-2.py312.nbi").write_bytes(b"pytensor's")
    assert seed_numba_cache(parent, tmp_path / "entries", prefix="string.hm_") == 1
    entries = [p.name for p in (tmp_path / "entries").iterdir()]
    assert entries == ["string.hm_kernel_logp-1.py312.nbi"]


def test_process_cache_keeps_the_most_recent_values():
    made = []

    def make(i):
        made.append(i)
        return f"value {i}"

    for i in range(PROCESS_CACHE_SIZE):
        assert process_cache(("test", i), lambda i=i: make(i)) == f"value {i}"
    assert process_cache(("test", 0), lambda: make("again")) == "value 0"  # cached
    process_cache(("test", "new"), lambda: make("new"))  # evicts the oldest: ("test", 1)
    process_cache(("test", 1), lambda: make(1))
    assert made == [*range(PROCESS_CACHE_SIZE), "new", 1]


# ------------------------------------------------------------------ processes
def test_a_process_that_loaded_pytensor_already_is_reported(tmp_path):
    """As in a worker forked from a process that had imported PyMC: too late to move it."""
    code = (
        "import pytensor\n"
        "from hiermodels.parallel import prepare_worker_process\n"
        "[(category, message)] = prepare_worker_process()\n"
        "print(category.__name__, message)\n"
        "assert prepare_worker_process() == ()  # once per process\n"
    )
    env = {**os.environ, "HIERMODELS_WORKER_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SharedCompileDirWarning PyTensor was loaded in worker process")
    assert "spawn" in done.stdout
    assert not any(tmp_path.iterdir()), "no slot is claimed when it cannot be used"


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_workers_compile_in_their_own_folders_inside_the_clone(client):
    folders = run_tasks(compile_folders, range(6), executor=client)
    by_pid = {f["pid"]: f for f in folders}
    assert os.getpid() not in by_pid
    assert len(by_pid) == 2, "both workers ran tasks"
    roots = {Path(f["base_compiledir"]) for f in by_pid.values()}
    assert len(roots) == 2, "each worker has its own PyTensor folder"
    for f in by_pid.values():
        base = Path(f["base_compiledir"])
        assert base.parent.parent == CACHE / "pytensor-workers"
        assert base.name == "pytensor" and base.parent.name.startswith("slot-")
        assert Path(f["compiledir"]).is_relative_to(base)
        assert Path(f["numba"]) == base.parent / "numba"


def test_dask_results_warnings_and_errors_come_back(client):
    assert run_tasks(scaled, range(5), shared=10, executor=client) == [0, 10, 20, 30, 40]
    with pytest.warns(ConvergenceWarning) as caught:
        assert run_tasks(warn_and_return, [1, 2], executor=client) == [1, 2]
    # hiermodels' warnings are raised again here; a library's warnings stay in the worker
    assert sorted(str(w.message) for w in caught) == [
        "item 1 did not converge",
        "item 2 did not converge",
    ]
    with pytest.raises(DataError, match="bad item 3"):
        run_tasks(fail_on_three, [1, 2, 3], executor=client)


def test_spawned_process_pool_gets_its_own_folders():
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        [folders] = run_tasks(compile_folders, [0], executor=pool)
    assert Path(folders["base_compiledir"]).parent.parent == CACHE / "pytensor-workers"
