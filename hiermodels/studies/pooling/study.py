"""The pooling study: fit complete, no and partial pooling of one factor on the same rows.

:func:`fit_pooling` does the work behind :func:`hiermodels.compare_pooling`. It is
handed the two constructors it needs (``Model.from_recipe`` and ``Fit``), so that this
layer imports neither; the three fits may run in other processes (see
:func:`hiermodels.parallel.run_tasks`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import xarray as xr

from hiermodels.design.checks import handle_missing
from hiermodels.design.types import Missing
from hiermodels.errors import DataError, SpecError
from hiermodels.parallel import process_cache, run_tasks
from hiermodels.references import ByName
from hiermodels.spec.columns import column_names, one_name
from hiermodels.spec.recipe import ModelRecipe
from hiermodels.studies.pooling.comparison import PoolingComparison
from hiermodels.studies.pooling.formulas import as_factor, pooling_formulas, split_priors

__all__ = ["fit_pooling"]


@dataclass(frozen=True, eq=False)
class _PoolingSetup:
    """What the three fits of a pooling comparison share."""

    data: pd.DataFrame
    family: str
    fit_kwargs: Mapping[str, object]
    #: ``Model.from_recipe``, by name: imported in the task, after a worker process is
    #: set up (see :mod:`hiermodels.references`).
    build: ByName


@dataclass(frozen=True, eq=False)
class _PoolingModel:
    name: str
    formula: str
    priors: Mapping[str, object] | None


@dataclass(frozen=True, eq=False)
class _FittedDraws:
    """A fit as it travels between processes: the model's recipe and the draws."""

    recipe: ModelRecipe
    idata: xr.DataTree


def _fit_pooling_model(setup: _PoolingSetup, task: _PoolingModel) -> _FittedDraws:
    """One of the three fits; independent of the others, so they may run in parallel."""
    wanted = ModelRecipe(
        formula=task.formula,
        data=setup.data,
        family=setup.family,
        link=None,
        priors=tuple((task.priors or {}).items()),
        parameterization="auto",
    )
    model = setup.build(wanted)
    fit = model.fit(**setup.fit_kwargs)
    recipe = ModelRecipe.of(model)
    process_cache(("model", recipe.key), lambda: model)  # no rebuild if this process is the caller
    return _FittedDraws(recipe=recipe, idata=fit.idata)


def _as_fit(fitted: _FittedDraws, build: Callable, wrap: Callable):
    """The fit (``wrap(model=..., idata=...)``); its model rebuilt if made elsewhere."""
    model = process_cache(("model", fitted.recipe.key), lambda: build(fitted.recipe))
    return wrap(model=model, idata=fitted.idata)


def fit_pooling(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str],
    group: str,
    slopes: Sequence[str],
    family: str,
    priors: Mapping[str, object] | None,
    executor: object,
    fit_kwargs: Mapping[str, object],
    missing: Missing = "error",
    build: Callable[[ModelRecipe], object],
    wrap: Callable[..., object],
) -> PoolingComparison:
    """The pooling comparison; see :func:`hiermodels.compare_pooling` for the arguments.

    ``build`` makes a model from a recipe (``hm.Model.from_recipe``) and ``wrap`` a fit
    from a model and its draws (``hm.Fit``).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    response = one_name(response, "response")
    group = one_name(group, "group")
    predictors = column_names(predictors, "predictors")
    slopes = column_names(slopes, "slopes")
    for col in (response, group, *predictors, *slopes):
        if col not in data.columns:
            close = difflib.get_close_matches(col, list(map(str, data.columns)), n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise DataError(f"Unknown column {col!r}.{hint} Available: {list(data.columns)}.")
    if group in (response, *predictors, *slopes):
        raise SpecError(f"The group {group!r} cannot also be the response, a predictor or a slope.")
    used = list(dict.fromkeys((response, group, *predictors, *slopes)))
    frame, _ = handle_missing(data, used, missing)  # the same rows for all three models
    frame = frame.copy()
    frame[group] = as_factor(frame[group])
    formulas = pooling_formulas(response, predictors, group, slopes)
    model_priors = split_priors(formulas, frame, family, priors)
    setup = _PoolingSetup(
        data=frame, family=family, fit_kwargs=dict(fit_kwargs), build=ByName.of(build)
    )
    tasks = [
        _PoolingModel(name=name, formula=formula, priors=model_priors[name])
        for name, formula in formulas.as_dict().items()
    ]
    fitted = run_tasks(_fit_pooling_model, tasks, shared=setup, executor=executor)
    fits = {task.name: _as_fit(draws, build, wrap) for task, draws in zip(tasks, fitted)}
    return PoolingComparison(
        fits=fits,
        formulas=formulas,
        response=response,
        predictors=predictors,
        group=group,
        slopes=slopes,
    )
