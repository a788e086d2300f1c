"""Penalised smooths as a fixed linear part plus penalised basis coefficients.

The mixed-model representation of mgcv's ``smooth2random`` (and brms, gamm4): a cubic
regression spline of ``x`` with ``k`` knots at mgcv's places (:func:`place_knots`) and its
integrated squared second derivative as penalty, constrained to sum to zero over the
data, is split by the eigendecomposition of the penalty into

- its null space, the straight line: the fixed column ``x`` (for ``s(x, by=g)`` the
  columns ``x:g``, one slope per level), with the other fixed effects;
- ``k - 2`` penalised directions, each scaled by one over the square root of its
  eigenvalue, so that their coefficients are iid ``Normal(0, sds²)`` with ``sds`` the
  smooth's SD (``1 / sds²`` is mgcv's smoothing parameter, up to the scale below).
  Each penalised column has its least-squares line over the data taken out
  (:meth:`SmoothFactor.with_line`): the same functions, since the line is unpenalised,
  and a posterior without the funnel between the slope and ``sds``.

The penalised part is a :class:`~hiermodels.design.GroupDesign` whose "levels" are the
``k - 2`` basis directions: each row is a member of every level, weighted by the basis
value (as a multiple-membership factor), so the backend, predictions and LOO treat it
as any other factor. With ``by=g`` each level of ``g`` has a factor of its own, named
``s(x, by=g)[a]``, with its own SD and the basis set to 0 in the rows of other levels
(one factor per level, rather than one factor with a term per level, so that each
level's smooth gets its own centred or non-centred parameterisation). The basis columns
are divided by one constant (their mean SD over the data) so that ``sds`` is on the
scale of the response; the default prior of ``sds`` is that of a group SD. The knots and the
constraint are stored: new data are evaluated with the basis of the fit.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from hiermodels.spec.smooths import Smooth
>>> frame = pd.DataFrame({"x": np.linspace(0.0, 1.0, 30)})
>>> (g,) = smooth_groups(frame, Smooth("x", k=5))
>>> g.name, g.levels, g.weights.shape
('s(x, k=5)', ('1', '2', '3'), (30, 3))
>>> bool(np.allclose(g.weights.sum(axis=0), 0.0))
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.design.levels import level_labels
from hiermodels.design.types import GroupDesign
from hiermodels.errors import DataError
from hiermodels.spec.smooths import Smooth, split_smooths
from hiermodels.spec.terms import quote

__all__ = [
    "SmoothBasis",
    "SmoothFactor",
    "cr_basis",
    "group_sd_slot",
    "is_smooth_group",
    "new_smooth_group",
    "place_knots",
    "smooth_designs",
    "smooth_groups",
]


def place_knots(x: np.ndarray, k: int) -> np.ndarray:
    """``k`` knots evenly spread over the sorted distinct values (mgcv's ``place.knots``)."""
    u = np.unique(x)
    n = len(u)
    delta = (n - 1) / (k - 1)
    inner = np.arange(1, k - 1)
    lower = np.floor(delta * inner).astype(int)
    frac = delta * inner - lower
    knots = np.empty(k)
    knots[0], knots[-1] = u[0], u[-1]
    knots[1:-1] = u[lower] * (1 - frac) + u[np.minimum(lower + 1, n - 1)] * frac
    return knots


def _spline_algebra(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F+`` (second derivatives at the knots from the values there) and the penalty S."""
    h = np.diff(knots)
    k = len(knots)
    D = np.zeros((k - 2, k))
    B = np.zeros((k - 2, k - 2))
    for i in range(k - 2):
        D[i, i], D[i, i + 1], D[i, i + 2] = 1 / h[i], -1 / h[i] - 1 / h[i + 1], 1 / h[i + 1]
        B[i, i] = (h[i] + h[i + 1]) / 3
        if i < k - 3:
            B[i, i + 1] = B[i + 1, i] = h[i + 1] / 6
    F = np.linalg.solve(B, D)
    return np.vstack([np.zeros(k), F, np.zeros(k)]), D.T @ F


def cr_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The cubic regression spline basis (rows x knots), parameterised by the values of
    the function at the knots (Wood 2017, section 5.3.1); linear beyond the end knots."""
    x = np.asarray(x, dtype=float)
    k = len(knots)
    h = np.diff(knots)
    Fp, _ = _spline_algebra(knots)
    X = np.zeros((len(x), k))
    rows = np.arange(len(x))
    j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, k - 2)
    xi = np.clip(x, knots[0], knots[-1])
    left, right, hj = knots[j], knots[j + 1], h[j]
    X[rows, j] += (right - xi) / hj
    X[rows, j + 1] += (xi - left) / hj
    cm = ((right - xi) ** 3 / hj - hj * (right - xi)) / 6
    cp = ((xi - left) ** 3 / hj - hj * (xi - left)) / 6
    X += cm[:, None] * Fp[j] + cp[:, None] * Fp[j + 1]
    # Beyond the end knots: the tangent line at the end knot.
    slope_lo = np.zeros(k)
    slope_lo[:2] = [-1 / h[0], 1 / h[0]]
    slope_lo += -h[0] / 3 * Fp[0] - h[0] / 6 * Fp[1]
    slope_hi = np.zeros(k)
    slope_hi[-2:] = [-1 / h[-1], 1 / h[-1]]
    slope_hi += h[-1] / 6 * Fp[-2] + h[-1] / 3 * Fp[-1]
    below, above = x < knots[0], x > knots[-1]
    X[below] += (x[below] - knots[0])[:, None] * slope_lo
    X[above] += (x[above] - knots[-1])[:, None] * slope_hi
    return X


@dataclass(frozen=True, eq=False)
class SmoothBasis:
    """The penalised columns of a fitted smooth: ``cr_basis(x, knots) @ transform``."""

    knots: np.ndarray
    transform: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, k: int) -> SmoothBasis:
        """Knots, sum-to-zero constraint and penalty eigendecomposition on the data ``x``."""
        knots = place_knots(x, k)
        X = cr_basis(x, knots)
        _, S = _spline_algebra(knots)
        # Null space of the constraint 1'X b = 0 (mgcv absorbs it by a QR step as well).
        q, _ = np.linalg.qr(X.sum(axis=0)[:, None], mode="complete")
        C = q[:, 1:]
        values, vectors = np.linalg.eigh(C.T @ S @ C)
        penalised = values > 1e-9 * values.max()
        transform = C @ (vectors[:, penalised] / np.sqrt(values[penalised]))
        # Order the directions from the smoothest (smallest eigenvalue) up; one scale.
        transform = transform / np.mean(np.std(X @ transform, axis=0))
        return cls(knots=knots, transform=transform)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return cr_basis(x, self.knots) @ self.transform


