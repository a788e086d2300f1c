"""Contrast matrices over the levels of a factor, named as emmeans names them.

Examples
--------
>>> labels, weights = contrast_matrix(["a", "b", "c"], "pairwise")
>>> labels
['a - b', 'a - c', 'b - c']
>>> weights.tolist()
[[1.0, -1.0, 0.0], [1.0, 0.0, -1.0], [0.0, 1.0, -1.0]]
>>> contrast_matrix(["a", "b", "c"], {"a vs rest": {"a": 1, "b": -0.5, "c": -0.5}})[0]
['a vs rest']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np

from hiermodels.errors import SpecError

__all__ = ["NAMED", "contrast_matrix"]

#: The named contrasts (emmeans' ``method=``).
NAMED: tuple[str, ...] = ("pairwise", "revpairwise", "trt.vs.ctrl")


def _weights(levels: Sequence, name: str, spec) -> np.ndarray:
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in levels]
        if unknown:
            raise SpecError(
                f"Contrast {name!r} names {unknown}, not level(s); the levels are {list(levels)}."
            )
        w = np.array([float(spec.get(level, 0.0)) for level in levels])
    else:
        w = np.asarray(list(spec), dtype=float)
        if w.shape != (len(levels),):
            raise SpecError(
                f"Contrast {name!r} has {w.size} weights; give one per level of "
                f"{list(levels)} (or a dict level -> weight)."
            )
    if abs(w.sum()) > 1e-8 * max(1.0, np.abs(w).sum()):
        raise SpecError(
            f"The weights of contrast {name!r} sum to {w.sum():g}, not 0: "
            f"{dict(zip(levels, w.tolist(), strict=True))}."
        )
    return w


def contrast_matrix(
    levels: Sequence, contrast: str | Mapping, *, reference=None
) -> tuple[list[str], np.ndarray]:
    """Labels and weights (contrasts x levels) of ``contrast`` over ``levels``.

    Parameters
    ----------
    levels
        The levels, in order.
    contrast
        ``"pairwise"`` (each level minus each later one: ``"a - b"``), ``"revpairwise"``
        (each later level minus each earlier one: ``"b - a"``), ``"trt.vs.ctrl"`` (each
        level minus the ``reference``, by default the first level), or a dict: contrast
        name to its weights (a dict level -> weight, levels left out weigh 0, or a
        sequence with one weight per level); a dict of numbers is one contrast named by
        its weights. Each contrast's weights must sum to 0.
    reference
        The control level of ``"trt.vs.ctrl"``.

    Raises
    ------
    SpecError
        For an unknown name or level, weights that do not sum to 0, or fewer than two
        levels.
    """
    levels = list(levels)
    if len(levels) < 2:
        raise SpecError(f"A contrast needs at least two levels; there is {levels}.")
    if isinstance(contrast, Mapping):
        if contrast and all(isinstance(v, Real) for v in contrast.values()):
            name = " ".join(f"{float(v):+g}*{k}" for k, v in contrast.items() if v)
            contrast = {name: contrast}
        labels = [str(k) for k in contrast]
        return labels, np.vstack([_weights(levels, str(k), v) for k, v in contrast.items()])
    if not isinstance(contrast, str) or contrast not in NAMED:
        raise SpecError(
            f"Unknown contrast {contrast!r}; valid choices are {list(NAMED)} or a dict of weights."
        )
    eye = np.eye(len(levels))
    if contrast == "trt.vs.ctrl":
        ref = levels[0] if reference is None else reference
        if ref not in levels:
            raise SpecError(f"reference={ref!r} is not a level; the levels are {levels}.")
        r = levels.index(ref)
        pairs = [(i, r) for i in range(len(levels)) if i != r]
    elif contrast == "pairwise":
        pairs = [(i, j) for i in range(len(levels)) for j in range(i + 1, len(levels))]
    else:
        pairs = [(j, i) for i in range(len(levels)) for j in range(i + 1, len(levels))]
    labels = [f"{levels[a]} - {levels[b]}" for a, b in pairs]
    return labels, np.vstack([eye[a] - eye[b] for a, b in pairs])
