"""Shared test settings: compile caches stay inside the clone; fitted models are shared."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent
_CACHE = _ROOT / ".cache"
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={_CACHE / 'pytensor'}")
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))
os.environ.setdefault("MPLBACKEND", "Agg")


# ---------------------------------------------------------------- doctests
# The examples in docstrings run as doctests (``--doctest-modules`` in pyproject.toml).
# Those of ``Fit`` methods use ``fit``: one small Gibbs fit of sleepstudy, made once per
# session and only when a doctest runs (Gibbs compiles no PyMC model: about 4 s). Each
# doctest gets its own ``Fit`` over the shared model and draws, so an example that
# reassigns ``fit.idata`` (``posterior_predictive(store=True)``) changes no other
# example, and runs in a temporary folder, so ``fit.save("sleep.hmfit")`` writes there.
DOCTEST_FORMULA = "Reaction ~ 1 + Days + (1 | Subject)"


@pytest.fixture(scope="session")
def doctest_fit():
    import hiermodels as hm

    sleep = hm.datasets.load("sleepstudy")
    return hm.Model(DOCTEST_FORMULA, sleep).fit(
        method="gibbs", draws=500, tune=200, chains=2, random_seed=1, progressbar=False
    )


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import numpy as np
    import pandas as pd

    import hiermodels as hm

    shared = request.getfixturevalue("doctest_fit")
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
    doctest_namespace.update(
        hm=hm, np=np, pd=pd, fit=hm.Fit(model=shared.model, idata=shared.idata)
    )


def _doctest_object(name: str):
    """The object a doctest item is named after (``hiermodels.results.Fit.kfold``)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is not None:
            obj = module
            for part in parts[cut:]:
                obj = getattr(obj, part, None)
            return obj
    return None


def pytest_collectstart(collector):
    """Facade methods are built when first read (``hiermodels.facade``); build those of
    ``Fit`` and ``Model`` before the doctest collector looks for functions in them."""
    if type(collector).__name__ == "DoctestModule" and collector.path.parent.name == "hiermodels":
        if collector.path.name in ("results.py", "model.py"):
            from hiermodels.facade import resolve_facades
            from hiermodels.model import Model
            from hiermodels.results import Fit

            resolve_facades(Fit)
            resolve_facades(Model)


def pytest_collection_modifyitems(config, items):
    """A facade method's docstring is its function's (``hiermodels.facade``): run the
    examples once, as the method's (``hiermodels.results.Fit.kfold``), not again as the
    function's (``hiermodels.analysis.kfold.kfold``)."""
    doctests = [item for item in items if isinstance(item, pytest.DoctestItem)]
    twins = set()
    for item in doctests:
        function = getattr(_doctest_object(item.name), "__facade_of__", None)
        if function is not None:
            twins.add(f"{function.__module__}.{function.__qualname__}")
    items[:] = [item for item in items if item not in doctests or item.name not in twins]
