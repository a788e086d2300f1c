"""PSIS-LOO of a fit and the comparison of fits on the same rows.

The pointwise log-likelihood in ``fit.idata`` is conditional on the group effects, so
:func:`loo` estimates how well the model predicts new rows of the *same* groups; for
new groups use :func:`hiermodels.analysis.kfold.kfold`.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.design.statistics import require_rows
from hiermodels.errors import DataError, ParetoKWarning, SpecError

if TYPE_CHECKING:  # pragma: no cover
    from arviz_stats import ELPDData

    from hiermodels.protocols import FitLike

__all__ = ["CompareMethod", "compare", "loo", "source_of"]

CompareMethod = Literal["stacking", "bb-pseudo-bma", "pseudo-bma"]
_METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")
#: Attribute of an ELPD result that records the rows it was computed on.
SOURCE_ATTR = "_hiermodels_source"


# ---------------------------------------------------------------------------- data identity
@dataclass(frozen=True, eq=False)
class _Source:
    """What a model was fitted on: the observed response and the row labels."""

    y: np.ndarray
    rows: pd.Index


def source_of(fit: FitLike) -> _Source:
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
def loo(fit: FitLike, *, warn: bool = True) -> ELPDData:
    """PSIS-LOO cross-validation (``arviz_stats.loo``), pointwise.

    The log-likelihood is conditional on the group effects, so this estimates how
    well the model predicts new rows of the groups it has seen. Warns
    (:class:`hiermodels.ParetoKWarning`, in place of ArviZ's warning) when Pareto k is
    high for some rows; then use :meth:`hiermodels.Fit.kfold`.

    Parameters
    ----------
    warn
        ``False``: no :class:`hiermodels.ParetoKWarning` (the result's ``warning`` and
        ``pareto_k`` still say it), as when :func:`hiermodels.compare` reports it.

    Returns
    -------
    arviz_stats.ELPDData
        With ``elpd``, ``se``, ``p``, pointwise ``elpd_i`` and ``pareto_k``.

    Examples
    --------
    >>> result = fit.loo(warn=False)
    >>> result.elpd_i.shape
    (180,)
    """
    import arviz_stats as azs

    require_rows(fit.design, "LOO (and hm.compare), which is pointwise over rows,")
    if "log_likelihood" not in fit.idata.children:
        raise SpecError(
            f"This fit of {fit.formula!r} has no pointwise log-likelihood (it is not stored "
            "when asked not to, or by default above 50 million rows x draws). Refit with "
            "fit(log_likelihood=True) to use LOO or hm.compare."
        )

    def psis_loo(tree):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            return azs.loo(tree, pointwise=True, var_name=fit.design.response_name)

    # once per idata (arviz_stats loops over the rows in Python: about 2 s for Hsb82's
    # 7,185 rows x 200 draws), so compare() after loo(), or twice, does not redo it
    once = getattr(fit, "_once_per_tree", None)
    result = copy.copy(once("loo", psis_loo) if once else psis_loo(fit.idata))
    setattr(result, SOURCE_ATTR, source_of(fit))
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
        if not isinstance(value, ELPDData) and not _is_fit(value):
            raise SpecError(
                f"Model {name!r} is a {type(value).__name__}; compare() takes hm.Fit objects "
                "or the ELPD results of fit.loo() / fit.kfold()."
            )
    _check_same_data(models)
    elpds = {
        name: value if isinstance(value, ELPDData) else loo(value, warn=warn)
        for name, value in models.items()
    }
    table = azs.compare(elpds, method=method, round_to="none")
    table.index.name = "model"
    return table


def _is_fit(value) -> bool:
    """A fitted model: it has the draws (``idata``) and the design they belong to."""
    return hasattr(value, "idata") and hasattr(value, "design")


def _check_same_data(models: Mapping[str, object]) -> None:
    """Raise DataError naming two models whose rows or observed responses differ."""
    from arviz_stats import ELPDData

    sources, sizes = {}, {}
    for name, value in models.items():
        if isinstance(value, ELPDData):
            sizes[name] = int(value.n_data_points)
            if hasattr(value, SOURCE_ATTR):
                sources[name] = getattr(value, SOURCE_ATTR)
        else:
            sources[name] = source_of(value)
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
