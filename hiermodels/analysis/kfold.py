"""Exact k-fold cross-validation: refit on the rows outside each fold, score the rest.

:func:`kfold` builds each fold's model on its training rows through
``Model.from_recipe`` (the fit's model class, reached through the fit, so this module
imports neither ``Model`` nor ``Fit``) and hands the held-out log densities to
``arviz_stats.loo_kfold``. With nutpie (the default) the folds do not compile a model
each: one model of all rows, compiled once per process, is refitted with 0/1 weights
that select each fold's training rows (:class:`hiermodels.inference.refit.RowRefits`);
the draws are those of the fold's model up to sampler randomness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.analysis.heldout import heldout_log_likelihood, refuse_autocor
from hiermodels.analysis.loo import SOURCE_ATTR, source_of
from hiermodels.errors import DataError, PriorError, SpecError
from hiermodels.inference.refit import REFIT_OPTIONS, RowRefits
from hiermodels.parallel import process_cache, run_tasks
from hiermodels.references import ByName
from hiermodels.spec.recipe import ModelRecipe

if TYPE_CHECKING:  # pragma: no cover
    from arviz_stats import ELPDData

    from hiermodels.protocols import FitLike, ModelLike

__all__ = ["kfold", "kfold_folds"]


def kfold_folds(k: int, n: int, *, group_by=None, seed: int | None = None) -> np.ndarray:
    """The fold (1 to ``k``) of each of ``n`` rows, split as ``arviz_stats.loo_kfold`` does.

    Rows are shuffled into ``k`` folds of near-equal size. With ``group_by`` (a label
    per row) the levels are shuffled into folds instead, so that all rows of a level
    share a fold; with exactly ``k`` levels, level ``i`` (in sorted order) is fold ``i``.

    Examples
    --------
    >>> kfold_folds(3, 6, group_by=np.array([0, 0, 1, 1, 2, 2]), seed=1).tolist()
    [1, 1, 2, 2, 3, 3]
    >>> np.bincount(kfold_folds(3, 10, seed=1)).tolist()
    [0, 4, 3, 3]
    """
    rng = np.random.default_rng(seed)

    def shuffled(k: int, n: int) -> np.ndarray:
        folds = np.repeat(np.arange(1, k + 1), [n // k + (i < n % k) for i in range(k)])
        return folds[rng.permutation(n)]

    if group_by is None:
        return shuffled(k, n)
    levels, level_of_row = np.unique(np.asarray(group_by), return_inverse=True)
    if len(levels) == k:
        return level_of_row + 1
    return shuffled(k, len(levels))[level_of_row]


@dataclass(frozen=True, eq=False)
class _KFoldSetup:
    """What every fold's refit shares (picklable: no PyMC objects)."""

    recipe: ModelRecipe
    #: ``Model.from_recipe`` of the fitted model's class, by name: imported in the task,
    #: after a worker process is set up (see :mod:`hiermodels.references`).
    build: ByName
    fit_options: Mapping[str, object]
    y: np.ndarray
    trials: np.ndarray | None
    n_new_draws: int


@dataclass(frozen=True, eq=False)
class _Fold:
    number: int
    test: np.ndarray
    seed: int


@dataclass(frozen=True, eq=False)
class _TrainingFit:
    """What :func:`heldout_log_likelihood` reads of a fit: a refit's posterior with the
    model built on the training rows (its design, levels and priors)."""

    model: ModelLike
    posterior: xr.Dataset

    @property
    def design(self):
        return self.model.design

    @property
    def spec(self):
        return self.model.spec


def _reuses_compiled(options: Mapping[str, object]) -> bool:
    """Whether the refits can share one compiled model (:class:`RowRefits`): NUTS with
    nutpie, and only options that it takes."""
    return (
        _REUSE_COMPILED
        and options.get("sampler", "nutpie") == "nutpie"
        and options.get("method", "auto") in ("auto", "marginal", "full")
        and set(options) <= REFIT_OPTIONS
    )


#: Refit the folds through one compiled model where :func:`_reuses_compiled` allows
#: (``False``: build and compile a model per fold, the older way; tests compare both).
_REUSE_COMPILED = True


