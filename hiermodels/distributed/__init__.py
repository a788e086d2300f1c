"""Gaussian multilevel models from sums over a Dask DataFrame's partitions.

For a gaussian model whose one grouping factor's effects are integrated out
(:mod:`hiermodels.collapsed`), the likelihood depends on the rows only through sums per
level and overall; for crossed or nested varying intercepts, the Gibbs sampler runs on
per-level sums and the cross-tabulations of the levels (:mod:`hiermodels.gibbs`).
``hm.Model(formula, ddf)`` with a ``dask.dataframe.DataFrame``, or
:func:`hiermodels.Model.from_parquet`, computes those sums where the partitions live
and keeps only them: sampling, the conditional group effects, summaries and variance
components then cost the same whatever the number of rows. Computations that need the
rows themselves raise :class:`~hiermodels.errors.RowsNotHeldError`.

Modules, each importing only those before it:

- :mod:`~hiermodels.distributed.cluster`: the Dask client to compute with.
- :mod:`~hiermodels.distributed.sums`: one partition's sums (runs on the workers).
- :mod:`~hiermodels.distributed.statistics`: reduced sums to the in-memory statistics.
- :mod:`~hiermodels.distributed.design`: the two passes, and the design without rows.

See ``docs/distributed.md``.
"""

from hiermodels.distributed.cluster import cluster, is_dask_frame, read_parquet
from hiermodels.distributed.design import statistics_design

__all__ = ["cluster", "is_dask_frame", "read_parquet", "statistics_design"]
