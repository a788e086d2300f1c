"""Model comparison, as the package exports it: ``hm.compare`` and ``hm.compare_pooling``.

The work is done below: LOO and :func:`compare` in :mod:`hiermodels.analysis.loo`,
held-out rows and k-fold cross-validation in :mod:`hiermodels.analysis.heldout` and
:mod:`hiermodels.analysis.kfold`, the pooling study in :mod:`hiermodels.studies.pooling`.
This module hands the study the model and fit constructors.

- :func:`compare` ranks models fitted on the same rows (``arviz_stats.compare``), and
  refuses models fitted on different data.
- :func:`compare_pooling` fits complete, no and partial pooling of one grouping factor
  and returns a :class:`PoolingComparison` with the LOO table, the per-level estimates
  and the classic shrinkage figures.

The pointwise log-likelihood in ``fit.idata`` is conditional on the group effects, so
``fit.loo()`` estimates how well the model predicts new rows of the *same* groups. To
ask how well it predicts new groups, use ``fit.kfold(by="group")``, which also replaces
PSIS-LOO when its Pareto k diagnostics are high (k > 0.7).

Examples
--------
>>> import hiermodels as hm
>>> radon = hm.datasets.load("radon")
>>> pooling = hm.compare_pooling(radon, response="log_radon", predictors=["floor"],
...                              group="county", random_seed=1)  # doctest: +SKIP
>>> pooling.loo_table().index.tolist()  # doctest: +SKIP
['partial', 'complete', 'none']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from hiermodels.analysis.heldout import heldout_log_likelihood
from hiermodels.analysis.kfold import kfold_folds
from hiermodels.analysis.loo import CompareMethod, compare
from hiermodels.design.types import Missing
from hiermodels.errors import ParetoKWarning
from hiermodels.model import Model
from hiermodels.results import Fit
from hiermodels.studies.pooling import (
    POOLING,
    PoolingComparison,
    PoolingFormulas,
    PoolingSummary,
    fit_pooling,
    pooling_formulas,
    precision_weighted,
)

__all__ = [
    "POOLING",
    "CompareMethod",
    "ParetoKWarning",
    "PoolingComparison",
    "PoolingFormulas",
    "PoolingSummary",
    "compare",
    "compare_pooling",
    "heldout_log_likelihood",
    "kfold_folds",
    "pooling_formulas",
    "precision_weighted",
]


def compare_pooling(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str] = (),
    group: str,
    slopes: Sequence[str] = (),
    family: str = "gaussian",
    priors: Mapping[str, object] | None = None,
    executor: object = None,
    missing: Missing = "error",
    **fit_kwargs,
) -> PoolingComparison:
    """Fit complete, no and partial pooling of ``group`` on the same rows, and compare them.

    - ``"complete"``: the group is ignored, ``response ~ predictors (+ slopes)``.
    - ``"none"``: every level has its own intercept (and its own ``slopes``) as fixed
      parameters with independent default priors and no shared hyperprior:
      ``response ~ 0 + group + group:slope + predictors``.
    - ``"partial"``: the multilevel model ``response ~ predictors + (1 + slopes | group)``.

    The three models are fitted with the same ``fit_kwargs``: one after the other, or
    at the same time in the workers of ``executor``.

    Parameters
    ----------
    data
        The data (not modified; the grouping column is read as a categorical).
    response, predictors, group, slopes
        Column names. ``slopes`` vary by group in the partial model and are separate
        per level in the no-pooling model.
    family
        The response family (see :class:`hiermodels.Model`).
    priors
        Priors by key; each model takes the keys it has (e.g. ``"sd"`` only the
        partial model). A key that no model has is an error.
    missing
        Rows with a missing value in the response, the group, a predictor or a slope:
        ``"error"`` (the default) stops with a :class:`~hiermodels.errors.DataError`
        that counts them per column; ``"drop"`` fits all three models on the complete
        rows and warns (:class:`~hiermodels.errors.MissingDataWarning`) how many went.
    executor
        Where the three fits run: ``None`` (here, one after the other), a
        :class:`concurrent.futures.Executor` or a ``distributed.Client`` (see
        :func:`hiermodels.parallel.run_tasks`). The same seed gives the same fits.
    **fit_kwargs
        Passed to :meth:`hiermodels.Model.fit` (draws, chains, random_seed, ...).

    Returns
    -------
    PoolingComparison

    Examples
    --------
    >>> import hiermodels as hm
    >>> radon = hm.datasets.load("radon")
    >>> pooling = hm.compare_pooling(radon, response="log_radon", predictors=["floor"],
    ...                              group="county", random_seed=1)  # doctest: +SKIP
    >>> print(pooling.summary())  # doctest: +SKIP
    """
    return fit_pooling(
        data,
        response=response,
        predictors=predictors,
        group=group,
        slopes=slopes,
        family=family,
        priors=priors,
        executor=executor,
        fit_kwargs=fit_kwargs,
        missing=missing,
        build=Model.from_recipe,
        wrap=Fit,
    )