def _row_refits(setup: _KFoldSetup) -> RowRefits:
    """This process's compiled model of all rows, for every fold of ``setup``."""
    method = str(setup.fit_options.get("method", "auto"))
    return process_cache(
        ("kfold", setup.recipe.key, method),
        lambda: RowRefits(setup.build(setup.recipe), method),
    )


def _heldout_fold(setup: _KFoldSetup, fold: _Fold) -> np.ndarray:
    """Refit on the rows outside ``fold``; log density of its rows: (chain, draw, rows)."""
    data = setup.recipe.data
    keep = np.ones(len(data), dtype=bool)
    keep[fold.test] = False
    try:
        model = setup.build(setup.recipe, data.iloc[keep])
    except PriorError as err:
        raise DataError(
            f"Fold {fold.number}'s training rows cannot fit the model (a categorical "
            f"predictor lost a level, or an ordinal response a category?): {err}. Use "
            "fewer folds or by=None."
        ) from None
    if _reuses_compiled(setup.fit_options):
        posterior = _row_refits(setup).posterior(
            keep, model.design, random_seed=fold.seed, **setup.fit_options
        )
        fit = _TrainingFit(model=model, posterior=posterior)
    else:
        fit = model.fit(random_seed=fold.seed, **setup.fit_options)
    return heldout_log_likelihood(
        fit,
        data.iloc[fold.test],
        y=setup.y[fold.test],
        trials=None if setup.trials is None else setup.trials[fold.test],
        random_seed=fold.seed,
        n_new_draws=setup.n_new_draws,
    )


def _precomputed_folds(fit, heldout: Mapping[tuple[int, ...], np.ndarray]):
    """An ``arviz_stats`` SamplingWrapper that hands ``loo_kfold`` refits already made."""
    from arviz_stats.loo import SamplingWrapper

    class _Precomputed(SamplingWrapper):
        def sel_observations(self, idx):
            return None, np.asarray(idx, dtype=int)

        def sample(self, modified_observed_data):
            return None

        def get_inference_data(self, fitted_model):
            return None

        def log_likelihood__i(self, excluded_obs, idata__i):
            idx = excluded_obs
            return xr.DataArray(
                heldout[tuple(int(i) for i in idx)],
                dims=(*naming.CHAIN_DRAW, naming.OBS_DIM),
                coords={naming.OBS_DIM: idx},
            )

    return _Precomputed(model=fit.model, idata_orig=fit.idata)


