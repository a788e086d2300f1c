"""Multilevel regression and poststratification (MRP), over posterior draws.

A fitted model predicts the expected response (on the response scale: a probability for
bernoulli and binomial models) in every cell of a population table, one row per cell
with the model's predictor and grouping columns and the cell's size. The cell means are
averaged with the cell sizes as weights, over the whole population or within the levels
of a column, in each posterior draw (Gelman and Little 1997; Park, Gelman and Bafumi
2004). Cells of group levels the survey never saw get new-level effects drawn from the
fitted population distribution (``new_groups="sample"``, see
:meth:`hiermodels.Fit.predict`).

Examples
--------
>>> import pandas as pd
>>> cells = pd.DataFrame({"state": ["a", "b"], "N": [300, 100]})
>>> weight_codes(cells, "N", "state")[1].tolist()
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.analysis.draws import DrawsFrame, draws_frame
from hiermodels.design import required_columns
from hiermodels.design.checks import check_frame, check_required_columns
from hiermodels.errors import DataError
from hiermodels.options import PROB
from hiermodels.predict import NewGroups, predict

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["poststratify", "weight_codes"]

#: The label of the single row when ``by=None``.
OVERALL = "overall"


def _by_columns(population: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    columns = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [c for c in columns if c not in population.columns]
    if unknown:
        raise DataError(
            f"by names {unknown}, not a column of the population table; its columns are "
            f"{list(population.columns)}."
        )
    for col in columns:
        missing = population[col].isna().to_numpy()
        if missing.any():
            raise DataError(
                f"The by column {col!r} is missing in {int(missing.sum())} cell(s) (first "
                f"rows: {population.index[missing][:5].tolist()}); every cell needs a value."
            )
    return columns


def weight_codes(
    population: pd.DataFrame, weight: str, by: str | Sequence[str] | None
) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """The checked weights, the ``by`` levels (sorted) and each cell's level position.

    Raises
    ------
    DataError
        For a weight column that is absent, not numeric, missing, infinite or negative; a
        ``by`` column that is absent or missing; a level whose cells weigh 0 in total.
    """
    if weight not in population.columns:
        raise DataError(
            f"The weight column {weight!r} is not in the population table; its columns "
            f"are {list(population.columns)}. Pass weight='<column of cell counts>'."
        )
    series = population[weight]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"The weight column {weight!r} must hold numbers, not {series.dtype}.")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise DataError(
            f"The weight column {weight!r} has {int(bad.sum())} missing, infinite or negative "
            f"value(s) (first rows: {population.index[bad][:5].tolist()}, values "
            f"{values[bad][:5].tolist()}); cell sizes must be finite and >= 0."
        )
    columns = _by_columns(population, by)
    if not columns:
        codes, levels = np.zeros(len(population), dtype=int), pd.Index([OVERALL], name="population")
    else:
        keys = columns[0] if len(columns) == 1 else columns
        grouped = population.groupby(keys, sort=True, observed=True)
        codes, levels = grouped.ngroup().to_numpy(), grouped.size().index
    totals = np.bincount(codes, weights=values, minlength=len(levels))
    if (totals <= 0).any():
        raise DataError(
            f"The cells of {levels[totals <= 0].tolist()[:5]} weigh 0 in total "
            f"(column {weight!r}); there is nothing to average there."
        )
    return values, levels, codes


def _check_complete(fit: FitLike, population: pd.DataFrame) -> None:
    """Every level the model was fitted on appears in the population table."""
    data = fit.model.data
    needed = required_columns(fit.design, fit.spec)
    grouping = {c for g in fit.design.groups for c in g.factor.used_columns}
    for col in needed:
        series = data[col]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and col not in grouping:
            continue
        absent = sorted(set(series.dropna().astype(str)) - set(population[col].astype(str)))
        if absent:
            raise DataError(
                f"The population table lacks the level(s) {absent[:10]} of {col!r} that the "
                f"model was fitted on ({len(absent)} in all), so it does not cover the "
                "survey's population. Add those cells, or pass complete=False to "
                "poststratify to this sub-population."
            )


def poststratify(
    fit: FitLike,
    population: pd.DataFrame,
    *,
    weight: str = "N",
    by: str | Sequence[str] | None = None,
    new_groups: NewGroups = "sample",
    complete: bool = True,
    prob: float = PROB,
    random_seed: int | None = None,
) -> DrawsFrame:
    """Poststratified estimates (MRP): cell predictions averaged with the cell sizes.

    Per posterior draw, each cell's expected response ``mu_c`` (``fit.predict(population,
    kind="mean")``: the probability for bernoulli and binomial models, the mean
    otherwise) is weighted by its size ``N_c``: ``sum(N_c mu_c) / sum(N_c)`` over the
    cells of each level of ``by``, or over all cells.

    Parameters
    ----------
    fit
        A fitted model.
    population
        One row per population cell, with every predictor and grouping column of the
        model (as for :meth:`hiermodels.Fit.predict`) and the cell size. Other columns
        are ignored. It is not modified.
    weight
        The column of cell sizes (counts or population shares): finite and >= 0.
    by
        A column (or list of columns) of ``population`` to estimate within, e.g.
        ``"state"``; it need not be in the model. ``None`` (default): one estimate for
        the whole population.
    new_groups
        How cells of group levels not seen in fitting are predicted: ``"sample"``
        (default) draws their effects from the fitted population distribution, per
        posterior draw; ``"population"`` sets them to 0.
    complete
        Require every level of the model's categorical predictors and grouping factors
        to appear in ``population`` (default). Pass ``False`` to poststratify to a
        sub-population.
    prob
        Probability mass of the equal-tailed interval (default 0.89).
    random_seed
        Seed for the new-level effects; the same seed gives identical numbers.

    Returns
    -------
    DrawsFrame
        One row per level of ``by`` (sorted; the single row ``"overall"`` when ``by`` is
        ``None``) with ``estimate`` (posterior mean), ``sd``, the interval bounds and the
        total weight (a column named as ``weight``); ``draws`` holds the estimates per
        draw, dims ``(chain, draw, <by>)``; with several ``by`` columns the last dim is
        ``cell``, indexed by them all: ``table.draws.sel(state="CA", age="65+")``.

    Raises
    ------
    DataError
        For a population table that misses a column the model needs or a level it was
        fitted on, bad weights, or an unknown ``by``.

    Examples
    --------
    >>> mrp = hm.poststratify(fit, census, weight="N", by="state")  # doctest: +SKIP
    >>> mrp.draws.sel(state="CA") - mrp.draws.sel(state="TX")  # doctest: +SKIP
    """
    population = check_frame(population, "predict")
    weights, levels, codes = weight_codes(population, weight, by)
    check_required_columns(population, required_columns(fit.design, fit.spec))
    if complete:
        _check_complete(fit, population)
    tree = predict(fit, population, kind="mean", new_groups=new_groups, random_seed=random_seed)
    mu = tree["predictions"][fit.design.response_name].transpose(*naming.CHAIN_DRAW, "row").values
    onehot = np.zeros((len(population), len(levels)))
    onehot[np.arange(len(population)), codes] = weights
    totals = onehot.sum(axis=0)
    estimates = mu @ onehot / totals
    sample = {
        "chain": tree["predictions"]["chain"].values,
        "draw": tree["predictions"]["draw"].values,
    }
    if isinstance(levels, pd.MultiIndex):  # several by columns: a stacked coordinate
        dim = "cell"
        da = xr.DataArray(estimates, dims=(*naming.CHAIN_DRAW, dim), coords=sample)
        da = da.assign_coords(xr.Coordinates.from_pandas_multiindex(levels, dim))
    else:
        named = isinstance(levels.name, str) and levels.name not in naming.CHAIN_DRAW
        dim = levels.name if named else "cell"
        coords = {**sample, dim: np.asarray(levels)}
        da = xr.DataArray(estimates, dims=(*naming.CHAIN_DRAW, dim), coords=coords)
    table = draws_frame(da, prob=prob)
    table.index = levels
    table[weight] = totals
    table.draws = da
    return table
