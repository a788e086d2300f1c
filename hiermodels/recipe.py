"""A model's recipe: what another process needs to build the same :class:`hiermodels.Model`.

PyMC models do not pickle, and they must not be unpickled in a worker before the
worker has its own compile folder (see :mod:`hiermodels.parallel`). Tasks that run in
other processes get a :class:`ModelRecipe` instead: the formula, the rows and columns
the model uses, the family, the link, the user's priors and the resolved
parameterisation. :meth:`ModelRecipe.build` gives the same model. Since the
parameterisation is fixed, ``"auto"`` is not decided again.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep, parameterization="centered")
>>> recipe = ModelRecipe.of(model)
>>> recipe.parameterization
(('Subject', 'centered'),)
>>> rebuilt = recipe.build()
>>> rebuilt.formula == model.formula, rebuilt.priors == model.priors
(True, True)
>>> recipe.key == ModelRecipe.of(rebuilt).key
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from hiermodels.spec.priors import Prior

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
        ``(factor, "centered" | "non_centered")`` pairs.
    """

    formula: str
    data: pd.DataFrame
    family: str
    link: str
    priors: tuple[tuple[str, Prior | float], ...]
    parameterization: tuple[tuple[str, str], ...]

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
        )

    def build(self):
        """A new :class:`hiermodels.Model` from the recipe (not yet compiled)."""
        from hiermodels.model import Model

        return Model(
            self.formula,
            self.data,
            family=self.family,
            link=self.link,
            priors=dict(self.priors) or None,
            parameterization=dict(self.parameterization),
        )

    @cached_property
    def key(self) -> str:
        """A digest of everything in the recipe: equal keys build equal models."""
        digest = hashlib.sha256()
        for text in (self.formula, self.family, self.link, repr(self.priors)):
            digest.update(text.encode() + b"\0")
        digest.update(repr(self.parameterization).encode() + b"\0")
        digest.update(repr([(str(c), str(t)) for c, t in self.data.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(self.data, index=True).to_numpy().tobytes())
        return digest.hexdigest()
