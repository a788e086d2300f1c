"""nutpie, imported without the ``arviz`` meta-package, and its trace as a DataTree.

``nutpie.sample`` imports ``arviz`` at module level, and only calls it to turn its trace
into a DataTree. The meta-package imports ``arviz_stats`` (with ``scipy.stats``) and
``arviz_plots`` (with ``matplotlib.pyplot``): measured here, 1.2 s of a fresh process's
first fit, more than the import of PyMC. hiermodels needs neither to sample, so:

- :func:`import_nutpie` imports nutpie with an on-demand stand-in for ``arviz``: a module
  object whose attributes come from the real ``arviz``, imported the first time one is
  read. The stand-in is in ``sys.modules`` only while nutpie imports; afterwards
  ``import arviz`` anywhere gives the real package, as before. nutpie's own conversion
  (a ``zarr_store``, or a direct ``nutpie.sample`` call) reaches the real ``arviz``
  through the stand-in's attributes.
- :func:`sample_tree` asks ``nutpie.sample`` for its raw trace and builds the
  ``posterior`` and ``sample_stats`` groups with ``arviz_base.from_dict``, as nutpie does:
  the same variables, dims, coordinates and values (``tests/test_nutpie_trace.py``
  compares the two, divergences included).

Examples
--------
>>> nutpie = import_nutpie()
>>> callable(nutpie.sample)
True
"""

from __future__ import annotations

import importlib
import json
import sys
import types

import numpy as np

__all__ = ["import_nutpie", "sample_tree"]

#: Columns of nutpie's sample stats kept only when a setting asks for them (the setting's
#: path in ``settings.as_dict()["settings"]``).
_STORED_ON_REQUEST = {
    ("store_gradient",): ("gradient",),
    ("store_unconstrained",): ("unconstrained_draw",),
    ("adapt_options", "mass_matrix_options", "store_mass_matrix"): (
        "mass_matrix_inv",
        "mass_matrix_eigvals",
        "mass_matrix_stds",
    ),
    ("store_divergences",): (
        "divergence_start",
        "divergence_end",
        "divergence_momentum",
        "divergence_start_gradient",
    ),
    ("store_transformed",): (
        "transformed_position",
        "transformed_gradient",
        "transformation_mu",
    ),
}


class _ArvizOnDemand(types.ModuleType):
    """Stands in for ``arviz`` in nutpie's namespace; imports it when first read."""

    def __getattr__(self, name: str):
        return getattr(importlib.import_module("arviz"), name)


def import_nutpie():
    """The ``nutpie`` module, imported without running the ``arviz`` meta-package."""
    if "nutpie" in sys.modules or "arviz" in sys.modules:
        return importlib.import_module("nutpie")
    stand_in = _ArvizOnDemand("arviz")
    sys.modules["arviz"] = stand_in
    try:
        return importlib.import_module("nutpie")
    finally:
        if sys.modules.get("arviz") is stand_in:
            del sys.modules["arviz"]


def sample_tree(compiled, **kwargs):
    """``nutpie.sample(compiled, **kwargs)``: the ``posterior`` and ``sample_stats``
    groups of its DataTree, built from nutpie's raw trace without ``arviz``.

    With a ``zarr_store`` nutpie's own conversion runs (it reads the store back).
    """
    import xarray as xr

    nutpie = import_nutpie()
    if kwargs.get("zarr_store") is not None:
        tree = nutpie.sample(compiled, **kwargs)
        return xr.DataTree.from_dict({g: tree[g].to_dataset() for g in _GROUPS})
    sampler = nutpie.sample(compiled, **kwargs, blocking=False, return_raw_trace=True)
    try:
        trace = sampler.wait()
    except KeyboardInterrupt:  # as nutpie.sample: keep what was drawn
        trace = sampler.abort()
    except BaseException:
        sampler.cancel()
        raise
    # The settings nutpie sampled with name the stats it stored (another nutpie version
    # without them: the stats it stores by default).
    found = getattr(sampler, "_settings", None)
    settings = found.as_dict() if found is not None else {"settings": {}}
    draws, stats = trace.get_arrow_trace()
    return _tree(draws, stats, compiled, settings)


