"""Worker processes: each gets its own PyTensor and numba compile folders, a slot that it
holds with a file lock while it lives (see :mod:`hiermodels.parallel`)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from hiermodels.errors import HiermodelsWarning

__all__ = [
    "WORKER_CACHE_ENV",
    "SharedCompileDirWarning",
    "flag",
    "prepare_worker_process",
    "seed_numba_cache",
    "with_flag",
    "worker_cache_root",
]

#: Environment variable naming the folder of the worker cache slots (optional).
WORKER_CACHE_ENV = "HIERMODELS_WORKER_CACHE"


class SharedCompileDirWarning(HiermodelsWarning):
    """A worker process had PyTensor loaded before it could get its own compile folder."""


_setup_lock = threading.Lock()
_prepared: dict[str, Any] = {}


def flag(flags: str, key: str) -> str | None:
    """The value of ``key`` in a ``PYTENSOR_FLAGS`` string (``"a=1,b=2"``)."""
    for part in flags.split(","):
        name, _, value = part.partition("=")
        if name.strip() == key and value.strip():
            return value.strip()
    return None


def with_flag(flags: str, key: str, value: str) -> str:
    """``flags`` with ``key`` set to ``value`` (added or replaced).

    Examples
    --------
    >>> with_flag("floatX=float64,base_compiledir=/a", "base_compiledir", "/b")
    'floatX=float64,base_compiledir=/b'
    >>> with_flag("", "base_compiledir", "/b")
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
    base = flag(os.environ.get("PYTENSOR_FLAGS", ""), "base_compiledir")
    if base:
        path = Path(base).expanduser()
        return path.with_name(f"{path.name}-workers")
    return Path(tempfile.gettempdir()) / "hiermodels-workers"


def seed_numba_cache(source: Path, target: Path, *, prefix: str = "") -> int:
    """Copy numba's cached functions (names starting with ``prefix``) from ``source``
    into ``target``; how many files.

    A worker's own compile folders start with what its parent compiled: the kernels of
    :mod:`hiermodels.kernels` in ``NUMBA_CACHE_DIR``, and their sampler entry points
    (:mod:`hiermodels.kernel_entry`, ``string.hm_*`` in PyTensor's ``numba`` folder),
    whose cold compile takes 20 s and more; the worker loads them instead of compiling
    them again. A file is copied when ``target`` lacks it or holds an older one; each
    copy lands whole (written beside, then renamed), and numba checks every entry
    against its source or key before using it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     parent = Path(tmp, "parent", "kernels_1")
    ...     parent.mkdir(parents=True)
    ...     _ = (parent / "density.nbi").write_bytes(b"index")
    ...     seed_numba_cache(Path(tmp, "parent"), Path(tmp, "worker"))
    1
    """
    if not source.is_dir():
        return 0
    copied = 0
    for path in source.rglob("*"):
        if path.suffix not in (".nbi", ".nbc") or not path.name.startswith(prefix):
            continue
        dest = target / path.relative_to(source)
        try:
            if not path.is_file():
                continue
            if dest.exists() and dest.stat().st_mtime >= path.stat().st_mtime:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f"{dest.name}.{os.getpid()}.partial")
            shutil.copy2(path, partial)
            os.replace(partial, dest)
            copied += 1
        except OSError:  # a file the parent replaced meanwhile: the worker compiles it
            continue
    return copied


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
    (default :func:`worker_cache_root`). Seeds them with the parent's compiled kernels
    (:func:`seed_numba_cache`), then again at every later call (each task) with what
    the parent compiled meanwhile.

    Returns
    -------
    tuple
        The first time only, when PyTensor was already imported: one
        ``(SharedCompileDirWarning, message)`` pair for the caller to raise.
    """
    with _setup_lock:
        if "folder" in _prepared:
            for source, target, prefix in _prepared.get("seeds", ()):  # compiled meanwhile
                seed_numba_cache(source, target, prefix=prefix)
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
        seeds = []
        parent_base = flag(flags, "base_compiledir")
        if parent_base:  # PyTensor's numba cache, where the kernels' entry points are
            numba_src = Path(parent_base).expanduser() / "numba"
            seeds.append((numba_src, slot / "pytensor" / "numba", "string.hm_"))
        if os.environ.get("NUMBA_CACHE_DIR"):
            seeds.append((Path(os.environ["NUMBA_CACHE_DIR"]).expanduser(), slot / "numba", ""))
        for source, target, prefix in seeds:
            seed_numba_cache(source, target, prefix=prefix)
        _prepared["seeds"] = seeds
        os.environ["PYTENSOR_FLAGS"] = with_flag(flags, "base_compiledir", str(slot / "pytensor"))
        os.environ["NUMBA_CACHE_DIR"] = str(slot / "numba")
        if "numba" in sys.modules:  # numba reads its settings at import; read them again
            sys.modules["numba"].core.config.reload_config()
        _prepared["folder"] = slot
        return ()
