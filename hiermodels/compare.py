"""Model comparison: PSIS-LOO, k-fold cross-validation and the pooling comparison."""

from __future__ import annotations

__all__ = ["ComparisonMethods"]


class ComparisonMethods:
    """Comparison and variance-partition methods mixed into :class:`hiermodels.Fit`."""
