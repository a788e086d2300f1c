"""From the reduced sums of all partitions to the statistics of a design without rows.

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> from hiermodels.collapsed import collapsed_statistics
>>> from hiermodels.sufficient_statistics import first_rows_shifts, row_sums
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "x": [0.0, 1.0, 0.0, 2.0],
...                    "g": ["a", "a", "b", "b"]})
>>> design = hm.Model("y ~ x + (1 | g)", df).design
>>> shifts = first_rows_shifts(design)
>>> sums = row_sums(design, "g", shifts, moments=True)
>>> stats = design_statistics(sums, design, "g", shifts, source="one frame")
>>> bool(np.array_equal(stats.collapsed.FtF, collapsed_statistics(design, "g").FtF))
True
>>> stats.y_mean, round(stats.y_sd, 4)
(2.75, 1.479)
"""

from __future__ import annotations

import numpy as np

from hiermodels.design import Design
from hiermodels.design.statistics import DesignStatistics
from hiermodels.distributed.sums import GibbsSums
from hiermodels.gibbs.statistics import nested_pairs
from hiermodels.kernels.exact_sums import moments_from_sums
from hiermodels.sufficient_statistics import (
    RowSums,
    Shifts,
    column_moments,
    statistics_from_sums,
)

__all__ = ["design_statistics", "gibbs_design_statistics"]


def design_statistics(
    sums: RowSums, template: Design, factor: str, shifts: Shifts, *, source: str
) -> DesignStatistics:
    """The collapsed statistics and the column moments of all rows, from their ``sums``."""
    collapsed = statistics_from_sums(sums, template, factor, shifts)
    return DesignStatistics(
        n_obs=collapsed.n_obs,
        collapsed=collapsed,
        source=source,
        **column_moments(sums, template, factor, shifts, collapsed.n_obs),
    )


def gibbs_design_statistics(
    sums: GibbsSums, template: Design, shifts: Shifts, *, source: str
) -> DesignStatistics:
    """The Gibbs statistics, nested pairs and column moments of all rows."""
    stats = sums.statistics
    n = stats.n_obs
    origin = np.concatenate([shifts.origin["y"], shifts.origin["fixed"]])
    mean, sd = moments_from_sums(sums.moments.value()[0], n, origin)
    return DesignStatistics(
        n_obs=int(n),
        y_mean=float(mean[0]),
        y_sd=float(sd[0]),
        column_mean=mean[1:],
        column_sd=sd[1:],
        group_column_sd={},  # intercepts only: their default prior needs no column SD
        collapsed=None,
        source=source,
        gibbs=stats,
        nested=frozenset(nested_pairs(stats)),
    )
