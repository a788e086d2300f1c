"""Model comparison: PSIS-LOO, k-fold cross-validation and the pooling comparison.

- :func:`compare` ranks models fitted on the same rows (``arviz_stats.compare``), and
  refuses models fitted on different data.
- :func:`compare_pooling` fits complete, no and partial pooling of one grouping factor
  and returns a :class:`PoolingComparison` with the LOO table, the per-level estimates
  and the classic shrinkage figures.
- :class:`ComparisonMethods` adds ``loo``, ``kfold``, ``icc``, ``r2`` and
  ``plot_group_effects`` to :class:`hiermodels.Fit`.

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

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels.backend import naming
from hiermodels.errors import DataError, ParetoKWarning, PriorError, SpecError
from hiermodels.families import get_family
from hiermodels.parallel import process_cache, run_tasks
from hiermodels.recipe import ModelRecipe

if TYPE_CHECKING:  # pragma: no cover
    from arviz_stats import ELPDData
    from matplotlib.figure import Figure

__all__ = [
    "ComparisonMethods",
    "ParetoKWarning",
    "PoolingComparison",
    "PoolingSummary",
    "compare",
    "compare_pooling",
    "heldout_log_likelihood",
    "kfold_folds",
]

PROB = 0.89
POOLING = ("complete", "none", "partial")
CompareMethod = Literal["stacking", "bb-pseudo-bma", "pseudo-bma"]
_METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")
_SOURCE = "_hiermodels_source"


# ---------------------------------------------------------------------------- data identity
@dataclass(frozen=True, eq=False)
class _Source:
    """What a model was fitted on: the observed response and the row labels."""

    y: np.ndarray
    rows: pd.Index


def _source_of(fit) -> _Source:
    return _Source(y=np.asarray(fit.design.y, dtype=float), rows=fit.design.row_index)


def _mismatch(a: _Source, b: _Source) -> str | None:
    """Why two sources differ, in words; ``None`` if they are the same rows and values."""
    if len(a.y) != len(b.y):
        return f"{len(a.y)} rows against {len(b.y)} rows"
    if not a.rows.equals(b.rows):
        differ = np.flatnonzero(np.asarray(a.rows != b.rows))
        first = differ[0] if differ.size else 0
        return (
            f"different row labels ({differ.size} differ; first at position {first}: "
            f"{a.rows[first]!r} against {b.rows[first]!r})"
        )
    same = (a.y == b.y) | (np.isnan(a.y) & np.isnan(b.y))
    if not same.all():
        first = int(np.flatnonzero(~same)[0])
        return (
            f"different observed responses in {int((~same).sum())} rows (first at row "
            f"{a.rows[first]!r}: {a.y[first]:.6g} against {b.y[first]:.6g})"
        )
    return None


# ---------------------------------------------------------------------------- LOO
def _loo(fit, *, warn: bool = True) -> ELPDData:
    """PSIS-LOO of a fit, pointwise; arviz's Pareto-k warning replaced by ours."""
    import arviz_stats as azs

    if "log_likelihood" not in fit.idata.children:
        raise SpecError(
            f"This fit of {fit.formula!r} has no pointwise log-likelihood (it is not stored "
            "when asked not to, or by default above 50 million rows x draws). Refit with "
            "fit(log_likelihood=True) to use LOO or hm.compare."
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        result = azs.loo(fit.idata, pointwise=True, var_name=fit.design.response_name)
    setattr(result, _SOURCE, _source_of(fit))
    if warn and result.warning:
        high = int((result.pareto_k.values > result.good_k).sum())
        warnings.warn(
            f"PSIS-LOO is unreliable for {high} of {result.n_data_points} rows of "
            f"{fit.formula!r} (Pareto k > {result.good_k:.2f}): those rows are very "
            "influential. Use fit.kfold() (exact cross-validation) for this model.",
            ParetoKWarning,
            stacklevel=3,
        )
    return result


def compare(
    models: Mapping[str, object],
    *,
    method: CompareMethod = "stacking",
    warn: bool = True,
) -> pd.DataFrame:
    """Rank models fitted on the same rows by their expected log predictive density.

    A thin layer over :func:`arviz_stats.compare`: each :class:`hiermodels.Fit` is
    scored by PSIS-LOO (``fit.loo()``); an ELPD object from ``fit.loo()`` or
    ``fit.kfold()`` is used as it is. Before comparing, the observed responses and row
    labels of every model are checked against each other.

    Parameters
    ----------
    models
        Model name to a fitted :class:`hiermodels.Fit` (or its ``loo()``/``kfold()``
        result). At least two.
    method
        Model weights: ``"stacking"`` (default), ``"bb-pseudo-bma"`` or
        ``"pseudo-bma"``.
    warn
        Warn (:class:`ParetoKWarning`) when PSIS-LOO is unreliable for a model. The
        ``diag_elpd`` column of the table says the same either way.

    Returns
    -------
    pandas.DataFrame
        The ``arviz_stats.compare`` table, best model first, unrounded: ``rank``,
        ``elpd_diff``, ``dse``, ``p_worse``, ``diag_diff``, ``diag_elpd`` (the count of
        Pareto k above the threshold, if any), ``p`` (effective number of parameters),
        ``elpd``, ``se`` and ``weight``.

    Raises
    ------
    DataError
        If two models were fitted on different rows or different responses; the message
        names both models.

    Examples
    --------
    >>> import hiermodels as hm
    >>> sleep = hm.datasets.load("sleepstudy")
    >>> fits = {f: hm.Model(f, sleep).fit(random_seed=1, progressbar=False)
    ...         for f in ["Reaction ~ Days + (1 | Subject)",
    ...                   "Reaction ~ Days + (Days | Subject)"]}  # doctest: +SKIP
    >>> hm.compare(fits).index[0]  # doctest: +SKIP
    'Reaction ~ Days + (Days | Subject)'
    """
    import arviz_stats as azs
    from arviz_stats import ELPDData

    from hiermodels.results import Fit

    if not isinstance(models, Mapping):
        raise SpecError(
            f"compare() takes a dict of name -> fitted model, got {type(models).__name__}."
        )
    if len(models) < 2:
        raise SpecError(f"compare() needs at least two models, got {len(models)}: {list(models)}.")
    if method not in _METHODS:
        raise SpecError(f"Unknown method {method!r}; valid methods are {list(_METHODS)}.")
    for name, value in models.items():
        if not isinstance(name, str):
            raise SpecError(f"Model names must be strings, got {name!r}.")
        if isinstance(value, ELPDData) and value.elpd_i is None:
            raise SpecError(
                f"The ELPD result for {name!r} has no pointwise values; compute it with "
                "fit.loo() or fit.kfold(), or arviz_stats with pointwise=True."
            )
        if not isinstance(value, Fit | ELPDData):
            raise SpecError(
                f"Model {name!r} is a {type(value).__name__}; compare() takes hm.Fit objects "
                "or the ELPD results of fit.loo() / fit.kfold()."
            )
    _check_same_data(models)
    elpds = {
        name: _loo(value, warn=warn) if isinstance(value, Fit) else value
        for name, value in models.items()
    }
    table = azs.compare(elpds, method=method, round_to="none")
    table.index.name = "model"
    return table


def _check_same_data(models: Mapping[str, object]) -> None:
    """Raise DataError naming two models whose rows or observed responses differ."""
    from arviz_stats import ELPDData

    sources, sizes = {}, {}
    for name, value in models.items():
        if isinstance(value, ELPDData):
            sizes[name] = int(value.n_data_points)
            if hasattr(value, _SOURCE):
                sources[name] = getattr(value, _SOURCE)
        else:
            sources[name] = _source_of(value)
            sizes[name] = len(sources[name].y)
    if len(set(sizes.values())) > 1:
        ref = next(iter(sizes))
        other = next(n for n, size in sizes.items() if size != sizes[ref])
        detail = ", ".join(f"{n!r}: {s}" for n, s in sizes.items())
        raise DataError(
            f"compare() needs models fitted on the same rows, but {ref!r} and {other!r} "
            f"differ: {sizes[ref]} rows against {sizes[other]} rows (rows per model: "
            f"{detail}). Fit every model on the same data."
        )
    if not sources:
        return
    ref = next(iter(sources))
    for name, source in sources.items():
        why = _mismatch(sources[ref], source)
        if why is not None:
            raise DataError(
                f"compare() needs models fitted on the same rows and response, but "
                f"{ref!r} and {name!r} differ: {why}. Fit every model on the same data."
            )


# ---------------------------------------------------------------------------- held-out rows
def _covariance_factor(posterior, g) -> np.ndarray:
    """Per draw, L with L L' = Σ_g (the covariance of the group effects): (chain, draw, q, q)."""
    sd = posterior[naming.sd_name(g.name)].values
    q = sd.shape[-1]
    if g.correlated:
        cor = posterior[naming.cor_name(g.name)].values
        cor = cor + 1e-12 * np.eye(q)
        chol = np.linalg.cholesky(cor)
    else:
        chol = np.broadcast_to(np.eye(q), (*sd.shape[:2], q, q))
    return sd[..., :, None] * chol


def _new_level_weight2(g, n_fitted: int) -> np.ndarray:
    """Per row: Σ over distinct new levels of (sum of the row's weights on that level)²."""
    codes, weights = g.codes, g.weights
    out = np.zeros(codes.shape[0])
    for k1 in range(codes.shape[1]):
        for k2 in range(codes.shape[1]):
            same = (codes[:, k1] == codes[:, k2]) & (codes[:, k1] >= n_fitted)
            out += np.where(same, weights[:, k1] * weights[:, k2], 0.0)
    return out


def heldout_log_likelihood(
    fit,
    data: pd.DataFrame,
    *,
    y: np.ndarray,
    trials: np.ndarray | None = None,
    random_seed: int | None = None,
    n_new_draws: int = 100,
    method: Literal["auto", "monte_carlo"] = "auto",
) -> np.ndarray:
    """Log density of rows the fit did not see, per posterior draw: (chain, draw, rows).

    Rows of levels seen in fitting use those levels' effects. For levels not seen in
    fitting the group effects are integrated over their population distribution
    ``N(0, Σ)``: exactly for the gaussian family (the new effects add ``z' Σ z`` to the
    variance of the row), and by Monte Carlo otherwise (``n_new_draws`` draws of the new
    effects per posterior draw, averaged on the density scale).

    Parameters
    ----------
    fit
        The fitted model (a :class:`hiermodels.Fit`).
    data
        The new rows, with every column the model uses.
    y, trials
        Their observed response and (binomial) number of trials.
    random_seed
        Seed for the Monte Carlo draws of new group effects.
    n_new_draws
        Monte Carlo draws per posterior draw (non-gaussian families, new levels only).
    method
        ``"auto"``: exact for the gaussian family, Monte Carlo otherwise;
        ``"monte_carlo"``: Monte Carlo for every family (to check the exact version).
    """
    from hiermodels.linear_predictor import fixed_coefficients, group_contribution
    from hiermodels.newdata import prediction_design
    from hiermodels.pointwise import log_likelihood

    if method not in ("auto", "monte_carlo"):
        raise SpecError(f"method={method!r} is not valid; choose 'auto' or 'monte_carlo'.")
    new = prediction_design(fit.design, fit.spec, data)
    design = new.design
    post = fit.posterior
    family, link = fit.spec.family, fit.spec.link
    y = np.asarray(y, dtype=float)
    beta = fixed_coefficients(post, design.fixed.names)
    base = beta @ design.fixed.matrix.T
    if design.offset is not None:
        base = base + design.offset
    unseen = []
    for g, g_fit in zip(design.groups, fit.design.groups):
        effects = post[naming.effects_name(g.name)].values
        n_new = len(new.new_levels[g.name])
        if n_new == 0:
            base = base + group_contribution(effects, g)
        else:
            unseen.append((g, effects, n_new, g_fit.n_levels))
    fam = get_family(family)
    aux = fam.parameter_draws(post)
    if not unseen:
        return log_likelihood(family, link, eta=base, y=y, trials=trials, aux=aux)
    if fam.collapsible and method == "auto":
        extra = np.zeros_like(base)
        for g, effects, n_new, n_fitted in unseen:
            pad = np.zeros((*effects.shape[:2], n_new, effects.shape[-1]))
            base = base + group_contribution(np.concatenate([effects, pad], axis=2), g)
            L = _covariance_factor(post, g)
            zL = np.einsum("rq,cdqp->cdrp", g.Z, L)
            extra = extra + _new_level_weight2(g, n_fitted) * (zL**2).sum(axis=-1)
        return fam.integrated_log_likelihood(link, eta=base, extra_variance=extra, y=y, aux=aux)
    rng = np.random.default_rng(random_seed)
    factors = [(g, effects, n_new, _covariance_factor(post, g)) for g, effects, n_new, _ in unseen]
    total = None
    for _ in range(n_new_draws):
        eta = base
        for g, effects, n_new, L in factors:
            z = rng.standard_normal((*effects.shape[:2], n_new, effects.shape[-1]))
            u = np.einsum("cdqp,cdnp->cdnq", L, z)
            eta = eta + group_contribution(np.concatenate([effects, u], axis=2), g)
        ll = log_likelihood(family, link, eta=eta, y=y, trials=trials, aux=aux)
        total = ll if total is None else np.logaddexp(total, ll)
    return total - math.log(n_new_draws)


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

    formula: str
    data: pd.DataFrame
    family: str
    link: str
    priors: Mapping[str, object]
    parameterization: Mapping[str, str]
    fit_options: Mapping[str, object]
    y: np.ndarray
    trials: np.ndarray | None
    n_new_draws: int


@dataclass(frozen=True, eq=False)
class _Fold:
    number: int
    test: np.ndarray
    seed: int


def _heldout_fold(setup: _KFoldSetup, fold: _Fold) -> np.ndarray:
    """Refit on the rows outside ``fold``; log density of its rows: (chain, draw, rows)."""
    from hiermodels.model import Model

    keep = np.ones(len(setup.data), dtype=bool)
    keep[fold.test] = False
    try:
        model = Model(
            setup.formula,
            setup.data.iloc[keep],
            family=setup.family,
            link=setup.link,
            priors=setup.priors,
            parameterization=dict(setup.parameterization),
        )
    except PriorError as err:
        raise DataError(
            f"Fold {fold.number}'s training rows cannot fit the model (a categorical "
            f"predictor lost a level?): {err}. Use fewer folds or by=None."
        ) from None
    fit = model.fit(random_seed=fold.seed, **setup.fit_options)
    return heldout_log_likelihood(
        fit,
        setup.data.iloc[fold.test],
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


# ---------------------------------------------------------------------------- Fit methods
class ComparisonMethods:
    """Comparison and variance-partition methods mixed into :class:`hiermodels.Fit`."""

    def loo(self) -> ELPDData:
        """PSIS-LOO cross-validation (``arviz_stats.loo``), pointwise.

        The log-likelihood is conditional on the group effects, so this estimates how
        well the model predicts new rows of the groups it has seen. Warns
        (:class:`ParetoKWarning`) when Pareto k is high for some rows; then use
        :meth:`kfold`.

        Returns
        -------
        arviz_stats.ELPDData
            With ``elpd``, ``se``, ``p``, pointwise ``elpd_i`` and ``pareto_k``.

        Examples
        --------
        >>> fit.loo().elpd  # doctest: +SKIP
        -886.2
        """
        return _loo(self)

    def kfold(
        self,
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
        same parameterisation.

        Held-out rows of levels seen in training use those levels' posterior effects.
        Held-out rows of unseen levels integrate the group effects over their population
        distribution ``N(0, Σ)``: exactly for the gaussian family, by Monte Carlo
        (``n_new_draws`` draws per posterior draw) otherwise.

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
        >>> cv = fit.kfold(5, random_seed=1)  # doctest: +SKIP
        >>> cv2 = fit2.kfold(5, random_seed=1)  # doctest: +SKIP
        >>> hm.compare({"varying slope": cv, "varying intercept": cv2})  # doctest: +SKIP
        """
        import arviz_stats as azs

        if by not in ("group", None):
            raise SpecError(f"by={by!r} is not valid; choose 'group' or None.")
        ok = isinstance(k, int | np.integer) and not isinstance(k, bool)
        if not ok or k < 2:
            raise SpecError(f"k must be an integer >= 2, got {k!r}.")
        if not isinstance(n_new_draws, int) or isinstance(n_new_draws, bool) or n_new_draws < 1:
            raise SpecError(f"n_new_draws must be a positive integer, got {n_new_draws!r}.")
        design = self.design
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
        post = self.idata["posterior"]
        options = {
            "draws": int(post.sizes["draw"]),
            "chains": int(post.sizes["chain"]),
            "tune": int(self.idata.attrs.get("tune", 1000)),
            "sampler": str(self.idata.attrs.get("sampler", "nutpie")),
            "progressbar": False,
            **fit_kwargs,
        }
        if "method" in self.idata.attrs and "method" not in options:
            options["method"] = str(self.idata.attrs["method"])  # "full" or "marginal"
        options.pop("random_seed", None)
        rng = np.random.default_rng(random_seed)
        seeds = [int(s) for s in rng.integers(2**31, size=k)]
        split_seed = int(rng.integers(2**31))
        folds = kfold_folds(int(k), design.n_obs, group_by=group_by, seed=split_seed)
        setup = _KFoldSetup(
            formula=self.formula,
            data=self.model.data,
            family=self.spec.family,
            link=self.spec.link,
            priors=self.model.priors,
            parameterization=self.model.parameterization,
            fit_options=options,
            y=np.asarray(design.y),
            trials=design.trials,
            n_new_draws=n_new_draws,
        )
        tasks = [
            _Fold(number=f, test=np.flatnonzero(folds == f), seed=seeds[f - 1])
            for f in range(1, int(k) + 1)
        ]
        heldout = run_tasks(_heldout_fold, tasks, shared=setup, executor=executor)
        result = azs.loo_kfold(
            self.idata,
            _precomputed_folds(self, {tuple(t.test.tolist()): ll for t, ll in zip(tasks, heldout)}),
            pointwise=True,
            var_name=design.response_name,
            folds=folds,
        )
        setattr(result, _SOURCE, _source_of(self))
        return result

    def icc(self, *, prob: float = PROB) -> pd.DataFrame:
        """Intraclass correlation of each grouping factor, per draw, summarised.

        ``ICC_g = τ_g² / (Σ_h τ_h² + σ²_res)`` with ``τ`` the SD of the varying
        intercepts. ``σ²_res`` is ``sigma²`` for the gaussian family and the latent-scale
        variance for binomial and Bernoulli models: ``π²/3`` for logit, ``1`` for probit,
        ``π²/6`` for cloglog (see :mod:`hiermodels.variance`). With varying slopes the
        ICC is that at the predictors' zero.

        Returns
        -------
        pandas.DataFrame
            One row per factor with a varying intercept: ``mean``, ``sd``, the ETI
            bounds, ``ess_bulk``, ``ess_tail``, ``r_hat`` and ``mcse_mean``.

        Examples
        --------
        >>> fit.icc().loc["school", "mean"]  # doctest: +SKIP
        0.147
        """
        from hiermodels.variance import icc_draws

        draws = icc_draws(self.posterior, self.design, self.spec.family, self.spec.link)
        return _draws_table(draws, prob, "group")

    def r2(self, *, prob: float = PROB) -> pd.DataFrame:
        """Bayesian R² (Gelman et al. 2019), marginal and conditional, per draw.

        Conditional: ``Var(f + u) / (Var(f + u) + σ²_res)``; marginal:
        ``Var(f) / (Var(f + u) + σ²_res)``, with ``f`` the fixed and ``u`` the group part
        of the linear predictor over the rows of the data (see
        :mod:`hiermodels.variance`).

        Returns
        -------
        pandas.DataFrame
            Rows ``marginal`` and ``conditional``; columns as :meth:`icc`.

        Examples
        --------
        >>> fit.r2().loc["conditional", "mean"]  # doctest: +SKIP
        0.79
        """
        from hiermodels.variance import r2_draws

        draws = r2_draws(self.posterior, self.design, self.spec.family, self.spec.link)
        return _draws_table(draws, prob, "r2")

    def plot_group_effects(
        self, group: str, *, term: str = naming.INTERCEPT, prob: float = PROB
    ) -> Figure:
        """Caterpillar plot of one factor's group effects, sorted by posterior mean.

        Each level's posterior mean with its ETI; levels whose interval excludes zero
        are highlighted. Returns the matplotlib Figure (never shown).

        Examples
        --------
        >>> fig = fit.plot_group_effects("county")  # doctest: +SKIP
        >>> fig.savefig("county.png")  # doctest: +SKIP
        """
        from hiermodels.plots import plot_group_effects

        g = self.design.group(group)
        if term not in g.terms:
            raise SpecError(
                f"Unknown term {term!r} for the factor {g.name!r}; its varying terms are "
                f"{list(g.terms)}."
            )
        effects = self.group_effects(g.name, prob=_check_prob(prob)).xs(term, level="term")
        return plot_group_effects(effects, group=g.name, term=term, prob=prob)


def _draws_table(draws, prob: float, index_name: str) -> pd.DataFrame:
    """Summary table of per-draw quantities (ICC, R²), one row per label."""
    from hiermodels.diagnostics import describe_draws

    frame = describe_draws(draws, prob=_check_prob(prob))
    frame.index.name = index_name
    return frame


def _check_prob(prob: float) -> float:
    if not isinstance(prob, float | int) or isinstance(prob, bool) or not 0 < prob < 1:
        raise SpecError(f"prob must be a number between 0 and 1, got {prob!r}.")
    return float(prob)


# ---------------------------------------------------------------------------- pooling
def precision_weighted(fit, group: str) -> pd.Series:
    """Analytic partial-pooling estimate of each level's intercept, from posterior means.

    ``(n_j/σ² · ȳ_j + μ/τ²) / (n_j/σ² + 1/τ²)``, the posterior mean of the level's
    intercept given ``σ`` (residual SD), ``τ`` (SD of the varying intercepts of
    ``group``) and ``μ`` (the intercept), each set to its posterior mean. With fixed
    predictors ``ȳ_j`` is the level's mean of ``y - X b`` (``b`` the posterior mean of
    the slopes), less any offset and the posterior-mean effects of other factors. Exact
    for a gaussian random-intercept model with one grouping factor, up to the
    uncertainty in ``σ`` and ``τ``.

    Parameters
    ----------
    fit
        A gaussian :class:`hiermodels.Fit` with a varying intercept of ``group``.
    group
        The grouping factor.

    Returns
    -------
    pandas.Series
        Indexed by level.

    Examples
    --------
    >>> precision_weighted(fit, "county").head()  # doctest: +SKIP
    """
    from hiermodels.linear_predictor import fixed_coefficients, group_contribution

    g = fit.design.group(group)
    if not get_family(fit.spec.family).collapsible or naming.INTERCEPT not in g.terms:
        raise SpecError(
            f"The precision-weighted estimate needs a gaussian model with a varying "
            f"intercept of {g.name!r}; this model is {fit.spec.family!r} with varying "
            f"terms {list(g.terms)}."
        )
    if g.codes.shape[1] != 1:
        raise SpecError(f"{g.name!r} is a multiple-membership factor; levels have no own mean.")
    post = fit.posterior
    design = fit.design
    sigma = float(post[naming.SIGMA].mean())
    tau = float(
        post[naming.sd_name(g.name)].sel({naming.term_dim(g.name): naming.INTERCEPT}).mean()
    )
    beta = fixed_coefficients(post, design.fixed.names).mean(axis=(0, 1))
    names = design.fixed.names
    slopes = [i for i, n in enumerate(names) if n != naming.INTERCEPT]
    mu = float(beta[names.index(naming.INTERCEPT)]) if naming.INTERCEPT in names else 0.0
    y = design.y - design.fixed.matrix[:, slopes] @ beta[slopes]
    if design.offset is not None:
        y = y - design.offset
    for other in design.groups:
        if other.name != g.name:
            effects = post[naming.effects_name(other.name)].values.mean(axis=(0, 1))
            y = y - group_contribution(effects, other)
    codes = g.codes[:, 0]
    n = np.bincount(codes, minlength=g.n_levels).astype(float)
    ybar = np.bincount(codes, weights=y, minlength=g.n_levels) / n
    values = (n / sigma**2 * ybar + mu / tau**2) / (n / sigma**2 + 1 / tau**2)
    return pd.Series(values, index=pd.Index(list(g.levels), name=g.name), name="precision_weighted")


def _names(value, what: str) -> tuple[str, ...]:
    from hiermodels.builders import column_names

    return column_names(value, what)


def _as_factor(series: pd.Series) -> pd.Series:
    """The grouping column as a categorical of string labels, in the design's level order."""
    from hiermodels.design import _level_labels

    present = series.notna()
    labels, levels = _level_labels(series[present])
    out = pd.Series(pd.Categorical([None] * len(series), categories=levels), index=series.index)
    out[present] = labels
    return out


@dataclass(frozen=True)
class PoolingFormulas:
    """The three formulas of a pooling comparison."""

    complete: str
    none: str
    partial: str

    def as_dict(self) -> dict[str, str]:
        return {"complete": self.complete, "none": self.none, "partial": self.partial}


def pooling_formulas(
    response: str, predictors: Sequence[str], group: str, slopes: Sequence[str]
) -> PoolingFormulas:
    """Formulas of complete, no and partial pooling.

    Examples
    --------
    >>> f = pooling_formulas("log_radon", ["floor"], "county", [])
    >>> f.complete, f.none, f.partial
    ('log_radon ~ floor', 'log_radon ~ 0 + county + floor', 'log_radon ~ floor + (1 | county)')
    """
    from hiermodels.spec.terms import _quote

    q = _quote
    fixed = [*predictors, *(s for s in slopes if s not in predictors)]
    lhs = q(response)
    complete = f"{lhs} ~ " + (" + ".join(q(p) for p in fixed) or "1")
    none_terms = ["0", q(group), *(f"{q(group)}:{q(s)}" for s in slopes)]
    none_terms += [q(p) for p in predictors if p not in slopes]
    none = f"{lhs} ~ " + " + ".join(none_terms)
    varying = " + ".join(["1", *(q(s) for s in slopes)])
    partial = f"{complete} + ({varying} | {q(group)})"
    return PoolingFormulas(complete=complete, none=none, partial=partial)


def _split_priors(formulas: PoolingFormulas, frame: pd.DataFrame, family: str, priors):
    """Each model gets the user priors whose keys it has; a key no model has is an error."""
    from hiermodels.design import build_design
    from hiermodels.parameters import prior_slots
    from hiermodels.spec.formula import parse_formula
    from hiermodels.spec.priors import valid_prior_keys

    if priors is None:
        return dict.fromkeys(POOLING)
    if not isinstance(priors, Mapping):
        raise SpecError(f"priors must be a dict of key -> hm.Prior, got {type(priors).__name__}.")
    valid = {}
    for name, formula in formulas.as_dict().items():
        design = build_design(parse_formula(formula), frame, family=family, formula=formula)
        valid[name] = set(valid_prior_keys(prior_slots(design, family)))
    every = sorted(set().union(*valid.values()))
    unknown = [key for key in priors if key not in every]
    if unknown:
        raise PriorError(
            f"Unknown prior key(s) {unknown}: no model of the pooling comparison has them; "
            f"valid keys are {every}."
        )
    return {name: {k: v for k, v in priors.items() if k in valid[name]} for name in POOLING}


@dataclass(frozen=True, eq=False)
class _PoolingSetup:
    """What the three fits of a pooling comparison share."""

    data: pd.DataFrame
    family: str
    fit_kwargs: Mapping[str, object]


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
    from hiermodels.model import Model

    model = Model(task.formula, setup.data, family=setup.family, priors=task.priors or None)
    fit = model.fit(**setup.fit_kwargs)
    recipe = ModelRecipe.of(model)
    process_cache(("model", recipe.key), lambda: model)  # no rebuild if this process is the caller
    return _FittedDraws(recipe=recipe, idata=fit.idata)


def _as_fit(fitted: _FittedDraws):
    """The :class:`hiermodels.Fit`; its model is rebuilt from the recipe if made elsewhere."""
    from hiermodels.results import Fit

    model = process_cache(("model", fitted.recipe.key), fitted.recipe.build)
    return Fit(model=model, idata=fitted.idata)


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
    from hiermodels.builders import _one_name

    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    response = _one_name(response, "response")
    group = _one_name(group, "group")
    predictors = _names(predictors, "predictors")
    slopes = _names(slopes, "slopes")
    for col in (response, group, *predictors, *slopes):
        if col not in data.columns:
            import difflib

            close = difflib.get_close_matches(col, list(map(str, data.columns)), n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise DataError(f"Unknown column {col!r}.{hint} Available: {list(data.columns)}.")
    if group in (response, *predictors, *slopes):
        raise SpecError(f"The group {group!r} cannot also be the response, a predictor or a slope.")
    frame = data.copy()
    frame[group] = _as_factor(frame[group])
    formulas = pooling_formulas(response, predictors, group, slopes)
    model_priors = _split_priors(formulas, frame, family, priors)
    setup = _PoolingSetup(data=frame, family=family, fit_kwargs=dict(fit_kwargs))
    tasks = [
        _PoolingModel(name=name, formula=formula, priors=model_priors[name])
        for name, formula in formulas.as_dict().items()
    ]
    fitted = run_tasks(_fit_pooling_model, tasks, shared=setup, executor=executor)
    fits = {task.name: _as_fit(draws) for task, draws in zip(tasks, fitted)}
    return PoolingComparison(
        fits=fits,
        formulas=formulas,
        response=response,
        predictors=predictors,
        group=group,
        slopes=slopes,
    )


class PoolingComparison:
    """Complete, no and partial pooling of one grouping factor, fitted on the same rows.

    Attributes
    ----------
    fits : dict
        ``{"complete": Fit, "none": Fit, "partial": Fit}``.
    formulas : PoolingFormulas
        The formula of each model.
    """

    def __init__(
        self,
        *,
        fits: Mapping[str, object],
        formulas: PoolingFormulas,
        response: str,
        predictors: tuple[str, ...],
        group: str,
        slopes: tuple[str, ...],
    ):
        missing = [k for k in POOLING if k not in fits]
        if missing:
            raise SpecError(f"fits lacks {missing}; it needs the keys {list(POOLING)}.")
        self.fits = dict(fits)
        self.formulas = formulas
        self.response = response
        self.predictors = tuple(predictors)
        self.group = group
        self.slopes = tuple(slopes)
        self._loo_table: pd.DataFrame | None = None
        self._estimates: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        g = self.fits["partial"].design.group(self.group)
        return (
            f"PoolingComparison of {self.group!r} ({g.n_levels} levels, "
            f"{self.fits['partial'].design.n_obs} rows): "
            + "; ".join(f"{k}: {v!r}" for k, v in self.formulas.as_dict().items())
        )

    @property
    def terms(self) -> tuple[str, ...]:
        """Terms with one estimate per level: the intercept and the varying slopes."""
        return (naming.INTERCEPT, *self.slopes)

    def loo_table(self, *, method: CompareMethod = "stacking") -> pd.DataFrame:
        """PSIS-LOO comparison of the three models (``arviz_stats.compare``), best first.

        Columns as :func:`hiermodels.compare` (``elpd``, ``se``, ``p`` = p_loo,
        ``weight`` = stacking weight, ``diag_elpd`` = Pareto-k count above the threshold)
        plus ``pareto_k_warning`` (True when PSIS-LOO is unreliable for the model). The
        no-pooling model often has high Pareto k for levels with one or two rows: their
        rows alone determine their own parameter. No warning is raised; the table says it.
        """
        if self._loo_table is None or method != "stacking":
            elpds = {name: _loo(fit, warn=False) for name, fit in self.fits.items()}
            table = compare(elpds, method=method)
            table["pareto_k_warning"] = [bool(elpds[name].warning) for name in table.index]
            if method != "stacking":
                return table
            self._loo_table = table
        return self._loo_table.copy()

    # -------------------------------------------------------------- estimates
    def _column(self, fit, level: str, term: str) -> str:
        names = fit.design.fixed.names
        name = (
            f"{self.group}[{level}]"
            if term == naming.INTERCEPT
            else f"{self.group}[{level}]:{term}"
        )
        if name not in names:  # pragma: no cover - formulaic's naming is fixed
            raise SpecError(f"No coefficient {name!r} in the no-pooling model; it has {names}.")
        return name

    @staticmethod
    def _fixed_draws(fit, name: str) -> np.ndarray:
        post = fit.posterior
        if name == naming.INTERCEPT:
            return post[naming.INTERCEPT].values
        return post[naming.SLOPES].sel({naming.FIXED_DIM: name}).values

    def estimates(self, term: str = naming.INTERCEPT) -> pd.DataFrame:
        """Per level of the group: the no, partial and complete pooling estimates.

        Estimates are posterior means of the level's ``term`` coefficient (its intercept
        by default): ``none`` from the level's own coefficient, ``partial`` the fixed
        effect plus the level's deviation, ``complete`` the common coefficient.

        Columns
        -------
        n
            Rows of the level.
        none, partial, complete
            The three estimates; ``none_sd`` and ``partial_sd`` their posterior SDs.
        population
            The partial model's population mean of the coefficient (its fixed effect):
            the value partial pooling shrinks toward. It differs from ``complete``,
            which weights levels by their rows (radon: 1.49 against 1.36), so a partial
            estimate near ``complete`` need not lie between ``none`` and ``complete``.
        shrinkage
            ``(none - partial) / (none - complete)``: 0 = no pooling, 1 = complete.
            Unstable for levels whose ``none`` is close to ``complete``.
        precision_weighted
            For the intercept of a random-intercept model, the analytic partial-pooling
            estimate ``(n_j/σ² · ȳ_j + μ/τ²) / (n_j/σ² + 1/τ²)`` with the posterior means of
            ``σ`` (residual SD), ``τ`` (group SD) and ``μ`` (the intercept) of the
            partial model. With predictors, ``ȳ_j`` is the level's mean of
            ``y - X b`` (the response minus the fixed part without the intercept, ``b``
            at its posterior mean), so the comparison is at the predictors' zero. NaN
            for varying slopes and for non-gaussian families.
        """
        if term not in self.terms:
            raise SpecError(
                f"Unknown term {term!r}; the pooling comparison has estimates for "
                f"{list(self.terms)}."
            )
        if term in self._estimates:
            return self._estimates[term].copy()
        partial, none, complete = self.fits["partial"], self.fits["none"], self.fits["complete"]
        g = partial.design.group(self.group)
        coef = partial.group_coefficients(g.name).xs(term, level="term")
        complete_mean = float(self._fixed_draws(complete, term).mean())
        population = float(self._fixed_draws(partial, term).mean())
        none_draws = {lv: self._fixed_draws(none, self._column(none, lv, term)) for lv in g.levels}
        frame = pd.DataFrame(
            {
                "n": g.level_counts(),
                "none": [none_draws[lv].mean() for lv in g.levels],
                "none_sd": [none_draws[lv].std(ddof=1) for lv in g.levels],
                "partial": coef["mean"].to_numpy(),
                "partial_sd": coef["sd"].to_numpy(),
                "complete": complete_mean,
                "population": population,
            },
            index=pd.Index(list(g.levels), name=self.group),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["shrinkage"] = (frame["none"] - frame["partial"]) / (
                frame["none"] - frame["complete"]
            )
        frame["precision_weighted"] = self._precision_weighted(term)
        self._estimates[term] = frame
        return frame.copy()

    def _precision_weighted(self, term: str) -> np.ndarray:
        fit = self.fits["partial"]
        g = fit.design.group(self.group)
        if term != naming.INTERCEPT or self.slopes or not get_family(fit.spec.family).collapsible:
            return np.full(g.n_levels, np.nan)
        return precision_weighted(fit, self.group).to_numpy()

    # -------------------------------------------------------------- figures and text
    def plot_shrinkage(self, term: str = naming.INTERCEPT) -> Figure:
        """Arrows from the no-pooling to the partial-pooling estimate against group size.

        Group size on a log axis, the complete-pooling estimate as a horizontal line (the
        classic radon figure). Returns the matplotlib Figure.
        """
        from hiermodels.plots import plot_shrinkage

        return plot_shrinkage(self.estimates(term), group=self.group, term=term)

    def plot_group_fits(self, groups: Sequence[str] | None = None, *, ncols: int = 4) -> Figure:
        """Small multiples: each level's data (response against the first predictor)
        with the complete, no and partial pooling fits.

        ``groups`` picks the levels; by default eight levels spread over the range of
        group sizes. Returns the matplotlib Figure.
        """
        from hiermodels.plots import plot_group_fits

        return plot_group_fits(self, groups=groups, ncols=ncols)

    def summary(self) -> PoolingSummary:
        """The LOO table and the shrinkage figures, as printable text."""
        return PoolingSummary(self)


def _share_between(estimates: pd.DataFrame, target: str) -> float:
    """Share of levels whose partial estimate lies between ``none`` and ``target``."""
    low = np.minimum(estimates["none"], estimates[target])
    high = np.maximum(estimates["none"], estimates[target])
    return float(((estimates["partial"] >= low) & (estimates["partial"] <= high)).mean())


class PoolingSummary:
    """Printable summary of a :class:`PoolingComparison`: LOO table and shrinkage."""

    def __init__(self, comparison: PoolingComparison):
        self.comparison = comparison
        self.loo_table = comparison.loo_table()
        self.estimates = comparison.estimates()
        est = self.estimates
        gap = (est["none"] - est["partial"]).abs()
        #: Correlation of log(n) with |none - partial|; NaN when every level has the
        #: same size (or the gaps are all equal), where it is undefined.
        self.correlation = _correlation(np.log(est["n"].to_numpy(dtype=float)), gap.to_numpy())
        self.between = _share_between(est, "complete")
        self.between_population = _share_between(est, "population")

    def __str__(self) -> str:
        c = self.comparison
        partial = c.fits["partial"]
        g = partial.design.group(c.group)
        lines = [
            f"Pooling comparison of {c.group!r}: {g.n_levels} levels, {partial.design.n_obs} rows",
            *(f"  {name:<9}{formula}" for name, formula in c.formulas.as_dict().items()),
            "",
            "PSIS-LOO, best first:",
        ]
        cols = ["elpd", "se", "elpd_diff", "dse", "p", "weight", "diag_elpd"]
        table = self.loo_table[cols].copy()
        lines += [
            "  " + row
            for row in table.to_string(
                float_format=lambda v: f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
            ).splitlines()
        ]
        if self.loo_table["pareto_k_warning"].any():
            bad = list(self.loo_table.index[self.loo_table["pareto_k_warning"]])
            lines.append(f"  PSIS-LOO is unreliable for {bad} (high Pareto k): see fit.kfold().")
        est = self.estimates
        sizes = pd.cut(
            est["n"], [0, 2, 5, 10, 25, np.inf], labels=["1-2", "3-5", "6-10", "11-25", ">25"]
        )
        median = est.groupby(sizes, observed=True)["shrinkage"].median()
        lines += [
            "",
            f"Shrinkage of the {c.group} intercepts (0 = no pooling, 1 = complete pooling):",
            "  median by group size: " + ", ".join(f"n {k}: {v:.2f}" for k, v in median.items()),
            f"  correlation of log(n) with |none - partial|: {self._correlation_text()}",
            f"  partial estimate between none and complete: {self.between:.1%} of levels",
            f"  partial estimate between none and the population mean "
            f"({est['population'].iloc[0]:.3g}): {self.between_population:.1%} of levels",
        ]
        vc = partial.variance_components()
        sd = vc[vc["kind"] == "sd"]
        lines.append(
            "  partial-pooling SDs: "
            + ", ".join(
                f"{r.group}{'/' + r.term if r.term and r.term != 'Intercept' else ''} {r.mean:.3g}"
                for r in sd.itertuples()
            )
        )
        return "\n".join(lines)

    def _correlation_text(self) -> str:
        if not np.isnan(self.correlation):
            return f"{self.correlation:.2f}"
        sizes = np.unique(self.estimates["n"])
        if len(sizes) == 1:
            return f"undefined (every level has {sizes[0]} rows)"
        return "undefined (every level moved by the same amount)"

    __repr__ = __str__


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN (without a warning) when either has no spread."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])
