"""Prediction, posterior-predictive checks and their plots (methods of ``hm.Fit``)."""

from __future__ import annotations

__all__ = ["PredictionMethods"]


class PredictionMethods:
    """Prediction methods mixed into :class:`hiermodels.Fit`."""
