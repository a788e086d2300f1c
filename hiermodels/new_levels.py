"""Group effects for levels the fit has not seen, and the linear predictor with them.

A new level of a factor (a new subject, a missing group value) has no posterior of its
own: :func:`new_level_effects` draws its effects from the fitted population distribution
per posterior draw (or sets them to 0, the population mean), and
:func:`linear_predictor_with_new_levels` appends them to the fitted levels' effects.
:func:`as_new_groups` turns every label of new data into a new level (``re="new"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.analysis.known_covariance import conditional_new_effects
from hiermodels.design import Design, GroupDesign, NewDesign
from hiermodels.kernels.covariance import correlation_root
from hiermodels.linear_predictor import linear_predictor

__all__ = [
    "NewGroups",
    "as_new_groups",
    "linear_predictor_with_new_levels",
    "new_level_effects",
]

#: How new levels are predicted: effects drawn from the population, or set to 0.
NewGroups = Literal["sample", "population"]


def new_level_effects(
    posterior: xr.Dataset,
    g: GroupDesign,
    n_new: int,
    *,
    new_groups: NewGroups,
    rng: np.random.Generator,
) -> np.ndarray:
    """Effects of ``n_new`` new levels of ``g``, shape (chain, draw, n_new, terms).

    ``"sample"``: per draw, ``sd * (L @ z)`` with ``z`` standard normal and ``L L' = cor``
    (identity when the terms are uncorrelated), i.e. ``N(0, diag(sd) cor diag(sd))``.
    ``"population"``: zeros.
    """
    sd = posterior[naming.sd_name(g.name)].values
    n_chain, n_draw, n_terms = sd.shape
    if new_groups == "population" or n_new == 0:
        return np.zeros((n_chain, n_draw, n_new, n_terms))
    z = rng.standard_normal((n_chain, n_draw, n_new, n_terms))
    if g.correlated:
        root = correlation_root(posterior[naming.cor_name(g.name)].values)
        z = z @ np.swapaxes(root, -1, -2)
    return z * sd[:, :, None, :]


def as_new_groups(rebuilt: NewDesign) -> NewDesign:
    """``rebuilt`` with every group label, seen in fitting or not, a new level.

    Rows with the same label (the same member, for multiple membership) share the new
    level. Used to predict for new groups (``re="new"``) or at the population level
    (``re="exclude"``) without touching the data's columns, which a fixed factor may
    share with a grouping factor (``Variety`` in ``(1 | Block/Variety)``).
    """
    groups, new_levels = [], {}
    for g in rebuilt.design.groups:
        n_fitted = g.n_levels - len(rebuilt.new_levels.get(g.name, ()))
        used, inverse = np.unique(g.codes, return_inverse=True)
        labels = tuple(f"<new> {g.levels[c]}" for c in used)
        codes = n_fitted + inverse.reshape(g.codes.shape)
        groups.append(dataclasses.replace(g, levels=(*g.levels[:n_fitted], *labels), codes=codes))
        new_levels[g.name] = labels
    design = dataclasses.replace(rebuilt.design, groups=tuple(groups))
    return NewDesign(design=design, new_levels=new_levels)


def linear_predictor_with_new_levels(
    posterior: xr.Dataset,
    design: Design,
    new_levels: Mapping[str, tuple[str, ...]],
    *,
    new_groups: NewGroups,
    rng: np.random.Generator,
) -> np.ndarray:
    """Linear predictor of ``design``, whose codes may point past the fitted levels."""
    if not any(new_levels.values()):
        return linear_predictor(posterior, design)
    draws = xr.Dataset(
        {k: posterior[k] for k in (naming.INTERCEPT, naming.SLOPES) if k in posterior}
    )
    for i, g in enumerate(design.groups):
        name = naming.effects_name(g.name)
        seen = posterior[name].values
        new = new_level_effects(
            posterior, g, len(new_levels.get(g.name, ())), new_groups=new_groups, rng=rng
        )
        if g.covariance is not None and new_groups == "sample" and new.shape[2]:
            # gr(g, cov=K): conditional on the fitted levels (hiermodels.analysis.known_covariance)
            new = conditional_new_effects(g, seen, new, new_levels[g.name])
        draws[name] = xr.DataArray(
            np.concatenate([seen, new], axis=2),
            dims=(*naming.CHAIN_DRAW, f"__level_{i}", f"__term_{i}"),
        )
    return linear_predictor(draws, design)
