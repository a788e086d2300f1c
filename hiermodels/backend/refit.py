"""The data containers of a refit model (``build_model(..., refit_weights=True)``).

A refit model holds every row and level of a model and weights each row's likelihood
by a 0/1 weight held in a data container; with a collapsed factor, its sufficient
statistics are data containers too. :func:`refit_data` gives their values for a choice
of training rows, for ``pm.set_data`` or nutpie's ``with_data``.

Examples
--------
>>> import numpy as np
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
>>> data = refit_data(model.design, np.arange(180) < 90, collapsed="Subject")
>>> data[REFIT_WEIGHTS].sum(), float(data[collapsed_data_name("n_obs")])
(np.float64(90.0), 90.0)
"""

from __future__ import annotations

import numpy as np

from hiermodels import naming
from hiermodels.collapsed import collapsed_statistics
from hiermodels.design import Design

__all__ = [
    "REFIT_WEIGHTS",
    "STATISTICS",
    "collapsed_data",
    "collapsed_data_name",
    "refit_data",
]

#: The data container of the 0/1 row weights of a refit model.
REFIT_WEIGHTS = naming.data_name("refit_weights")

#: The collapsed statistics that a refit model holds in data containers.
STATISTICS = ("ZtZ", "ZtF", "Zty", "FtF", "Fty", "yty", "n_obs")


def collapsed_data_name(what: str) -> str:
    """The data container of one collapsed statistic in a refit model."""
    return naming.data_name(f"collapsed_{what}")


def collapsed_data(stats) -> dict:
    """The collapsed statistics as data containers (in a model's context), by name."""
    import pymc as pm

    return {
        k: pm.Data(collapsed_data_name(k), np.asarray(getattr(stats, k), dtype=float))
        for k in STATISTICS
    }


def refit_data(design: Design, keep: np.ndarray, collapsed: str | None = None) -> dict:
    """The data of a refit model that fits only the rows where ``keep``.

    A mapping of data container names to values: the 0/1 row weights and, with
    ``collapsed`` (the factor integrated out), the statistics of the kept rows.
    """
    weights = np.asarray(keep, dtype=float)
    out = {REFIT_WEIGHTS: weights}
    if collapsed is not None:
        stats = collapsed_statistics(design, collapsed, row_weights=weights)
        out.update({collapsed_data_name(k): np.asarray(getattr(stats, k)) for k in STATISTICS})
    return out