def kfold(
    fit: FitLike,
    k: int = 10,
    *,
    by: Literal["group"] | None = "group",
    random_seed: int | None = None,
    n_new_draws: int = 100,
    executor: object = None,
    **fit_kwargs,
) -> ELPDData:
    """Exact k-fold cross-validation: refit the model ``k`` times (``arviz_stats.loo_kfold``).

    Use it when PSIS-LOO is unreliable (Pareto k > 0.7), or to ask how well the model
    predicts *new groups*. Each refit uses the same priors as this fit (the resolved
    priors, so data-scaled defaults are not rescaled to the training rows) and the
    same parameterisation: it is ``fit.model``'s recipe on the rows outside the fold
    (``Model.from_recipe``).

    Held-out rows of levels seen in training use those levels' posterior effects.
    Held-out rows of unseen levels integrate the group effects over their population
    distribution ``N(0, Σ)``: exactly for the gaussian family, by Monte Carlo
    (``n_new_draws`` draws per posterior draw) otherwise (see
    :func:`hiermodels.analysis.heldout.heldout_log_likelihood`).

    Parameters
    ----------
    k
        Number of folds (each fold is one refit).
    by
        ``"group"`` (default): every level of the first grouping factor stays in one
        fold, so each fold predicts unseen levels (leave-group-out; a
        multiple-membership factor is split by each row's first member). ``None``:
        rows are split at random.
    random_seed
        Seeds the split of the folds, the refits and the Monte Carlo draws.
    n_new_draws
        Monte Carlo draws of new group effects per posterior draw (non-gaussian).
    executor
        Where the ``k`` refits run: ``None`` (here, one after the other), a
        :class:`concurrent.futures.Executor` or a ``distributed.Client`` (see
        :func:`hiermodels.parallel.run_tasks`). The result is the same.
    **fit_kwargs
        Options for :meth:`hiermodels.Model.fit` of each refit; by default the draws,
        tuning steps, chains, sampler and method of this fit, without a progress bar.

    Returns
    -------
    arviz_stats.ELPDData
        An ``ELPDDataLOOKFold`` with pointwise ``elpd_i``; :func:`hiermodels.compare`
        accepts it.

    Examples
    --------
    Three refits, each Subject held out once, each refit with 1000 draws per chain:

    >>> cv = fit.kfold(3, random_seed=1, draws=1000)
    >>> cv.elpd_i.shape
    (180,)

    ``hm.compare({"varying slope": cv, "varying intercept": cv2})`` ranks two models
    by such results.
    """
    if fit.design.distributional:  # refuse before the refits: the held-out density refuses
        raise SpecError(
            "kfold() is not available for models with distributional formulas yet; use fit.loo()."
        )
    import arviz_stats as azs

    refuse_autocor(fit.design)
    if by not in ("group", None):
        raise SpecError(f"by={by!r} is not valid; choose 'group' or None.")
    ok = isinstance(k, int | np.integer) and not isinstance(k, bool)
    if not ok or k < 2:
        raise SpecError(f"k must be an integer >= 2, got {k!r}.")
    if not isinstance(n_new_draws, int) or isinstance(n_new_draws, bool) or n_new_draws < 1:
        raise SpecError(f"n_new_draws must be a positive integer, got {n_new_draws!r}.")
    design = fit.design
    group_by = None
    if by == "group":
        if not design.groups:
            raise SpecError(
                "by='group' needs a grouping factor, and this model has none; use by=None."
            )
        g = design.groups[0]
        if k > g.n_levels:
            raise SpecError(
                f"k={k} folds exceed the {g.n_levels} levels of {g.name!r}; with "
                f"by='group' k can be at most {g.n_levels}."
            )
        group_by = g.codes[:, 0]
    elif k > design.n_obs:
        raise SpecError(f"k={k} folds exceed the {design.n_obs} rows of the data.")
    post = fit.idata["posterior"]
    options = {
        "draws": int(post.sizes["draw"]),
        "chains": int(post.sizes["chain"]),
        "tune": int(fit.idata.attrs.get("tune", 1000)),
        "progressbar": False,
        **fit_kwargs,
    }
    sampler = str(fit.idata.attrs.get("sampler", "nutpie"))
    if sampler != "gibbs" and "sampler" not in options:  # a Gibbs fit: method="gibbs" says it
        options["sampler"] = sampler
    if "method" in fit.idata.attrs and "method" not in options:
        options["method"] = str(fit.idata.attrs["method"])  # "full", "marginal", "gibbs"
    options.pop("random_seed", None)
    rng = np.random.default_rng(random_seed)
    seeds = [int(s) for s in rng.integers(2**31, size=k)]
    split_seed = int(rng.integers(2**31))
    folds = kfold_folds(int(k), design.n_obs, group_by=group_by, seed=split_seed)
    model = fit.model
    recipe = ModelRecipe(
        formula=fit.formula,
        data=model.data,
        family=fit.spec.family,
        link=fit.spec.link,
        priors=tuple(model.priors.items()),  # resolved: not rescaled to the training rows
        parameterization=tuple(sorted(model.parameterization.items())),
        data2=tuple(sorted(getattr(model, "data2", {}).items())),  # gr(g, cov=K)
    )
    setup = _KFoldSetup(
        recipe=recipe,
        build=ByName.of(type(model).from_recipe),
        fit_options=options,
        y=np.asarray(design.y),
        trials=design.trials,
        n_new_draws=n_new_draws,
    )
    tasks = [
        _Fold(number=f, test=np.flatnonzero(folds == f), seed=seeds[f - 1])
        for f in range(1, int(k) + 1)
    ]
    heldout = run_tasks(
        _heldout_fold, tasks, shared=setup, executor=executor, progress_label="k-fold refits"
    )
    result = azs.loo_kfold(
        fit.idata,
        _precomputed_folds(fit, {tuple(t.test.tolist()): ll for t, ll in zip(tasks, heldout)}),
        pointwise=True,
        var_name=design.response_name,
        folds=folds,
    )
    setattr(result, SOURCE_ATTR, source_of(fit))
    return result
