"""Variance partition of a fit: ICC and Bayesian R², summarised over draws.

The per-draw quantities are computed by :mod:`hiermodels.variance`; this module turns
them into tables (see :meth:`hiermodels.Fit.icc` and :meth:`hiermodels.Fit.r2`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hiermodels.diagnostics import describe_draws
from hiermodels.errors import SpecError
from hiermodels.options import PROB
from hiermodels.variance import icc_draws, r2_draws

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import FitLike

__all__ = ["check_interval_prob", "icc_table", "r2_table"]


def icc_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """Intraclass correlation of each grouping factor; see :meth:`hiermodels.Fit.icc`."""
    draws = icc_draws(fit.posterior, fit.design, fit.spec.family, fit.spec.link)
    return _draws_table(draws, prob, "group")


def r2_table(fit: FitLike, *, prob: float = PROB) -> pd.DataFrame:
    """Bayesian R², marginal and conditional; see :meth:`hiermodels.Fit.r2`."""
    draws = r2_draws(fit.posterior, fit.design, fit.spec.family, fit.spec.link)
    return _draws_table(draws, prob, "r2")


def _draws_table(draws, prob: float, index_name: str) -> pd.DataFrame:
    """Summary table of per-draw quantities (ICC, R²), one row per label."""
    frame = describe_draws(draws, prob=check_interval_prob(prob))
    frame.index.name = index_name
    return frame


def check_interval_prob(prob: float) -> float:
    """``prob`` as a float in (0, 1); :class:`SpecError` otherwise."""
    if not isinstance(prob, float | int) or isinstance(prob, bool) or not 0 < prob < 1:
        raise SpecError(f"prob must be a number between 0 and 1, got {prob!r}.")
    return float(prob)
