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
>>> stats = design_statistics(row_sums(design, "g", shifts), design, "g", shifts,
...                           source="one frame")
>>> bool(np.array_equal(stats.collapsed.FtF, collapsed_statistics(design, "g").FtF))
True
>>> stats.y_mean, round(stats.y_sd, 4)
(2.75, 1.479)
"""

from __future__ import annotations

from hiermodels.design import Design
from hiermodels.design.statistics import DesignStatistics
from hiermodels.sufficient_statistics import (
    RowSums,
    Shifts,
    column_moments,
    statistics_from_sums,
)

__all__ = ["design_statistics"]


def design_statistics(
    sums: RowSums, template: Design, factor: str, shifts: Shifts, *, source: str
) -> DesignStatistics:
    """The collapsed statistics and the column moments of all rows, from their ``sums``."""
    collapsed = statistics_from_sums(sums, template, factor, shifts)
    return DesignStatistics(
        n_obs=collapsed.n_obs,
        collapsed=collapsed,
        source=source,
        **column_moments(sums, template, factor, shifts),
    )
