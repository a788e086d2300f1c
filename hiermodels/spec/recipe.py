"""A model's recipe: what another process needs to build the same :class:`hiermodels.Model`.

PyMC models do not pickle, and they must not be unpickled in a worker before the
worker has its own compile folder (see :mod:`hiermodels.parallel`). Tasks that run in
other processes get a :class:`ModelRecipe` instead: the formula, the rows and columns
the model uses, the family, the link, the user's priors and the resolved
parameterisation. ``hm.Model.from_recipe(recipe)`` gives the same model (the one
path that rebuilds a model: persistence, k-fold refits, the pooling study, SBC). Since
the parameterisation is fixed, ``"auto"`` is not decided again.

This module imports neither pandas nor the model at import time, so that the layers
below :class:`hiermodels.Model` can make recipes.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep, parameterization="centered")
>>> recipe = ModelRecipe.of(model)
>>> recipe.parameterization
(('Subject', 'centered'),)
>>> rebuilt = hm.Model.from_recipe(recipe)
>>> rebuilt.formula == model.formula, rebuilt.priors == model.priors
(True, True)
>>> recipe.key == ModelRecipe.of(rebuilt).key
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from hiermodels.spec.priors import Prior

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ModelRecipe"]


@dataclass(frozen=True, eq=False)
class ModelRecipe:
    """The picklable recipe of a :class:`hiermodels.Model` (see the module docstring).

    Attributes
    ----------
    formula
        The formula in normal form.
    data
        The rows and columns the model uses (``model.data``).
    family, link
        As resolved by the model.
    priors
        The priors the user set, as ``(key, prior)`` pairs; the defaults follow from
        ``data`` again.
    parameterization
        ``(factor, "centered" | "non_centered")`` pairs, or ``"auto"`` (a recipe of a
        model not built yet: the pilot decides when it is built).
    data2
        ``(name, matrix)`` pairs of the model's ``data2`` (``gr(g, cov=K)``).
    """

    formula: str
    data: pd.DataFrame
    family: str
    link: str | None
    priors: tuple[tuple[str, Prior | float], ...]
    parameterization: tuple[tuple[str, str], ...] | str
    data2: tuple[tuple[str, object], ...] = ()
    #: ``(parameter, right-hand side)`` of each distributional formula.
    distributional: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, model) -> ModelRecipe:
        """The recipe of ``model`` (a :class:`hiermodels.Model`)."""
        return cls(
            formula=model.formula,
            data=model.data,
            family=model.family,
            link=model.link,
            priors=tuple(model.spec.priors),
            parameterization=tuple(sorted(model.parameterization.items())),
            data2=tuple(sorted(getattr(model, "data2", {}).items())),
            distributional=tuple((f.parameter, f.rhs) for f in model.spec.distributional),
        )

    @cached_property
    def key(self) -> str:
        """A digest of everything in the recipe: equal keys build equal models."""
        import numpy as np
        import pandas as pd

        digest = hashlib.sha256()
        for text in (self.formula, self.family, str(self.link), repr(self.priors)):
            digest.update(text.encode() + b"\0")
        digest.update(repr(self.parameterization).encode() + b"\0")
        for name, matrix in self.data2:  # gr(g, cov=K): the matrices, labels included
            labels = [list(getattr(matrix, axis, [])) for axis in ("index", "columns")]
            digest.update(f"{name}\0{labels!r}\0".encode())
            digest.update(np.ascontiguousarray(matrix, dtype=float).tobytes() + b"\0")
        if self.distributional:
            digest.update(repr(self.distributional).encode() + b"\0")
        digest.update(repr([(str(c), str(t)) for c, t in self.data.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(self.data, index=True).to_numpy().tobytes())
        return digest.hexdigest()
