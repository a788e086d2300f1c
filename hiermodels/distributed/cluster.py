"""Where the partitions' sums are computed: the user's Dask cluster, or a local one.

With a ``dask.distributed.Client`` connected (``Client("tcp://scheduler:8786")`` for a
real cluster, ``Client(LocalCluster(...))`` for this machine), the work runs there. With
none, :func:`cluster` starts a ``LocalCluster`` of worker processes for the reduction and
closes it afterwards.

Examples
--------
>>> is_dask_frame([1, 2])
False
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hiermodels.errors import MissingDependencyError

__all__ = ["cluster", "compute", "is_dask_frame", "read_parquet"]


def is_dask_frame(data: object) -> bool:
    """Whether ``data`` is a ``dask.dataframe.DataFrame`` (without importing Dask)."""
    return type(data).__module__.startswith("dask.") and hasattr(data, "npartitions")


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - a dependency
        raise MissingDependencyError(
            "A model on a Dask DataFrame needs dask.distributed: pip install 'distributed'."
        ) from None
    return distributed


@contextlib.contextmanager
def cluster(client=None) -> Iterator[object]:
    """The client to compute with: ``client``, the current one, or a new local cluster."""
    distributed = _distributed()
    if client is None:
        with contextlib.suppress(ValueError):
            client = distributed.default_client()
    if client is not None:
        yield client
        return
    with (
        distributed.LocalCluster(processes=True, dashboard_address=None) as local,
        distributed.Client(local) as new,
    ):
        yield new


def compute(*collections):
    """``dask.compute`` on the current client (see :func:`cluster`)."""
    import dask

    return dask.compute(*collections)


def read_parquet(path, **options):
    """``dask.dataframe.read_parquet(path, **options)``: a lazy, partitioned frame."""
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - a dependency
        raise MissingDependencyError(
            "Reading Parquet lazily needs dask[dataframe] and pyarrow: "
            "pip install 'dask[dataframe]' pyarrow."
        ) from None
    return dd.read_parquet(path, **options)
