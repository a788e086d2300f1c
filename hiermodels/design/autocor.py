"""The series of an ``ar(time, gr=id)`` term: each row's predecessor and the gap to it.

Rows stay in the data's order; each row points to the previous row (in time) of its
series, or to none. Gaps of several time steps are allowed and give the correlation
``phi^gap`` (as nlme's ``corAR1`` with an integer time covariate); the differences of the
times within a series must therefore be whole numbers, and a time may not repeat within
a series.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.spec.autocor import ArTerm
>>> df = pd.DataFrame({"t": [2, 0, 1, 0, 3], "id": ["a", "a", "a", "b", "b"]})
>>> s = series_design(df, ArTerm("t", "id"))
>>> s.previous.tolist(), s.gap.tolist()
([2, -1, 1, -1, 3], [1, 0, 1, 0, 3])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hiermodels.design.levels import level_labels
from hiermodels.design.types import SeriesDesign
from hiermodels.errors import DataError, FormulaError
from hiermodels.families import get_family
from hiermodels.spec.autocor import ArTerm

__all__ = ["check_autocor_family", "series_design"]


def _rows(index: pd.Index, positions: np.ndarray, limit: int = 5) -> str:
    labels = [repr(v) for v in index[positions[:limit]]]
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return ", ".join(labels) + more


def series_design(frame: pd.DataFrame, term: ArTerm) -> SeriesDesign:
    """Check the time and series columns of ``frame`` and link each row to its predecessor.

    Raises
    ------
    DataError
        If the time column is not numeric, a time repeats within a series, or two
        successive times of a series are not a whole number of steps apart.
    """
    time = frame[term.time]
    if pd.api.types.is_bool_dtype(time) or not pd.api.types.is_numeric_dtype(time):
        raise DataError(
            f"The time column {term.time!r} of ar() must be numeric (e.g. days, waves "
            f"0, 1, 2), got dtype {time.dtype}; convert it, e.g. with "
            f"pd.to_numeric or (dates) the number of days since the start."
        )
    t = time.to_numpy(dtype=float)
    if term.group is None:
        series = np.zeros(len(frame), dtype=np.int64)
        where = "the data"
    else:
        labels, levels = level_labels(frame[term.group])
        lookup = {lv: i for i, lv in enumerate(levels)}
        series = np.array([lookup[v] for v in labels], dtype=np.int64)
        where = f"a level of {term.group!r}"
    order = np.lexsort((t, series))
    s_sorted, t_sorted = series[order], t[order]
    same = s_sorted[1:] == s_sorted[:-1]
    dt = np.diff(t_sorted)
    repeated = same & (dt == 0)
    if repeated.any():
        k = np.flatnonzero(repeated)[0]
        rows = np.sort(order[(s_sorted == s_sorted[k]) & (t_sorted == t_sorted[k])])
        raise DataError(
            f"ar() needs one row per time within each series, but the time "
            f"{term.time!r} = {t_sorted[k]:g} repeats within {where} (rows "
            f"{_rows(frame.index, rows)}). Average or drop the repeated rows, or give "
            f"ar() a finer grouping (gr = ...)."
        )
    fractional = same & (np.abs(dt - np.round(dt)) > 1e-8 * np.maximum(1.0, np.abs(dt)))
    if fractional.any():
        k = np.flatnonzero(fractional)[0]
        raise DataError(
            f"ar() correlates residuals as phi^gap, with gaps counted in whole time steps "
            f"(as nlme's corAR1); the time {term.time!r} jumps by {dt[k]:g} between rows "
            f"{_rows(frame.index, order[[k, k + 1]])}. Express time in whole steps (e.g. "
            f"weeks 0, 1, 2, or round it); irregular gaps of whole steps are fine."
        )
    previous = np.full(len(frame), -1, dtype=np.int64)
    gap = np.zeros(len(frame), dtype=np.int64)
    later = order[1:][same]
    previous[later] = order[:-1][same]
    gap[later] = np.round(dt[same]).astype(np.int64)
    return SeriesDesign(term=term, series=series, previous=previous, gap=gap)


def check_autocor_family(family: str, rows, formula: str) -> None:
    """``ar()`` is a residual correlation of a normal response: gaussian, no row terms."""
    if not get_family(family).collapsible:  # a normal response (the gaussian family)
        raise FormulaError(
            f"ar() correlates the residuals of a normal response: it needs "
            f"family='gaussian', not {family!r}. (brms's latent-residual ARMA for other "
            "families is not available.)",
            formula,
        )
    if rows is not None:
        raise FormulaError(
            "ar() cannot be combined with se(), cens() or weights() in the response: "
            "each changes one row's likelihood, and the AR(1) likelihood is joint over a "
            "series. Remove one of them.",
            formula,
        )