_GROUPS = ("posterior", "sample_stats")


def _tree(draw_batches, stat_batches, compiled, settings: dict):
    """The DataTree of one trace: a batch of draws and one of stats per chain."""
    import pandas as pd
    from arviz_base import from_dict

    skipped = _skipped_stats(settings["settings"])
    kept = [_after_tuning(stat) for stat in stat_batches]
    posterior, dims = _stack([d.slice(*k) for d, k in zip(draw_batches, kept)], set())
    sample_stats, stat_dims = _stack([s.slice(*k) for s, k in zip(stat_batches, kept)], skipped)
    for name in getattr(compiled, "reparameterized_names", None) or ():
        posterior.pop(name, None)
    nutpie = import_nutpie()
    attrs = {
        "inference_library": "nutpie",
        "inference_library_version": nutpie.__version__,
        "inference_library_settings": json.dumps(settings),
    }
    return from_dict(
        {"posterior": posterior, "sample_stats": sample_stats},
        dims={**dims, **stat_dims},
        coords={name: pd.Index(values) for name, values in compiled.coords.items()},
        attrs={"sample_stats": attrs},
    )


def _skipped_stats(settings: dict) -> set[str]:
    skipped = set()
    for path, names in _STORED_ON_REQUEST.items():
        value = settings
        for key in path:
            value = value.get(key, False) if isinstance(value, dict) else False
        if not value:
            skipped.update(names)
    return skipped


def _after_tuning(stat_batch) -> tuple[int, int]:
    """(offset, length) of the draws after tuning in one chain's batch."""
    import pyarrow as pa

    tuning = int(np.sum(pa.array(stat_batch.column("tuning")).to_numpy(zero_copy_only=False)))
    return tuning, stat_batch.num_rows - tuning


def _stack(batches, skipped: set[str]) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Each column of the chains' batches as one array (chain, draw, *shape). Rows a chain
    lacks (a shorter chain, a missing value) are filled by dtype as nutpie fills them."""
    length = max((b.num_rows for b in batches), default=0)
    out: dict[str, np.ndarray] = {}
    dims: dict[str, list[str]] = {}
    for chain, batch in enumerate(batches):
        for name in batch.column_names:
            if name in skipped:
                continue
            values, missing, shape, item_dims = _column(batch.column(name))
            if name not in out:
                out[name] = _filled((len(batches), length, *shape), values.dtype)
                dims[name] = item_dims
            rows = out[name][chain, : batch.num_rows]
            rows[~missing] = values.reshape(-1, *shape)
    return out, dims


def _column(column):
    """A column's present values (flattened), its missing rows, item shape and dims."""
    import pyarrow as pa

    meta = column.field.metadata or {}
    shape = tuple(int(s) for s in _listed(meta.get(b"shape")))
    item_dims = _listed(meta.get(b"dims"))
    array = pa.array(column)
    missing = array.is_null().to_numpy(zero_copy_only=False)
    present = array.drop_null()
    if pa.types.is_list(present.type) or pa.types.is_large_list(present.type):
        present = present.flatten()
    values = present.to_numpy(zero_copy_only=False)
    dtype = np.dtype(present.type.to_pandas_dtype())
    return values.astype(dtype, copy=False), missing, shape, item_dims


def _listed(value: bytes | None) -> list[str]:
    return [part for part in (value or b"").decode("utf-8").split(",") if part]


def _filled(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f":
        return np.full(shape, np.nan, dtype=dtype)
    if dtype.kind == "O":
        return np.full(shape, None, dtype=dtype)
    return np.zeros(shape, dtype=dtype)
