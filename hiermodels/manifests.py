"""Manifests of compiled models: what :mod:`hiermodels.cached_entry` needs, beside
numba's cached wrappers, to rebuild nutpie's compiled model without PyTensor.

A manifest is a small JSON file named by the key of the PyMC model's graph
(:func:`hiermodels.graph_key.graph_key` of its log density and its deterministic values,
with the library versions and the compile flags). It holds the layout of the parameter
vector and of the stored values, the names of the data containers in the order the
wrappers read them, and PyTensor's cache keys of the two compiled graphs. It lives in
PyTensor's compile folder (``base_compiledir``), beside numba's cache.

Examples
--------
>>> import numpy as np, pymc as pm
>>> with pm.Model() as model:
...     y = pm.Data("y", np.array([0.1, -0.3]))
...     mu = pm.Normal("mu")
...     _ = pm.Normal("obs", mu, 1.0, observed=y)
>>> len(model_key(model, "1"))
64
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from hiermodels.graph_key import graph_key
from hiermodels.nutpie_trace import import_nutpie

__all__ = ["data_containers", "load", "model_key", "parts", "record", "save"]


def _folder() -> Path:
    import pytensor

    return Path(pytensor.config.base_compiledir) / "hiermodels_manifests"


def model_key(model, version: str) -> str | None:
    """The key of a PyMC model's compiled form: its graphs, versions and flags."""
    import numba
    import pymc
    import pytensor

    nutpie = import_nutpie()

    config = pytensor.config
    extra = (
        version,
        pytensor.__version__,
        pymc.__version__,
        nutpie.__version__,
        numba.__version__,
        f"fastmath={config.numba__fastmath} floatX={config.floatX}",
        f"check_bounds={model.check_bounds}",
        repr([var.name for var in model.value_vars]),
    )
    return graph_key([model.logp(), *model.unobserved_value_vars], extra=extra)


def _path(key: str) -> Path:
    return _folder() / f"{key}.json"


def load(key: str | None) -> dict | None:
    """The manifest saved under ``key``, or None."""
    if key is None:
        return None
    try:
        return json.loads(_path(key).read_text())
    except (OSError, ValueError):
        return None


def save(key: str | None, manifest: dict | None) -> None:
    """Write a manifest atomically (another process may read or write the same key)."""
    if key is None or manifest is None:
        return
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{key}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest))
    os.replace(temporary, _path(key))


def _named(model, name):
    var = model.named_vars.get(name)
    return var if var is not None else model.dim_lengths.get(name)


def record(model, parts: dict, keys: dict, logp_keys, expand_keys, logp_key, expand_key):
    """A manifest of a compiled model, or None when a data container cannot be found
    again by its name (then the model is not recorded)."""
    names = [var.name for var in keys]
    found = [_named(model, name) for name in names]
    if len(set(names)) != len(names) or any(f is not v for f, v in zip(found, keys, strict=True)):
        return None
    names_info, slices, shapes = parts["shape_info"]
    return {
        "n_dim": int(parts["n_dim"]),
        "n_expanded": int(parts["n_expanded"]),
        "n_joined": len(model.free_RVs),
        "names": list(names_info),
        "slices": [[int(s.start), int(s.stop)] for s in slices],
        "shapes": [[int(n) for n in np.asarray(shape).reshape(-1)] for shape in shapes],
        "renamed": list(parts["renamed"]),
        "data": names,
        "logp": list(logp_keys),
        "expand": list(expand_keys),
        "logp_key": logp_key,
        "expand_key": expand_key,
    }


def parts(manifest: dict) -> dict:
    """The layout of a manifest as :func:`record` took it."""
    shape_info = (
        list(manifest["names"]),
        [slice(a, b) for a, b in manifest["slices"]],
        [np.array(shape, dtype=int) for shape in manifest["shapes"]],
    )
    return {
        "n_dim": manifest["n_dim"],
        "n_expanded": manifest["n_expanded"],
        "n_joined": manifest["n_joined"],
        "shape_info": shape_info,
        "renamed": list(manifest["renamed"]),
    }


def data_containers(model, names: list[str]) -> list | None:
    """The model's data containers (and dim lengths) by name, or None if one is missing."""
    found = [_named(model, name) for name in names]
    return None if any(var is None or not hasattr(var, "get_value") for var in found) else found
