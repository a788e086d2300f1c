"""Effects of new levels of a ``gr(g, cov=K)`` factor, for ``predict`` and held-out rows.

A level without rows in the fitted data is predicted conditional on the fitted levels'
effects through ``K`` (:mod:`hiermodels.kernels.known_covariance`): a relative of fitted
individuals borrows their effects. That needs the level in ``K``: give the model a ``K``
that names it (``data2``; levels of ``K`` without rows are allowed). A label that ``K``
does not name (a new individual of unknown relationship, a missing value, or every label
with ``all_new=True``) is refused with a :class:`~hiermodels.errors.DataError`, unless the
new effects are set to 0 (``new_groups="population"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hiermodels.design import GroupDesign
from hiermodels.errors import DataError
from hiermodels.kernels.known_covariance import conditional_effects, conditional_factors

__all__ = ["conditional_moments", "conditional_new_effects", "new_level_factors"]


def new_level_factors(g: GroupDesign, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``L_S`` of :func:`~hiermodels.kernels.known_covariance.conditional_factors`
    for the new levels ``labels`` of ``g``; a DataError names labels that ``K`` lacks."""
    cov = g.covariance
    position = {label: i for i, label in enumerate(cov.labels)}
    unknown = [lv for lv in labels if lv not in position]
    if unknown:
        raise DataError(
            f"The new level(s) {unknown[:10]} of {g.name!r} are not in data2[{cov.name!r}], "
            f"the known covariance of gr({g.name}, cov={cov.name}), so their effects cannot "
            "be predicted from their relatives. Build the model with a K that names them "
            "(K may hold levels without rows), or predict with new_groups='population' "
            "(their effects set to 0)."
        )
    return conditional_factors(
        cov.matrix, n_fitted=cov.n_fitted, new=[position[lv] for lv in labels]
    )


def conditional_new_effects(
    g: GroupDesign, fitted: np.ndarray, W: np.ndarray, labels: Sequence[str]
) -> np.ndarray:
    """Draws of the new levels' effects, (chain, draw, new, terms), given the fitted
    levels' ``fitted`` (chain, draw, levels, terms) and ``W`` (chain, draw, new, terms),
    independent draws from ``N(0, Sigma)``."""
    A, L_S = new_level_factors(g, labels)
    return conditional_effects(fitted, A, L_S, W)


def conditional_moments(
    g: GroupDesign,
    fitted: np.ndarray,
    labels: Sequence[str],
    weight2: np.ndarray,
    n_fitted: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For held-out rows: the new levels' conditional mean effects (chain, draw, new,
    terms) and, per row, ``weight2`` times the conditional variance factor ``S_jj`` of
    the row's new level (the row's variance from it is ``S_jj z' Sigma z``)."""
    A, L_S = new_level_factors(g, labels)
    S_diag = (L_S**2).sum(axis=1)
    codes = g.codes[:, 0]
    scale = np.where(codes >= n_fitted, S_diag[np.maximum(codes - n_fitted, 0)], 0.0)
    return conditional_effects(fitted, A, L_S, None), weight2 * scale
