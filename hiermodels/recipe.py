"""``ModelRecipe`` with its ``build()`` method, for callers that import it from here.

The recipe itself is :class:`hiermodels.spec.recipe.ModelRecipe`; new code rebuilds a
model with :meth:`hiermodels.Model.from_recipe`.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep, parameterization="centered")
>>> ModelRecipe.of(model).build().parameterization
{'Subject': 'centered'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hiermodels.spec import recipe as _spec

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.model import Model

__all__ = ["ModelRecipe"]


class ModelRecipe(_spec.ModelRecipe):
    """A :class:`hiermodels.spec.recipe.ModelRecipe` that can build its model."""

    def build(self) -> Model:
        """A new :class:`hiermodels.Model` from the recipe (not yet compiled)."""
        # Imported here, not above: recipes are unpickled in worker processes before
        # hiermodels.parallel gives them their compile folder, and the model loads PyTensor.
        from hiermodels.model import Model

        return Model.from_recipe(self)
