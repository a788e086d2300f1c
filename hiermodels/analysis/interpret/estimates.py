"""The result of every interpretation function: a tidy table and the draws behind it.

:class:`Estimates` keeps, for each row of its table, the posterior draws of the quantity
(predictions, marginal means, comparisons, slopes), so that further arithmetic stays
exact over draws: ``(a.samples()[:, 0] - a.samples()[:, 1]).mean()``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> draws = np.arange(400.0).reshape(2, 100, 2)
>>> est = Estimates(pd.DataFrame({"group": ["a", "b"]}), draws)
>>> est.to_frame().columns.tolist()
['group', 'estimate', 'sd', 'eti89_lb', 'eti89_ub']
>>> est.samples().shape
(200, 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.errors import DataError
from hiermodels.options import PROB, check_prob, interval_columns

__all__ = ["Estimates"]


class Estimates:
    """Posterior summaries of derived quantities, with their draws.

    Parameters
    ----------
    rows
        One row per quantity: the columns that identify it (``Variety``, ``contrast``,
        ...). Its index is replaced by ``0 .. n-1``.
    draws
        The draws, shape ``(chain, draw, len(rows))``.
    info
        Settings that produced the numbers (``re``, ``scale``, the finite-difference
        step ``eps`` of slopes, ...), shown by ``repr`` and kept in :attr:`info`.

    Attributes
    ----------
    draws : xarray.DataArray
        Dims ``(chain, draw, row)``; ``row`` is the position in :meth:`to_frame`.
    info : Mapping
        See above.
    """

    def __init__(self, rows: pd.DataFrame, draws: np.ndarray, info: Mapping | None = None):
        draws = np.asarray(draws, dtype=float)
        if draws.ndim != 3 or draws.shape[2] != len(rows):
            raise DataError(f"draws must have shape (chain, draw, {len(rows)}), got {draws.shape}.")
        self._rows = rows.reset_index(drop=True)
        self.draws = xr.DataArray(
            draws,
            dims=(*naming.CHAIN_DRAW, "row"),
            coords={"row": np.arange(len(rows))},
        )
        self.info = MappingProxyType(dict(info or {}))

    def __len__(self) -> int:
        return len(self._rows)

    def samples(self) -> np.ndarray:
        """The draws flattened over chains, shape ``(chain * draw, rows)``."""
        values = self.draws.values
        return values.reshape(-1, values.shape[2])

    def to_frame(self, *, prob: float = PROB) -> pd.DataFrame:
        """The table: identifying columns, then ``estimate`` (posterior mean), ``sd`` and
        the equal-tailed interval at ``prob`` (``eti89_lb``, ``eti89_ub``)."""
        prob = check_prob(prob)
        flat = self.samples()
        lb, ub = interval_columns(prob)
        # the same quantiles as arviz_stats.eti (linear interpolation)
        bounds = np.quantile(flat, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
        table = self._rows.copy()
        table["estimate"] = flat.mean(axis=0)
        table["sd"] = flat.std(axis=0, ddof=1)
        table[lb] = bounds[0]
        table[ub] = bounds[1]
        return table

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.info.items())
        head = f"hm.Estimates ({len(self)} rows; {settings})" if settings else "hm.Estimates"
        return f"{head}\n{self.to_frame().to_string()}"

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()
