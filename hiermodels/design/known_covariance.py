"""The known covariance of a ``gr(g, cov=K)`` factor: checks of ``K`` and its Cholesky root.

``K`` comes in ``data2`` (``hm.Model(..., data2={"K": K})``) as either

- a pandas DataFrame whose index and columns are the level labels (the same labels, in
  any order; numbers match the labels hiermodels gives the levels, so ``1`` and ``1.0``
  match the level ``"1"``). It may hold levels without rows in the data: the model uses
  the rows and columns of the levels in the data (the marginal distribution of those
  levels, so the model is the same), and ``predict`` uses the others for new levels,
  conditional on the fitted ones. Or
- a NumPy array (or nested lists) of shape ``(J, J)``, ``J`` the number of levels, in the
  order of ``model.design.group("g").levels``: the categories of a pandas Categorical,
  otherwise the sorted labels. It cannot name extra levels.

Each check raises a :class:`~hiermodels.errors.DataError` (or a
:class:`~hiermodels.errors.SpecError` for ``data2`` itself) that names the problem: not
a matrix, not square, not numeric or not finite, not symmetric, repeated or missing level
names, not positive definite.

Examples
--------
>>> import numpy as np, pandas as pd
>>> K = pd.DataFrame([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]],
...                  index=["b", "a", "c"], columns=["b", "a", "c"])
>>> cov = known_covariance(K, ("a", "b"), name="K", factor="g")
>>> cov.labels, cov.n_fitted
(('a', 'b', 'c'), 2)
>>> np.allclose(cov.chol @ cov.chol.T, [[1.0, 0.5], [0.5, 1.0]])
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiermodels.errors import DataError, SpecError
from hiermodels.spec.known_covariance import KnownCovarianceFactor

__all__ = [
    "KnownCovariance",
    "attach_known_covariances",
    "check_data2",
    "known_covariance",
    "known_covariance_factors",
    "refuse_known_covariance",
]

#: Relative tolerance of the symmetry check, ``|K - K'| <= tol * max|K|``.
SYMMETRY_TOLERANCE = 1e-8
#: ``K`` is positive definite when its smallest eigenvalue exceeds this share of its
#: largest (a smaller one makes the Cholesky root numerically meaningless).
DEFINITENESS_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class KnownCovariance:
    """A checked known covariance among the levels of one factor.

    Attributes
    ----------
    name
        Its key in ``data2``.
    labels
        Every level ``K`` names: the fitted levels first (in the factor's order), then
        those without rows in the data.
    matrix
        ``K`` with rows and columns in the order of ``labels``.
    chol
        The lower Cholesky factor of the fitted levels' block, ``matrix[:J, :J]``.
    """

    name: str
    labels: tuple[str, ...]
    matrix: np.ndarray
    chol: np.ndarray

    @property
    def n_fitted(self) -> int:
        return self.chol.shape[0]


def check_data2(data2: object) -> dict[str, object]:
    """``data2`` as a dict (``{}`` for ``None``); a :class:`SpecError` for anything else."""
    if data2 is None:
        return {}
    if not isinstance(data2, Mapping) or not all(isinstance(k, str) for k in data2):
        raise SpecError(
            "data2 must be a dict of name -> matrix, e.g. data2={'K': K} for "
            f"(1 | gr(g, cov=K)); got {type(data2).__name__}."
        )
    return dict(data2)


def _label(value: object) -> str:
    """A level label as :func:`hiermodels.design.level_label` writes it."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_frame(K: object, levels: tuple[str, ...], where: str) -> pd.DataFrame:
    """``K`` as a numeric DataFrame labelled by level (rows and columns in one order)."""
    if isinstance(K, pd.DataFrame):
        rows = [_label(v) for v in K.index]
        cols = [_label(v) for v in K.columns]
        for what, names in (("row", rows), ("column", cols)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise DataError(f"{where} repeats the {what} name(s) {repeated[:10]}.")
        if K.shape[0] != K.shape[1]:
            raise DataError(f"{where} must be square; it has shape {K.shape}.")
        if set(rows) != set(cols):
            only = sorted(set(rows) ^ set(cols))[:10]
            raise DataError(
                f"{where} must name the same levels in its index and its columns; "
                f"{only} appear in only one of them."
            )
        frame = K.set_axis(rows, axis=0).set_axis(cols, axis=1)[rows]
    else:
        if isinstance(K, str | bytes | Mapping) or not hasattr(K, "__len__"):
            raise DataError(
                f"{where} must be a pandas DataFrame labelled by level or a square NumPy "
                f"array; got {type(K).__name__}."
            )
        try:
            array = np.asarray(K, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"{where} must hold numbers; it holds {K!r:.80}.") from None
        if array.ndim != 2 or array.shape[0] != array.shape[1]:
            raise DataError(f"{where} must be a square matrix; it has shape {array.shape}.")
        if array.shape[0] != len(levels):
            raise DataError(
                f"{where} is a {array.shape[0]} x {array.shape[0]} array, but the factor has "
                f"{len(levels)} levels; an array's rows and columns are the levels in the "
                "model's order (categories of a Categorical, otherwise sorted labels). Pass "
                "a DataFrame with the level names as index and columns to name them."
            )
        frame = pd.DataFrame(array, index=list(levels), columns=list(levels))
    try:
        frame = frame.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{where} must hold numbers only.") from None
    if not np.isfinite(frame.to_numpy()).all():
        bad = frame.index[~np.isfinite(frame.to_numpy()).all(axis=1)].tolist()
        raise DataError(f"{where} holds missing or infinite values in the rows {bad[:10]}.")
    return frame


def known_covariance(
    K: object, levels: tuple[str, ...], *, name: str, factor: str
) -> KnownCovariance:
    """Check ``K`` for the factor ``factor`` with ``levels``; see the module docstring."""
    where = f"data2[{name!r}] (the covariance of gr({factor}, cov={name}))"
    frame = _as_frame(K, levels, where)
    missing = [lv for lv in levels if lv not in frame.index]
    if missing:
        raise DataError(
            f"{where} lacks {len(missing)} level(s) of {factor!r} that the data hold: "
            f"{missing[:10]}{' ...' if len(missing) > 10 else ''}. Every level needs a row "
            f"and a column; K names e.g. {frame.index[:5].tolist()}."
        )
    extra = [lv for lv in frame.index if lv not in set(levels)]
    order = [*levels, *extra]
    matrix = frame.loc[order, order].to_numpy()
    scale = float(np.abs(matrix).max())
    asym = np.abs(matrix - matrix.T)
    if asym.max() > SYMMETRY_TOLERANCE * scale:
        i, j = np.unravel_index(int(asym.argmax()), asym.shape)
        raise DataError(
            f"{where} is not symmetric: K[{order[i]!r}, {order[j]!r}] = {matrix[i, j]:.6g} "
            f"but K[{order[j]!r}, {order[i]!r}] = {matrix[j, i]:.6g}."
        )
    matrix = (matrix + matrix.T) / 2
    eig = np.linalg.eigvalsh(matrix)
    if eig[0] <= DEFINITENESS_TOLERANCE * max(eig[-1], 0.0) or eig[-1] <= 0:
        raise DataError(
            f"{where} is not positive definite: its smallest eigenvalue is {eig[0]:.3g} "
            f"(largest {eig[-1]:.3g}). Duplicated or fully determined levels (e.g. clones, "
            "identical twins) make K singular; merge them or add a small value to the "
            "diagonal (K + 1e-6 I)."
        )
    J = len(levels)
    chol = np.linalg.cholesky(matrix[:J, :J])
    return KnownCovariance(name=name, labels=tuple(order), matrix=matrix, chol=chol)


def attach_known_covariances(groups: tuple, data2: object) -> tuple:
    """``groups`` (GroupDesigns) with the checked ``K`` of each ``gr(g, cov=K)`` factor."""
    data2 = check_data2(data2)
    out = []
    for g in groups:
        if isinstance(g.factor, KnownCovarianceFactor):
            key = g.factor.cov
            if key not in data2:
                raise SpecError(
                    f"The term gr({g.factor.name}, cov={key}) needs the matrix {key!r} in "
                    f"data2: hm.Model(..., data2={{{key!r}: K}}); data2 holds "
                    f"{sorted(data2) or 'nothing'}."
                )
            cov = known_covariance(data2[key], g.levels, name=key, factor=g.name)
            g = dataclasses.replace(g, covariance=cov)
        out.append(g)
    return tuple(out)


def known_covariance_factors(design) -> list[str]:
    """Names of the design's factors with a known covariance (``gr(g, cov=K)``)."""
    return [g.name for g in design.groups if getattr(g, "covariance", None) is not None]


def refuse_known_covariance(design, what: str, instead: str) -> None:
    """A :class:`SpecError` when ``design`` has a ``gr(g, cov=K)`` factor ``what`` cannot fit."""
    names = known_covariance_factors(design)
    if names:
        raise SpecError(
            f"{what} treats the levels of each factor as independent; the factor(s) "
            f"{names} have a known covariance (gr(..., cov=...)). {instead}"
        )
