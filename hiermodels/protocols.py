"""What the analysis and study layers read from a fitted model.

:class:`FitLike` and :class:`ModelLike` are structural types: ``hm.Fit`` and
``hm.Model`` satisfy them without importing this module, and this module imports
neither, so that the layers below the facades never reach up to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd
import xarray as xr

__all__ = ["FitLike", "ModelLike"]


class ModelLike(Protocol):
    """The parts of a :class:`hiermodels.Model` that analyses read."""

    spec: Any
    design: Any
    priors: Mapping[str, object]

    @property
    def formula(self) -> str: ...

    @property
    def data(self) -> pd.DataFrame: ...

    @property
    def parameterization(self) -> dict[str, str]: ...

    @classmethod
    def from_recipe(cls, recipe: Any, data: pd.DataFrame | None = None) -> ModelLike: ...


class FitLike(Protocol):
    """The parts of a :class:`hiermodels.Fit` that analyses read."""

    idata: xr.DataTree
    model: ModelLike

    @property
    def spec(self) -> Any: ...

    @property
    def design(self) -> Any: ...

    @property
    def formula(self) -> str: ...

    @property
    def posterior(self) -> xr.Dataset: ...
