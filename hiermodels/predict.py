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
``new_groups="population"`` its effect is 0, the population mean.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> fit = hm.Model("Reaction ~ Days + (Days | Subject)", sleep).fit(
...     draws=200, tune=200, chains=2, random_seed=1, progressbar=False)  # doctest: +SKIP
>>> new = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "new"]})
>>> pred = fit.predict(new, random_seed=1)  # doctest: +SKIP
>>> hm.summarize_predictions(pred).columns.tolist()  # doctest: +SKIP
['mean', 'sd', 'eti89_lb', 'eti89_ub']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.design import Design, GroupDesign, prediction_design
from hiermodels.errors import DataError, SpecError
from hiermodels.families import get_family
from hiermodels.kernels.covariance import correlation_root
from hiermodels.linear_predictor import inverse_link, linear_predictor
from hiermodels.options import PROB

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["posterior_predictive", "predict", "replicated_draws", "summarize_predictions"]

Kind = Literal["mean", "response"]
NewGroups = Literal["sample", "population"]
KINDS: tuple[str, ...] = ("mean", "response")
NEW_GROUPS: tuple[str, ...] = ("sample", "population")
ROW_DIM = "row"


def _choice(what: str, value: object, valid: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in valid:
        raise SpecError(f"Unknown {what} {value!r}; valid choices are {list(valid)}.")


def _rng(random_seed) -> np.random.Generator:
    from hiermodels.sampling import resolve_seed

    return np.random.default_rng(resolve_seed(random_seed))


def new_level_effects(
    posterior: xr.Dataset,
    g: GroupDesign,
    n_new: int,
    *,
    new_groups: NewGroups,
    rng: np.random.Generator,
) -> np.ndarray:
    """Effects of ``n_new`` new levels of ``g``, shape (chain, draw, n_new, terms).

    ``"sample"``: per draw, ``sd * (L @ z)`` with ``z`` standard normal and ``L L' = cor``
    (identity when the terms are uncorrelated), i.e. ``N(0, diag(sd) cor diag(sd))``.
    ``"population"``: zeros.
    """
    sd = posterior[naming.sd_name(g.name)].values
    n_chain, n_draw, n_terms = sd.shape
    if new_groups == "population" or n_new == 0:
        return np.zeros((n_chain, n_draw, n_new, n_terms))
    z = rng.standard_normal((n_chain, n_draw, n_new, n_terms))
    if g.correlated:
        root = correlation_root(posterior[naming.cor_name(g.name)].values)
        z = z @ np.swapaxes(root, -1, -2)
    return z * sd[:, :, None, :]


def _eta(
    posterior: xr.Dataset,
    design: Design,
    new_levels: Mapping[str, tuple[str, ...]],
    *,
    new_groups: NewGroups,
    rng: np.random.Generator,
) -> np.ndarray:
    """Linear predictor of ``design``, whose codes may point past the fitted levels."""
    if not any(new_levels.values()):
        return linear_predictor(posterior, design)
    draws = xr.Dataset(
        {k: posterior[k] for k in (naming.INTERCEPT, naming.SLOPES) if k in posterior}
    )
    for i, g in enumerate(design.groups):
        name = naming.effects_name(g.name)
        seen = posterior[name].values
        new = new_level_effects(
            posterior, g, len(new_levels.get(g.name, ())), new_groups=new_groups, rng=rng
        )
        draws[name] = xr.DataArray(
            np.concatenate([seen, new], axis=2),
            dims=(*naming.CHAIN_DRAW, f"__level_{i}", f"__term_{i}"),
        )
    return linear_predictor(draws, design)


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
    shape (chain, draw). Counts are int64.
    The family draws (:meth:`hiermodels.families.Family.draw_response`); an unknown
    family is a :class:`SpecError` listing the valid ones.

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
    if isinstance(index, pd.MultiIndex):
        return np.arange(len(index))
    return np.asarray(index)


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
        and the interval bounds, e.g. ``eti89_lb`` and ``eti89_ub``.

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
    if isinstance(prob, bool) or not isinstance(prob, float | int) or not 0 < prob < 1:
        raise SpecError(f"prob must be a number between 0 and 1, got {prob!r}.")
    rows = [d for d in da.dims if d not in naming.CHAIN_DRAW]
    if len(rows) != 1 or any(d not in da.dims for d in naming.CHAIN_DRAW):
        raise DataError(f"Predictions need dims (chain, draw, row); got {da.dims}.")
    row = rows[0]
    da = da.transpose(*naming.CHAIN_DRAW, row)
    positional = xr.DataArray(np.asarray(da.values, dtype=float), dims=da.dims)
    eti = azs.eti(positional, prob=prob, dim=list(naming.CHAIN_DRAW)).transpose(row, ...)
    label = round(prob * 100)
    index = pd.Index(da[row].values, name=row) if row in da.coords else pd.RangeIndex(da.sizes[row])
    index.name = row
    return pd.DataFrame(
        {
            "mean": positional.mean(naming.CHAIN_DRAW).values,
            "sd": positional.std(naming.CHAIN_DRAW, ddof=1).values,
            f"eti{label}_lb": eti.values[:, 0],
            f"eti{label}_ub": eti.values[:, 1],
        },
        index=index,
    )


def _aux(fit: FitLike, posterior: xr.Dataset) -> dict[str, np.ndarray]:
    return get_family(fit.spec.family).parameter_draws(posterior)


def predict(
    fit: FitLike,
    data: pd.DataFrame | None = None,
    *,
    kind: Kind = "mean",
    new_groups: NewGroups = "sample",
    random_seed: int | None = None,
) -> xr.DataTree:
    """Predictions of ``fit`` for ``data``; see :meth:`hiermodels.Fit.predict`."""
    _choice("kind", kind, KINDS)
    _choice("new_groups", new_groups, NEW_GROUPS)
    rng = _rng(random_seed)
    family = get_family(fit.spec.family)
    posterior = fit.idata["posterior"].to_dataset()
    if data is None:
        design, new_levels, index = fit.design, {}, fit.design.row_index
    else:
        rebuilt = prediction_design(
            fit.design,
            fit.spec,
            data,
            trials=kind == "response" and family.needs_trials,
        )
        design, new_levels, index = rebuilt.design, rebuilt.new_levels, data.index
    eta = _eta(posterior, design, new_levels, new_groups=new_groups, rng=rng)
    aux = _aux(fit, posterior)
    if kind == "response":
        # The family draws around the inverse link (for zero-inflated and hurdle
        # families the count component's mean, for the lognormal the mean of log y).
        values = draw_response(
            family.name, inverse_link(fit.spec.link, eta), aux, trials=design.trials, rng=rng
        )
    else:
        values = family.expected_value(fit.spec.link, eta=eta, aux=aux, trials=design.trials)
    da = xr.DataArray(
        values,
        dims=(*naming.CHAIN_DRAW, ROW_DIM),
        coords={
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values,
            ROW_DIM: _row_coord(index),
        },
    )
    ds = xr.Dataset({fit.design.response_name: da})
    ds.attrs.update({"kind": kind, "new_groups": new_groups})
    return xr.DataTree.from_dict({"predictions": ds})


def posterior_predictive(fit: FitLike, *, random_seed: int | None = None) -> xr.DataTree:
    """Replicated data sets stored on ``fit``; see :meth:`hiermodels.Fit.posterior_predictive`."""
    da = replicated_draws(fit, random_seed)
    tree = fit.idata.copy()
    tree["posterior_predictive"] = xr.DataTree(xr.Dataset({da.name: da}))
    fit.idata = tree
    return tree


def replicated_draws(fit: FitLike, random_seed) -> xr.DataArray:
    """Replicated data for the fitted rows, dims ``(chain, draw, obs)``; not stored."""
    rng = _rng(random_seed)
    design = fit.design
    posterior = fit.idata["posterior"].to_dataset()
    mean = inverse_link(fit.spec.link, linear_predictor(posterior, design))
    draws = draw_response(
        fit.spec.family, mean, _aux(fit, posterior), trials=design.trials, rng=rng
    )
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
