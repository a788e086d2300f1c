"""Tidy tables of derived quantities that keep their posterior draws.

:class:`DrawsFrame` is a :class:`pandas.DataFrame` (one row per quantity: ``estimate``,
``sd`` and the equal-tailed interval) with one more attribute, ``draws``: an
``xarray.DataArray`` with dims ``(chain, draw, <row dim>)`` whose last coordinate holds
the table's index labels, so that further arithmetic is done on the draws, not on the
summaries. :func:`draws_frame` builds one from the draws.

Examples
--------
>>> import numpy as np, xarray as xr
>>> da = xr.DataArray(np.arange(200.0).reshape(1, 100, 2), dims=("chain", "draw", "cell"),
...                   coords={"cell": ["a", "b"]})
>>> table = draws_frame(da)
>>> table.columns.tolist()
['estimate', 'sd', 'eti89_lb', 'eti89_ub']
>>> float((table.draws.sel(cell="b") - table.draws.sel(cell="a")).mean())
1.0
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.options import PROB, check_prob, interval_columns

__all__ = ["DrawsFrame", "draws_frame"]


class DrawsFrame(pd.DataFrame):
    """A table of posterior summaries whose ``draws`` attribute holds the draws.

    ``draws`` has dims ``(chain, draw, <row dim>)``, the row dimension labelled with the
    table's index, as the table was returned. Selecting rows or columns of the table
    keeps the attribute unchanged (all rows): select draws with ``table.draws.sel(...)``.
    """

    _metadata: ClassVar[list[str]] = ["draws"]

    @property
    def _constructor(self):
        return DrawsFrame


def draws_frame(da: xr.DataArray, *, prob: float = PROB) -> DrawsFrame:
    """Summarise draws with dims ``(chain, draw, row)`` into a :class:`DrawsFrame`.

    Parameters
    ----------
    da
        The draws; the third dimension names the table's index, its coordinate labels it.
    prob
        Probability mass of the equal-tailed interval (default 0.89).

    Returns
    -------
    DrawsFrame
        Columns ``estimate`` (posterior mean), ``sd`` and the interval bounds (quantiles
        with linear interpolation, as :func:`arviz_stats.eti` and :func:`numpy.quantile`
        compute them); ``draws`` holds ``da``.
    """
    import arviz_stats as azs

    check_prob(prob)
    (row,) = (d for d in da.dims if d not in naming.CHAIN_DRAW)
    da = da.transpose(*naming.CHAIN_DRAW, row)
    values = np.asarray(da.values, dtype=float)
    positional = xr.DataArray(values, dims=da.dims)
    eti = azs.eti(positional, prob=prob, dim=list(naming.CHAIN_DRAW)).transpose(row, "ci_bound")
    lower, upper = interval_columns(prob)
    index = pd.Index(da[row].values if row in da.coords else np.arange(da.sizes[row]), name=row)
    table = DrawsFrame(
        {
            "estimate": values.mean(axis=(0, 1)),
            "sd": values.reshape(-1, values.shape[-1]).std(axis=0, ddof=1),
            lower: eti.values[:, 0],
            upper: eti.values[:, 1],
        },
        index=index,
    )
    table.draws = da
    return table