@dataclass(frozen=True, eq=False)
class SmoothFactor:
    """The "factor" of a smooth's :class:`~hiermodels.design.GroupDesign`.

    Its data columns enter through the fixed part (the linear term), so ``used_columns``
    is empty: they are not grouping columns.
    """

    smooth: Smooth
    basis: SmoothBasis
    #: With ``by=g``: the level of ``g`` whose smooth this is, and all of ``g``'s levels.
    level: str | None = None
    by_levels: tuple[str, ...] | None = None
    #: The least-squares line ``(intercept, slope)`` of each penalised column over the
    #: fitted rows (of the level), subtracted from the column; shape (2, k - 2).
    line: np.ndarray | None = None

    def weights(self, x: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """The penalised columns at ``x``, 0 outside the level's ``rows`` (``by``)."""
        columns = self.basis(x)
        if self.line is not None:
            columns = columns - np.column_stack([np.ones_like(x), x]) @ self.line
        return columns if rows is None else columns * rows[:, None]

    def with_line(self, x: np.ndarray, rows: np.ndarray | None) -> SmoothFactor:
        """This factor with the line of its columns over the (level's) rows of ``x``.

        The fixed part holds the smooth's straight line (``x``, or ``x:g`` with the
        level's intercept), which is not penalised. Taking the data's best line out of
        the penalised columns changes the model only through the weak priors of that
        line, and makes the penalised coefficients uncorrelated with the slope in the
        likelihood: without it the slope and the smooth's SD form a funnel that NUTS
        follows badly when the curve is nearly straight.
        """
        keep = slice(None) if rows is None else rows > 0
        line_x = np.column_stack([np.ones_like(x), x])[keep]
        line, *_ = np.linalg.lstsq(line_x, self.basis(x)[keep], rcond=None)
        return dataclasses.replace(self, line=line)

    @property
    def name(self) -> str:
        """``s(x)``, or with ``by=g`` the smooth of one level: ``s(x, by=g)[a]``."""
        return self.smooth.name if self.level is None else f"{self.smooth.name}[{self.level}]"

    @property
    def text(self) -> str:
        return self.name

    @property
    def used_columns(self) -> tuple[str, ...]:
        return ()


def is_smooth_group(g: GroupDesign) -> bool:
    """Whether the factor ``g`` is the penalised part of a smooth."""
    return isinstance(g.factor, SmoothFactor)


def group_sd_slot(g: GroupDesign, term: str) -> str:
    """The prior slot of a factor's SD: ``sds|s(x)`` (``sds|s(x, by=g)|a`` per level of
    ``by``) for a smooth, ``sd|g|term`` otherwise."""
    if not is_smooth_group(g):
        return naming.sd_slot(g.name, term)
    factor = g.factor
    return f"sds|{factor.smooth.name}" + ("" if factor.level is None else f"|{factor.level}")


def _x_values(frame: pd.DataFrame, smooth: Smooth) -> np.ndarray:
    column = frame[smooth.x]
    kind = column.dtype.kind
    if kind not in "iuf" or isinstance(column.dtype, pd.CategoricalDtype):
        examples = list(pd.unique(column.astype(object)))[:3]
        raise DataError(
            f"{smooth.name} smooths a numeric column, but {smooth.x!r} holds "
            f"{column.dtype} values such as {examples}. A categorical predictor takes a "
            f"fixed term or a group term instead, e.g. '+ {quote(smooth.x)}' or "
            f"'+ (1 | {quote(smooth.x)})'."
        )
    x = column.to_numpy(dtype=float)
    distinct = len(np.unique(x))
    if distinct < 2:
        raise DataError(
            f"{smooth.name}: the column {smooth.x!r} is constant ({x[0]:g} in every row); "
            "there is no curve to estimate. Drop the smooth."
        )
    if smooth.k > distinct:
        raise DataError(
            f"{smooth.name} has k={smooth.k} basis functions but {smooth.x!r} has only "
            f"{distinct} distinct values; a basis needs at most one function per distinct "
            f"value. Lower k (k={distinct} at most), e.g. s({quote(smooth.x)}, k={distinct})."
        )
    return x


def _by_labels(frame: pd.DataFrame, smooth: Smooth) -> tuple[np.ndarray, list[str]]:
    column = frame[smooth.by]
    numeric = column.dtype.kind in "iuf" and not isinstance(column.dtype, pd.CategoricalDtype)
    if numeric:
        raise DataError(
            f"{smooth.name}: by= takes a categorical column (one smooth per level), but "
            f"{smooth.by!r} holds {column.dtype} numbers. Make it categorical first, e.g. "
            f"data[{smooth.by!r}] = data[{smooth.by!r}].astype(str)."
        )
    labels, levels = level_labels(column)
    if len(levels) < 2:
        raise DataError(
            f"{smooth.name}: the by= column {smooth.by!r} has one level ({levels[0]!r}); "
            f"write s({quote(smooth.x)}) instead."
        )
    return labels, levels


def _in_level(labels: np.ndarray, factor: SmoothFactor) -> np.ndarray:
    """1.0 for the rows of ``factor``'s level of ``by``, else 0.0."""
    unseen = sorted(set(labels) - set(factor.by_levels))
    if unseen:
        raise DataError(
            f"{factor.smooth.name}: the by= column {factor.smooth.by!r} holds level(s) "
            f"{unseen} that the fit did not have; its smooths exist for "
            f"{list(factor.by_levels)}."
        )
    return (labels == factor.level).astype(float)


def _group(factor: SmoothFactor, x: np.ndarray, rows: np.ndarray | None) -> GroupDesign:
    """The factor of one smooth; with ``by``, its basis is 0 outside its level's ``rows``."""
    weights = factor.weights(x, rows)
    m = weights.shape[1]
    return GroupDesign(
        name=factor.name,
        levels=tuple(str(i) for i in range(1, m + 1)),
        terms=(naming.INTERCEPT,),
        blocks=((0,),),
        Z=np.ones((len(x), 1)),
        codes=np.tile(np.arange(m), (len(x), 1)),
        weights=weights,
        factor=factor,
        term_specs=(),
    )


def smooth_groups(frame: pd.DataFrame, smooth: Smooth) -> tuple[GroupDesign, ...]:
    """The penalised part of ``smooth`` on the (checked) model frame ``frame``: one factor,
    or with ``by=g`` one factor per level of ``g`` (each its own SD)."""
    x = _x_values(frame, smooth)
    basis = SmoothBasis.fit(x, smooth.k)
    if smooth.by is None:
        return (_group(SmoothFactor(smooth, basis).with_line(x, None), x, None),)
    labels, levels = _by_labels(frame, smooth)
    groups = []
    for level in levels:
        factor = SmoothFactor(smooth, basis, level, tuple(levels))
        rows = _in_level(labels, factor)
        groups.append(_group(factor.with_line(x, rows), x, rows))
    return tuple(groups)


def new_smooth_group(g: GroupDesign, data: pd.DataFrame) -> GroupDesign:
    """The smooth factor ``g`` of a fit, evaluated on new rows with the fit's basis."""
    factor: SmoothFactor = g.factor
    x = data[factor.smooth.x].to_numpy(dtype=float)
    rows = None
    if factor.level is not None:
        rows = _in_level(level_labels(data[factor.smooth.by])[0], factor)
    weights = factor.weights(x, rows)
    codes = np.tile(np.arange(g.n_levels), (len(x), 1))
    return dataclasses.replace(g, Z=np.ones((len(x), 1)), weights=weights, codes=codes)


def smooth_designs(
    frame: pd.DataFrame, fixed: str, formula: str = ""
) -> tuple[str, tuple[GroupDesign, ...]]:
    """The fixed text with each smooth replaced by its linear part, and the smooths' factors.

    ``s(x)`` leaves the column ``x`` in the fixed part, ``s(x, by=g)`` the slopes ``x:g``.
    """
    rest, smooths = split_smooths(fixed, formula)
    if not smooths:
        return fixed, ()
    groups = tuple(g for s in smooths for g in smooth_groups(frame, s))
    linear = [quote(s.x) if s.by is None else f"{quote(s.x)}:{quote(s.by)}" for s in smooths]
    return " + ".join([rest, *dict.fromkeys(linear)]), groups
