"""One partition's sums: the work done on the workers.

Each partition's rows are coded with the template's encoders
(:func:`hiermodels.design.prediction_design`) and summed exactly
(:func:`hiermodels.sufficient_statistics.row_sums`), so that the sums of all partitions
add up to those of the rows in memory, to the bit.

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> from hiermodels.sufficient_statistics import first_rows_shifts, statistics_from_sums
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> model = hm.Model("y ~ 1 + (1 | g)", df)
>>> shifts = first_rows_shifts(model.design)
>>> parts = [partition_sums(df.iloc[i : i + 2], model.design, model.spec, "gaussian",
...                         factor="g", shifts=shifts) for i in (0, 2)]
>>> stats = statistics_from_sums(parts[0] + parts[1], model.design, "g", shifts)
>>> stats.counts.tolist(), stats.Zty[:, 0].tolist()
([2, 2], [-2.5, 2.5])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiermodels.design import Design, prediction_design
from hiermodels.design.response import response_values
from hiermodels.errors import DataError
from hiermodels.gibbs.statistics import GibbsStatistics, add_statistics, gibbs_statistics
from hiermodels.kernels.exact_sums import LevelSums, moment_sums
from hiermodels.sufficient_statistics import RowSums, Shifts, row_sums

__all__ = ["partition_design", "partition_sums"]


def partition_design(frame: pd.DataFrame, template: Design, spec, family: str) -> Design:
    """The design of a partition's rows, coded with the levels and encoders of
    ``template`` (whose pilot held every level, so none is new here)."""
    new = prediction_design(template, spec, frame)
    unseen = {k: v for k, v in new.new_levels.items() if v}
    if unseen:  # pragma: no cover - the levels were collected from every partition first
        raise DataError(f"Levels not seen when the levels were collected: {unseen}.")
    y, _ = response_values(frame, spec.response.expr, family)
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise DataError(
            f"The response {spec.response.expr!r} has infinite values; a model needs finite "
            "responses."
        )
    return dataclasses.replace(new.design, y=y)


def partition_sums(
    frame: pd.DataFrame, template: Design, spec, family: str, *, factor: str, shifts: Shifts
) -> RowSums:
    """The exact sums of one partition's rows."""
    design = partition_design(frame, template, spec, family)
    return row_sums(design, factor, shifts, moments=True)


@dataclass(frozen=True, eq=False)
class GibbsSums:
    """The Gibbs sampler's statistics of some rows, and exact sums for the column moments
    (``y`` and the fixed columns less the first row's, then their squares)."""

    statistics: GibbsStatistics
    moments: LevelSums

    def __add__(self, other: GibbsSums) -> GibbsSums:
        both = add_statistics(self.statistics, other.statistics), self.moments + other.moments
        return GibbsSums(*both)


def gibbs_shifts(first: Design) -> tuple[np.ndarray | None, np.ndarray]:
    """The centre of the slopes and the least-squares coefficients of the first rows: every
    partition's Gibbs statistics use these (:func:`hiermodels.gibbs.statistics`)."""
    stats = gibbs_statistics(first)
    return stats.centre, stats.shift


def partition_gibbs(
    frame: pd.DataFrame, template: Design, spec, family: str, *, centre, shift, shifts: Shifts
) -> GibbsSums:
    """The Gibbs statistics of one partition's rows (with the shared ``centre``, ``shift``)."""
    design = partition_design(frame, template, spec, family)
    raw = np.column_stack([design.y.astype(float), design.fixed.matrix])
    moments = moment_sums(raw, np.concatenate([shifts.origin["y"], shifts.origin["fixed"]]))
    return GibbsSums(gibbs_statistics(design, centre=centre, shift=shift), moments)
