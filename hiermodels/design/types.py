"""The frozen dataclasses of a design: fixed part, grouping factors, the whole design.

Group terms are never expanded to a dense Z over all levels. Each grouping factor keeps
``codes`` (rows x members) of integer level indices, ``weights`` (rows x members) and the
row-level columns ``Z`` (rows x terms); the group contribution of row ``i`` is
``sum_k weights[i, k] * Z[i] @ effects[codes[i, k]]``. An ordinary factor has one member
with weight 1; a multiple-membership factor has several.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hiermodels.errors import SpecError
from hiermodels.families.row_terms import RowTerms
from hiermodels.spec.autocor import ArTerm
from hiermodels.spec.terms import GroupFactor, Membership

__all__ = ["Design", "FixedDesign", "GroupDesign", "Missing", "NewDesign", "SeriesDesign"]

Missing = Literal["error", "drop"]


@dataclass(frozen=True, eq=False)
class FixedDesign:
    """The fixed-effects design matrix and how to rebuild it for new data."""

    matrix: np.ndarray
    names: tuple[str, ...]
    formulaic_spec: Any
    #: Positions of the formulaic matrix's columns that the design keeps (``None``: all);
    #: a family without an intercept (:attr:`hiermodels.families.Family.has_intercept`)
    #: drops the intercept column, after the coding that an intercept implies.
    columns: tuple[int, ...] | None = None

    @property
    def has_intercept(self) -> bool:
        return "Intercept" in self.names


@dataclass(frozen=True, eq=False)
class GroupDesign:
    """One grouping factor: its levels, varying terms and per-row codes and weights.

    Attributes
    ----------
    name
        The factor as written ("Subject", "batch:cask", "mm(s1, s2)"); the dimension name.
    levels
        Level labels, in the order of the effect vector.
    terms
        Names of the varying columns ("Intercept", "Days", ...).
    blocks
        Partition of ``terms`` (as index tuples) into correlated blocks; a block of one
        term is uncorrelated with the rest.
    Z
        Row-level varying columns, shape (rows, terms).
    codes, weights
        Level index and weight of each member, shape (rows, members).
    """

    name: str
    levels: tuple[str, ...]
    terms: tuple[str, ...]
    blocks: tuple[tuple[int, ...], ...]
    Z: np.ndarray
    codes: np.ndarray
    weights: np.ndarray
    factor: GroupFactor | Membership
    term_specs: tuple[Any, ...]
    #: The checked known covariance of a ``gr(g, cov=K)`` factor, a
    #: :class:`hiermodels.design.known_covariance.KnownCovariance`; ``None`` otherwise.
    covariance: Any = None

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def correlated(self) -> bool:
        return any(len(b) > 1 for b in self.blocks)

    def level_counts(self) -> np.ndarray:
        """Number of rows in each level (members counted once per row they appear in)."""
        counts = np.zeros(self.n_levels, dtype=int)
        for k in range(self.codes.shape[1]):
            np.add.at(counts, self.codes[:, k], (self.weights[:, k] != 0).astype(int))
        return counts


@dataclass(frozen=True, eq=False)
class SeriesDesign:
    """The AR(1) structure of the rows (:mod:`hiermodels.design.autocor` builds it).

    Attributes
    ----------
    term
        The formula term.
    series
        Series code of each row (0 .. n_series - 1).
    previous
        Position of the row's predecessor in its series, ``-1`` for a series' first row.
    gap
        Time steps from the predecessor (whole numbers >= 1; 0 for a first row).
    """

    term: ArTerm
    series: np.ndarray
    previous: np.ndarray
    gap: np.ndarray

    @property
    def n_series(self) -> int:
        return int(self.series.max()) + 1 if self.series.size else 0

    @property
    def following(self) -> np.ndarray:
        """Position of the row's successor in its series, ``-1`` for a series' last row."""
        out = np.full(self.previous.shape, -1, dtype=np.int64)
        has = self.previous >= 0
        out[self.previous[has]] = np.flatnonzero(has)
        return out

    @property
    def max_length(self) -> int:
        return int(np.bincount(self.series).max()) if self.series.size else 0


@dataclass(frozen=True, eq=False)
class Design:
    """Everything the backend needs, as arrays, plus the encoders to rebuild it."""

    response_name: str
    y: np.ndarray
    trials: np.ndarray | None
    fixed: FixedDesign
    groups: tuple[GroupDesign, ...]
    row_index: pd.Index
    offset: np.ndarray | None = None
    #: Positions of the model's rows in the caller's DataFrame (labels may repeat).
    row_positions: np.ndarray | None = None
    #: Known SDs, censoring and weights of the rows (``se()``, ``cens()``, ``weights()``).
    row_terms: RowTerms | None = None
    #: The response's category labels, in order, for a family with a categorical
    #: response (``y`` then holds the codes ``0..K-1``); ``None`` otherwise.
    categories: tuple[object, ...] | None = None
    #: The series of a residual AR(1) term ``ar(time, gr=id)``; ``None`` without one.
    autocor: SeriesDesign | None = None
    #: The designs of the family parameters with formulas of their own
    #: (:class:`hiermodels.design.distributional.DistributionalPart`), in family order.
    distributional: tuple[Any, ...] = ()
    #: Sums over rows that are not held (a model on a Dask DataFrame): a
    #: :class:`hiermodels.design.statistics.DesignStatistics`; the row arrays are then
    #: empty. ``None`` when the rows are here.
    statistics: Any = None

    @property
    def n_obs(self) -> int:
        """Number of rows of the model (held or not; see :attr:`statistics`)."""
        return len(self.y) if self.statistics is None else self.statistics.n_obs

    def group(self, name: str) -> GroupDesign:
        for g in self.groups:
            if name in (g.name, g.name.replace(" ", "")):
                return g
        raise SpecError(
            f"Unknown grouping factor {name!r}; this model's factors are "
            f"{[g.name for g in self.groups]}."
        )


@dataclass(frozen=True, eq=False)
class NewDesign:
    """A design for new rows, and the new levels of each grouping factor.

    In ``design.groups[i]`` the codes index ``levels + new_levels[name]``: the fitted
    levels first, then the new ones (labels of unseen levels, ``"<missing row k>"`` for
    a missing value in row ``k``).
    """

    design: Design
    new_levels: dict[str, tuple[str, ...]]
