"""The model frame: the columns a model reads, in the form its design is built from.

Like R's ``model.frame``, two things are normalised before the design is built, on a
copy (the caller's DataFrame is never changed):

- Text columns of pandas' nullable string dtypes (``"string"``, ``"string[pyarrow]"``,
  what ``DataFrame.convert_dtypes()`` gives) and of Arrow string dtypes become plain
  object columns, so that they are categorical like ``str`` and ``object`` columns, in
  the fixed part, the varying part and the grouping factors alike.
- When fitting, unused categories of a pandas ``Categorical`` (what subsetting leaves)
  are dropped, as R's ``model.frame(drop.unused.levels = TRUE)`` does: a category with
  no rows would give the fixed part a column of zeros. The order of the remaining
  categories is kept. ``C(x, levels=[...])`` still uses the levels it is given.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"s": pd.array(["a", None], dtype="string"),
...                    "c": pd.Categorical(["x", "x"], categories=["x", "y"])})
>>> out = model_frame(df, ["s", "c"], drop_unused_categories=True)
>>> out["s"].dtype, out["s"].isna().tolist(), list(out["c"].cat.categories)
(dtype('O'), [False, True], ['x'])
>>> str(df["s"].dtype), list(df["c"].cat.categories)
('string', ['x', 'y'])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["is_nullable_text", "model_frame"]


def is_nullable_text(dtype: object) -> bool:
    """Whether ``dtype`` is a text dtype that formulaic would not take as categorical:
    a pandas ``StringDtype`` with ``pd.NA`` for missing values, or an Arrow string."""
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is pd.NA
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        arrow = dtype.pyarrow_dtype
        return pa.types.is_string(arrow) or pa.types.is_large_string(arrow)
    return False


def _as_object(series: pd.Series) -> pd.Series:
    values = series.to_numpy(dtype=object, na_value=np.nan)
    return pd.Series(values, index=series.index, name=series.name, dtype=object)


def model_frame(
    data: pd.DataFrame, columns: Iterable[str], *, drop_unused_categories: bool
) -> pd.DataFrame:
    """``data`` with the given columns normalised (see the module docstring).

    Parameters
    ----------
    data
        The rows to model or predict. It is not modified.
    columns
        The columns to normalise (those the model reads).
    drop_unused_categories
        Drop categories without rows (when fitting; in prediction the fitted encoding
        decides the levels).

    Returns
    -------
    pandas.DataFrame
        ``data`` itself if nothing changes, else a shallow copy with the changed columns
        replaced.
    """
    changed = {}
    for col in dict.fromkeys(columns):
        series = data[col]
        if is_nullable_text(series.dtype):
            changed[col] = _as_object(series)
        elif drop_unused_categories and isinstance(series.dtype, pd.CategoricalDtype):
            if len(series.cat.categories) > series.nunique(dropna=True):
                changed[col] = series.cat.remove_unused_categories()
    if not changed:
        return data
    frame = data.copy(deep=False)
    for col, series in changed.items():
        frame[col] = series
    return frame
