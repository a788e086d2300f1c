"""Variance partition of a fit: ICC and Bayesian R², summarised over draws.

The per-draw quantities are computed by :mod:`hiermodels.variance`; this module turns
them into tables (see :meth:`hiermodels.Fit.icc` and :meth:`hiermodels.Fit.r2`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hiermodels.design.statistics import require_rows
from hiermodels.diagnostics import describe_draws
from hiermodels.options import PROB, check_prob
from hiermodels.variance import icc_draws, r2_draws

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["icc_table", "r2_table"]


def icc_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
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
    >>> icc = fit.icc()
    >>> icc.index.tolist(), bool(0 < icc.loc["Subject", "mean"] < 1)
    (['Subject'], True)
    """
    draws = icc_draws(fit.posterior, fit.design, fit.spec.family, fit.spec.link)
    return _draws_table(draws, prob, "group")


def r2_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """Bayesian R² (Gelman et al. 2019), marginal and conditional, per draw.

    Conditional: ``Var(f + u) / (Var(f + u) + σ²_res)``; marginal:
    ``Var(f) / (Var(f + u) + σ²_res)``, with ``f`` the fixed and ``u`` the group part
    of the linear predictor over the rows of the data (see
    :mod:`hiermodels.variance`).

    Returns
    -------
    pandas.DataFrame
        Rows ``marginal`` and ``conditional``; columns as :meth:`hiermodels.Fit.icc`.

    Examples
    --------
    >>> r2 = fit.r2()
    >>> r2.index.tolist(), bool(r2.loc["marginal", "mean"] < r2.loc["conditional", "mean"])
    (['marginal', 'conditional'], True)
    """
    require_rows(fit.design, "Bayesian R² (a variance over the fitted rows)")
    draws = r2_draws(fit.posterior, fit.design, fit.spec.family, fit.spec.link)
    return _draws_table(draws, prob, "r2")


def _draws_table(draws, prob: float, index_name: str) -> pd.DataFrame:
    """Summary table of per-draw quantities (ICC, R²), one row per label."""
    frame = describe_draws(draws, prob=check_prob(prob))
    frame.index.name = index_name
    return frame
