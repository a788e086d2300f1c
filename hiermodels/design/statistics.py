"""The design of a model whose rows are not held: sums over the rows in their place.

A gaussian model with one grouping factor whose effects are integrated out depends on
its rows only through sums per level and overall (:mod:`hiermodels.collapsed`). For a
model on a Dask DataFrame those sums are computed where the partitions live
(:mod:`hiermodels.distributed`), and the :class:`~hiermodels.design.Design` keeps its
levels, terms and encoders but no rows: its row arrays are empty and
:attr:`Design.statistics` holds a :class:`DesignStatistics`.

Everything that needs the rows themselves (pointwise log-likelihood and LOO, posterior
predictive checks of the fitted rows, k-fold, the model's data) calls
:func:`require_rows` first, which raises :class:`~hiermodels.errors.RowsNotHeldError`
with what to do instead.

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> require_rows(hm.Model("y ~ 1 + (1 | g)", df).design, "LOO")  # rows held: passes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hiermodels.errors import RowsNotHeldError

__all__ = ["DesignStatistics", "column_means", "require_rows"]


@dataclass(frozen=True, eq=False)
class DesignStatistics:
    """What a model without rows knows of them.

    Attributes
    ----------
    n_obs
        Number of rows.
    y_mean, y_sd
        Mean and standard deviation (``ddof=0``) of the response.
    column_mean, column_sd
        Of each fixed column, in the order of ``design.fixed.names``.
    group_column_sd
        SD of each varying column, keyed by ``(factor, term)``.
    collapsed
        The collapsed factor's statistics, a
        :class:`hiermodels.collapsed.CollapsedStatistics` (one grouping factor), or
        ``None``.
    source
        Where the rows are, for messages (``"a Dask DataFrame of 8 partitions"``).
    gibbs
        The Gibbs sampler's statistics, a
        :class:`hiermodels.gibbs.statistics.GibbsStatistics` (crossed or nested varying
        intercepts), or ``None``.
    nested
        ``(inner, outer)`` pairs of factors, the inner nested in the outer (Gibbs only).
    """

    n_obs: int
    y_mean: float
    y_sd: float
    column_mean: np.ndarray
    column_sd: np.ndarray
    group_column_sd: dict[tuple[str, str], float]
    collapsed: Any
    source: str
    gibbs: Any = None
    nested: frozenset = frozenset()


def require_rows(design, what: str) -> None:
    """Raise :class:`~hiermodels.errors.RowsNotHeldError` when ``design`` holds no rows.

    ``what`` names the computation (``"LOO"``, ``"posterior predictive checks"``).
    """
    stats = getattr(design, "statistics", None)
    if stats is None:
        return
    raise RowsNotHeldError(
        f"{what} needs the model's rows, and this model holds only sums over its "
        f"{stats.n_obs:,} rows ({stats.source}). Fit in memory on the rows "
        "(hm.Model(formula, ddf.compute())) or on a sample of them "
        "(hm.Model(formula, ddf.sample(frac=0.01).compute())), then ask again."
    )


def column_means(design, columns: list[int]) -> np.ndarray:
    """The means of the fixed ``columns`` over the rows, held or not (the centre of the
    slopes)."""
    if design.statistics is None:
        return design.fixed.matrix[:, columns].mean(axis=0)
    return design.statistics.column_mean[columns]
