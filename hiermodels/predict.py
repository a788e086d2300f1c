"""Prediction and replicated data (behind ``fit.predict`` and ``fit.posterior_predictive``).

Predictions are computed in NumPy from the posterior draws: the linear predictor of the
new rows (:func:`hiermodels.linear_predictor.linear_predictor` on a design rebuilt with
the fit's encoders, see :mod:`hiermodels.design.newdata`), then, for ``kind="mean"``, the
family's mean of the response (:meth:`hiermodels.families.Family.expected_value`: the
inverse link for most families, ``(1 - zi) mu`` for zero-inflated ones, ...) or, for
``kind="response"``, one draw from the likelihood per posterior draw.

Group levels seen in fitting use their own effects. A level not seen in fitting (or a
missing group value) gets, with ``new_groups="sample"``, one draw per posterior draw from
the population distribution ``N(0, Sigma)``, ``Sigma`` built from that draw's ``sd_<g>``
and ``cor_<g>`` (brms' ``sample_new_levels="gaussian"``); with
``new_groups="population"`` its effect is 0, the population mean. A new level of
``gr(g, cov=K)`` is drawn given the fitted effects (:mod:`hiermodels.analysis.known_covariance`).

Examples
--------
With ``fit`` a :class:`hiermodels.Fit` of ``Reaction ~ 1 + Days + (1 | Subject)``:

>>> new = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "new"]})
>>> pred = fit.predict(new, random_seed=1)
>>> hm.summarize_predictions(pred).columns.tolist()
['mean', 'sd', 'eti89_lb', 'eti89_ub']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.analysis.distributional import row_parameter_draws
from hiermodels.design import prediction_design
from hiermodels.design.distributional import constant_parameter_draws
from hiermodels.design.row_terms import known_sd_terms
from hiermodels.design.statistics import require_rows
from hiermodels.errors import DataError, SpecError
from hiermodels.families import get_family
from hiermodels.families.row_terms import row_draws
from hiermodels.inference.distributional import distributional_draws
from hiermodels.kernels.ar1 import ar1_residual_draws
from hiermodels.linear_predictor import linear_predictor
from hiermodels.new_levels import (
    NewGroups,
    as_new_groups,
    linear_predictor_with_new_levels,
)
from hiermodels.options import PROB, check_choice, check_prob, interval_columns

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = [
    "as_new_groups",
    "posterior_predictive",
    "predict",
    "replicated_draws",
    "summarize_predictions",
]

Kind = Literal["mean", "link", "response"]
KINDS: tuple[str, ...] = ("mean", "link", "response")
NEW_GROUPS: tuple[str, ...] = ("sample", "population")
ROW_DIM = "row"
#: The dimension of the response categories, for families whose expected value is a
#: probability per category (``Family.expected_value`` returns a trailing axis).
CATEGORY_DIM = "category"


def _rng(random_seed) -> np.random.Generator:
    from hiermodels.sampling import resolve_seed

    return np.random.default_rng(resolve_seed(random_seed))


def draw_response(
    family: str,
    mean: np.ndarray,
    aux: Mapping[str, np.ndarray],
    *,
    trials: np.ndarray | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """One draw from the likelihood per element of ``mean`` (chain, draw, rows).

    ``mean`` is the inverse link of the linear predictor (the probability for bernoulli
    and binomial, the count component's mean for zero-inflated and hurdle families, the
    mean of ``log y`` for the lognormal); ``aux`` holds the family's parameters with
    shape (chain, draw) or (chain, draw, rows). Counts are int64. The family draws
    (:meth:`hiermodels.families.Family.draw_response`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = draw_response("poisson", np.full((1, 2000, 1), 3.0), {}, trials=None, rng=rng)
    >>> bool(abs(y.mean() - 3.0) < 0.2), y.dtype
    (True, dtype('int64'))
    """
    return get_family(family).draw_response(mean, aux, trials=trials, rng=rng)


def _row_coord(index: pd.Index) -> np.ndarray:
    """The ``row`` coordinate: the data's index labels (positions for a MultiIndex)."""
    return np.arange(len(index)) if isinstance(index, pd.MultiIndex) else np.asarray(index)


def _only_variable(ds: xr.Dataset, where: str) -> xr.DataArray:
    names = list(ds.data_vars)
    if len(names) != 1:
        raise DataError(f"The {where} group must hold one variable, it holds {names}.")
    return ds[names[0]]


def summarize_predictions(pred, *, prob: float = PROB) -> pd.DataFrame:
    """Posterior mean, sd and equal-tailed interval of each predicted row.

    Parameters
    ----------
    pred
        The DataTree returned by :meth:`hiermodels.Fit.predict` (its ``predictions``
        group; a tree with only ``posterior_predictive`` also works), or a DataArray with
        dims ``(chain, draw, row)``.
    prob
        Probability mass of the interval (default 0.89).

    Returns
    -------
    pandas.DataFrame
        One row per input row (indexed like the data), with columns ``mean``, ``sd``
        and the interval bounds, e.g. ``eti89_lb`` and ``eti89_ub``. Category
        probabilities (``kind="mean"`` of an ordinal family) give one row per input row
        and category (a ``(row, category)`` MultiIndex).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.arange(200.0).reshape(1, 100, 2), dims=("chain", "draw", "row"))
    >>> table = summarize_predictions(da)
    >>> table["mean"].tolist(), table["eti89_lb"].round(2).tolist()
    ([99.0, 100.0], [10.89, 11.89])
    """
    import arviz_stats as azs

    if isinstance(pred, xr.DataTree):
        group = next(
            (g for g in ("predictions", "posterior_predictive") if g in pred.children), None
        )
        if group is None:
            raise DataError(
                "pred has no 'predictions' (or 'posterior_predictive') group; pass the "
                f"result of fit.predict(). Its groups are {list(pred.children)}."
            )
        da = _only_variable(pred[group].to_dataset(), group)
    elif isinstance(pred, xr.Dataset):
        da = _only_variable(pred, "predictions")
    elif isinstance(pred, xr.DataArray):
        da = pred
    else:
        raise DataError(
            f"pred must be the DataTree returned by fit.predict(), got {type(pred).__name__}."
        )
    prob = check_prob(prob)
    others = [d for d in da.dims if d not in naming.CHAIN_DRAW]
    if not 1 <= len(others) <= 2 or any(d not in da.dims for d in naming.CHAIN_DRAW):
        raise DataError(
            f"Predictions need dims (chain, draw, row), or (chain, draw, row, category) "
            f"for category probabilities; got {da.dims}."
        )
    row = ROW_DIM if ROW_DIM in others else others[0]
    extra = [d for d in others if d != row]
    da = da.transpose(*naming.CHAIN_DRAW, row, *extra)
    try:
        numbers = np.asarray(da.values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"Cannot summarise predictions of dtype {da.dtype} (category labels); "
            "summarise kind='mean' (the category probabilities) instead."
        ) from None
    positional = xr.DataArray(numbers, dims=da.dims)
    eti = azs.eti(positional, prob=prob, dim=list(naming.CHAIN_DRAW)).transpose(*others, ...)
    lower, upper = interval_columns(prob)
    index = pd.Index(da[row].values, name=row) if row in da.coords else pd.RangeIndex(da.sizes[row])
    index.name = row
    if extra:
        (dim,) = extra
        labels = da[dim].values if dim in da.coords else np.arange(da.sizes[dim])
        index = pd.MultiIndex.from_product([index, labels], names=[row, dim])
    return pd.DataFrame(
        {
            "mean": positional.mean(naming.CHAIN_DRAW).values.ravel(),
            "sd": positional.std(naming.CHAIN_DRAW, ddof=1).values.ravel(),
            lower: eti.values[..., 0].ravel(),
            upper: eti.values[..., 1].ravel(),
        },
        index=index,
    )


def _aux(fit: FitLike, posterior: xr.Dataset) -> dict[str, np.ndarray]:
    aux = constant_parameter_draws(get_family(fit.spec.family), fit.design, posterior)
    return aux | ({"ar": posterior["ar"].values} if fit.design.autocor is not None else {})


def predict(
    fit: FitLike,
    data: pd.DataFrame | None = None,
    *,
    kind: Kind = "mean",
    new_groups: NewGroups = "sample",
    random_seed: int | None = None,
    all_new: bool = False,
) -> xr.DataTree:
    """Posterior predictions for new (or the fitted) rows.

    Parameters
    ----------
    data
        New rows holding every predictor and grouping column of the model; ``None``
        (default) predicts the fitted rows. The DataFrame is not modified.
    kind
        ``"mean"`` (default): the expected value on the response scale (the
        probability for bernoulli and binomial, the rate including the offset for
        poisson and negative binomial; for an ordinal family the probability of each
        category, on an extra dimension ``category`` labelled with the categories).
        ``"response"``: one draw from the likelihood per posterior draw (binomial
        needs the trials column in ``data``; an ordinal family draws category labels).
        ``"link"``: the linear predictor (the log-odds, the log rate).
    new_groups
        How levels not seen in fitting, and missing group values, are predicted:
        ``"sample"`` (default) draws their effects from the fitted population
        distribution, per posterior draw; rows with the same new level share the
        draw. ``"population"`` sets their effects to 0 (the population mean).
    random_seed
        Seed for the random draws; the same seed gives identical numbers.
    all_new
        ``True`` predicts every group label of ``data`` as a new level (see
        :func:`as_new_groups`), as ``new_groups`` says: what a new subject would do.

    Returns
    -------
    xarray.DataTree
        With a ``predictions`` group holding one variable, named as the response,
        with dims ``(chain, draw, row)`` (``(chain, draw, row, category)`` for the
        category probabilities of an ordinal family); ``row`` holds the index of
        ``data``.

    Raises
    ------
    SpecError
        For an unknown ``kind`` or ``new_groups``.
    DataError
        For a missing column, a missing predictor value, or an unseen level of a
        categorical fixed predictor.

    Examples
    --------
    >>> new = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "new subject"]})
    >>> pred = fit.predict(new, kind="response", random_seed=1)
    >>> pred["predictions"]["Reaction"].dims
    ('chain', 'draw', 'row')
    """
    check_choice("kind", kind, KINDS)
    check_choice("new_groups", new_groups, NEW_GROUPS)
    rng = _rng(random_seed)
    family = get_family(fit.spec.family)
    posterior = fit.idata["posterior"].to_dataset()
    if data is None and not all_new:
        require_rows(fit.design, "Predictions for the fitted rows (predict() without data)")
        design, new_levels, index = fit.design, {}, fit.design.row_index
        rows = design.row_terms
    else:
        data = fit.model.data if data is None else data
        rebuilt = prediction_design(
            fit.design,
            fit.spec,
            data,
            trials=kind == "response" and family.needs_trials,
        )
        if all_new:
            rebuilt = as_new_groups(rebuilt)
        design, new_levels, index = rebuilt.design, rebuilt.new_levels, data.index
        rows = known_sd_terms(data, fit.spec.response) if kind == "response" else None
    eta = linear_predictor_with_new_levels(
        posterior, design, new_levels, new_groups=new_groups, rng=rng
    )
    aux = _aux(fit, posterior)
    # parameters with formulas of their own (sigma="~ x"): per row, (chain, draw, rows)
    aux.update(
        row_parameter_draws(fit, posterior, data, new_groups=new_groups, rng=rng, all_new=all_new)
    )
    dims = (*naming.CHAIN_DRAW, ROW_DIM)
    if kind == "link":
        values = eta
    elif kind == "mean":
        values = family.expected_value(fit.spec.link, eta=eta, aux=aux, trials=design.trials)
    else:
        location = family.draw_location(fit.spec.link, eta=eta, aux=aux, trials=design.trials)
        values = row_draws(family, location, aux, trials=design.trials, rng=rng, rows=rows)
        if design.autocor is not None:  # the fitted rows (new data: rows drawn one by one)
            s = design.autocor
            values = location + ar1_residual_draws(aux["ar"], aux["sigma"], s.previous, s.gap, rng)
    coords = {
        "chain": posterior["chain"].values,
        "draw": posterior["draw"].values,
        ROW_DIM: _row_coord(index),
    }
    categories = fit.design.categories
    if kind == "response":
        if categories is not None:
            # category codes 0..K-1 -> the response's own labels
            values = np.asarray(categories)[values]
    elif values.ndim == eta.ndim + 1:
        # a vector per row (category probabilities): the family names the extra axis
        name = family.category_dim or CATEGORY_DIM
        dims = (*dims, name)
        labels = categories if categories is not None else range(values.shape[-1])
        coords[name] = list(labels)
    da = xr.DataArray(values, dims=dims, coords=coords)
    ds = xr.Dataset({fit.design.response_name: da})
    ds.attrs.update({"kind": kind, "new_groups": new_groups})
    return xr.DataTree.from_dict({"predictions": ds})


def posterior_predictive(
    fit: FitLike, *, random_seed: int | None = None, store: bool = False
) -> xr.DataTree:
    """Replicated data sets for the fitted rows: the fit's DataTree plus a
    ``posterior_predictive`` group.

    One data set per posterior draw, from the likelihood given that draw (group
    effects of the fitted levels included). The fit is left as it was unless
    ``store=True`` (PyMC's ``extend_inferencedata``): then ``fit.idata`` becomes the
    returned tree, so :meth:`hiermodels.Fit.save` writes the draws and the PPC plots
    use them. The plots otherwise draw their own and never change ``fit.idata``.

    Parameters
    ----------
    random_seed
        Seed; the same seed gives identical draws.
    store
        Keep the draws on the fit (``fit.idata`` is replaced by the returned tree; the
        tree it held before is not modified). Default ``False``: nothing changes.

    Returns
    -------
    xarray.DataTree
        A new tree: the fit's groups and a ``posterior_predictive`` group holding one
        variable named as the response, dims ``(chain, draw, obs)``.

    Examples
    --------
    >>> tree = fit.posterior_predictive(random_seed=1)
    >>> tree["posterior_predictive"]["Reaction"].shape
    (2, 500, 180)
    >>> "posterior_predictive" in fit.idata.children
    False
    >>> stored = fit.posterior_predictive(random_seed=1, store=True)
    >>> fit.idata is stored
    True
    """
    if not isinstance(store, bool):
        raise SpecError(f"store must be True or False, got {store!r}.")
    da = replicated_draws(fit, random_seed)
    tree = fit.idata.copy()
    tree["posterior_predictive"] = xr.DataTree(xr.Dataset({da.name: da}))
    if store:
        fit.idata = tree
    return tree


def replicated_draws(fit: FitLike, random_seed) -> xr.DataArray:
    """Replicated data for the fitted rows, dims ``(chain, draw, obs)``; not stored."""
    rng = _rng(random_seed)
    design = fit.design
    require_rows(design, "Replicated data of the fitted rows (posterior predictive checks)")
    posterior = fit.idata["posterior"].to_dataset()
    family = get_family(fit.spec.family)
    aux = _aux(fit, posterior)
    aux.update(distributional_draws(posterior, design))
    eta = linear_predictor(posterior, design)
    location = family.draw_location(fit.spec.link, eta=eta, aux=aux, trials=design.trials)
    draws = row_draws(family, location, aux, trials=design.trials, rng=rng, rows=design.row_terms)
    if design.autocor is not None:  # ar(): each series drawn jointly, not given its y
        s = design.autocor
        draws = location + ar1_residual_draws(aux["ar"], aux["sigma"], s.previous, s.gap, rng)
    return xr.DataArray(
        draws,
        dims=(*naming.CHAIN_DRAW, naming.OBS_DIM),
        coords={
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values,
            naming.OBS_DIM: np.arange(design.n_obs),
        },
        name=design.response_name,
    )
