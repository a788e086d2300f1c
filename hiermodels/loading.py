"""``hm.load``: a saved fit read back, its model rebuilt with ``Model.from_recipe``.

The file format and the writer are in :mod:`hiermodels.persistence`; this module sits
above the model and the fit, which it rebuilds.
"""

from __future__ import annotations

import os
from pathlib import Path

from hiermodels.model import Model
from hiermodels.persistence import check_match, read_fit
from hiermodels.results import Fit

__all__ = ["load"]


def load(path: str | os.PathLike) -> Fit:
    """Load a fit written by :meth:`hiermodels.Fit.save`.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    hiermodels.Fit
        With the saved DataTree and the model rebuilt from the saved formula, data,
        family, link, priors and parameterisation.

    Raises
    ------
    DataError
        If the file is missing, is not a hiermodels fit, or uses another format version.

    Examples
    --------
    >>> path = fit.save("sleep.hmfit")
    >>> same = hm.load("sleep.hmfit")
    >>> bool((same.posterior["b"] == fit.posterior["b"]).all())
    True
    """
    saved = read_fit(path)
    model = Model.from_recipe(saved.recipe)
    idata = saved.idata
    observed = idata["observed_data"].to_dataset() if "observed_data" in idata.children else None
    check_match(model, idata["posterior"].to_dataset(), observed, Path(path))
    return Fit(model=model, idata=idata)
