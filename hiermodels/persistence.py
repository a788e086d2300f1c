"""Save a fit to one file and load it back: ``fit.save(path)`` and ``hm.load(path)``.

The file is a zip archive holding a Zarr (v3) store of the fit's ``xarray.DataTree``
(every group, bit for bit) plus:

- the group ``hiermodels_data``: the model's data (the used columns of the fitted rows,
  with their dtypes, categories and index),
- the group ``hiermodels_data2``, for a model with ``data2`` (``gr(g, cov=K)``): its
  matrices (:mod:`hiermodels.data2_store`), and
- the root attribute ``hiermodels_save``: a JSON document with the format version, the
  formula, family, link, the priors the user set, the parameterisation and the
  column dtypes.

Loading (:func:`hiermodels.loading.load`) rebuilds the :class:`hiermodels.Model` from
formula, data, family, link and priors with ``Model.from_recipe`` (nothing is pickled),
checks that the rebuilt model matches the saved posterior (levels, fixed terms, observed
response) and returns a :class:`hiermodels.Fit` that predicts exactly as the saved one.
Names such as ``r_batch:cask`` or ``r_mm(s1+s2)`` are keys inside the archive, never file
names, so they are safe on every file system.

Examples
--------
With ``fit`` a :class:`hiermodels.Fit` of ``Reaction ~ 1 + Days + (1 | Subject)``:

>>> import hiermodels as hm
>>> path = fit.save("sleep.hmfit")
>>> fit2 = hm.load("sleep.hmfit")
>>> fit2.formula
'Reaction ~ 1 + Days + (1 | Subject)'
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.data2_store import DATA2_GROUP, decode_data2, encode_data2
from hiermodels.errors import DataError
from hiermodels.spec.priors import Prior
from hiermodels.spec.recipe import ModelRecipe
from hiermodels.version import __version__

__all__ = ["FORMAT_VERSION", "SavedFit", "check_match", "read_fit", "save_fit"]

FORMAT = "hiermodels.Fit"
FORMAT_VERSION = 1
META_ATTR = "hiermodels_save"
VERSION_ATTR = "hiermodels_format_version"
DATA_GROUP = "hiermodels_data"
_ROW = "hiermodels_row"


# ---------------------------------------------------------------------- data frames
def _plain_values(values: pd.Series, name: str) -> tuple[np.ndarray, dict]:
    """A non-categorical column as a NumPy array and how to restore its dtype."""
    dtype = values.dtype
    meta = {"dtype": str(dtype)}
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return values.to_numpy(), {**meta, "kind": "numpy"}
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        items = values.tolist()
        if all(isinstance(v, str) for v in items):
            return np.array(items, dtype=str), {**meta, "kind": "str"}
        types = {type(v) for v in items}
        booleans = all(issubclass(t, bool | np.bool_) for t in types)
        numbers = not any(issubclass(t, bool | np.bool_) for t in types) and all(
            issubclass(t, int | float | np.number) for t in types
        )
        if booleans or numbers:
            return np.asarray(items), {**meta, "kind": "object"}
        raise DataError(
            f"Cannot save column {name!r}: it holds values of several types "
            f"{sorted(t.__name__ for t in types)}. Convert it to one type before fitting."
        )
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
        return values.to_numpy(dtype=dtype.numpy_dtype), {**meta, "kind": "extension"}
    raise DataError(f"Cannot save column {name!r} of dtype {dtype}.")


def _restore_plain(array: np.ndarray, meta: dict) -> pd.Series:
    kind = meta["kind"]
    if kind == "numpy":
        return pd.Series(np.asarray(array).astype(meta["dtype"]))
    if kind == "str":
        items = [str(v) for v in np.asarray(array).tolist()]
        return pd.Series(items, dtype=meta["dtype"])
    if kind == "object":
        return pd.Series(np.asarray(array).tolist(), dtype=object)
    return pd.Series(pd.array(np.asarray(array), dtype=meta["dtype"]))


def _encode_series(values: pd.Series, key: str, name: str) -> tuple[dict, dict]:
    """Variables of the data group for one column (or index level), and its metadata."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats, cats_meta = _plain_values(pd.Series(dtype.categories), name)
        variables = {
            key: ((_ROW,), values.cat.codes.to_numpy(dtype=np.int64)),
            f"{key}_categories": ((f"{key}_category",), cats),
        }
        meta = {"kind": "categorical", "ordered": bool(dtype.ordered), "categories": cats_meta}
        return variables, meta
    array, meta = _plain_values(values, name)
    return {key: ((_ROW,), array)}, meta


def _decode_series(ds: xr.Dataset, key: str, meta: dict) -> pd.Series:
    if meta["kind"] == "categorical":
        cats = _restore_plain(ds[f"{key}_categories"].values, meta["categories"])
        dtype = pd.CategoricalDtype(pd.Index(cats), ordered=meta["ordered"])
        return pd.Series(pd.Categorical.from_codes(ds[key].values, dtype=dtype))
    return _restore_plain(ds[key].values, meta)


def _encode_frame(data: pd.DataFrame) -> tuple[xr.Dataset, dict]:
    variables, columns, index = {}, [], []
    for i, col in enumerate(data.columns):
        vars_i, meta = _encode_series(data[col], f"column_{i}", col)
        variables.update(vars_i)
        columns.append({"name": col, "key": f"column_{i}", **meta})
    idx = data.index
    if isinstance(idx, pd.RangeIndex):
        index_meta = {"kind": "range", "start": idx.start, "stop": idx.stop, "step": idx.step}
    else:
        for j in range(idx.nlevels):
            level = pd.Series(idx.get_level_values(j))
            vars_j, meta = _encode_series(level, f"index_{j}", f"index level {j}")
            variables.update(vars_j)
            index.append({"key": f"index_{j}", **meta})
        index_meta = {"kind": "levels", "levels": index}
    index_meta["names"] = [None if n is None else str(n) for n in idx.names]
    return xr.Dataset(variables), {"columns": columns, "index": index_meta}


def _decode_frame(ds: xr.Dataset, meta: dict) -> pd.DataFrame:
    columns = {c["name"]: _decode_series(ds, c["key"], c) for c in meta["columns"]}
    frame = pd.DataFrame(columns)
    index_meta = meta["index"]
    if index_meta["kind"] == "range":
        index = pd.RangeIndex(index_meta["start"], index_meta["stop"], index_meta["step"])
    else:
        levels = [_decode_series(ds, lv["key"], lv) for lv in index_meta["levels"]]
        if len(levels) == 1:
            index = pd.Index(levels[0])
        else:
            index = pd.MultiIndex.from_arrays(levels)
    index = index.set_names(index_meta["names"])
    frame.index = index
    return frame


# ---------------------------------------------------------------------- priors
def _encode_value(value):
    if isinstance(value, Prior):
        return {
            "dist": value.dist,
            "params": {k: np.asarray(v).tolist() for k, v in value.params.items()},
        }
    return {"value": np.asarray(value).tolist()}


def _decode_value(value: dict):
    if "dist" in value:
        return Prior(value["dist"], **value["params"])
    return value["value"]


# ---------------------------------------------------------------------- save
def _metadata(fit, data_meta: dict) -> dict:
    model = fit.model
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hiermodels_version": __version__,
        "formula": model.formula,
        "family": model.family,
        "link": model.link,
        "priors": {k: _encode_value(v) for k, v in model.spec.priors},
        "distributional": {f.parameter: f.rhs for f in model.spec.distributional},
        "resolved_priors": {k: _encode_value(v) for k, v in model.priors.items()},
        "parameterization": {
            g: "centered" if c else "non_centered" for g, c in model.centered.items()
        },
        "groups": list(fit.idata.children),
        "data": data_meta,
    }


def _check_path(path: Path, overwrite: bool) -> None:
    if path.is_dir():
        raise DataError(f"Cannot save to {str(path)!r}: it is a directory; give a file name.")
    if path.exists() and not overwrite:
        raise DataError(f"{str(path)!r} exists; pass overwrite=True to replace it.")
    if not path.parent.is_dir():
        raise DataError(
            f"Cannot save to {str(path)!r}: the folder {str(path.parent)!r} is missing."
        )


def _new_file_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, opened for writing, with the mode of a
    normal new file (0666 less the umask; ``tempfile.mkstemp`` would give 0600)."""
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - a name clash of 48 random bits
            continue
    raise FileExistsError(f"No free temporary name beside {str(path)!r}.")  # pragma: no cover


def save_fit(fit, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save the fit to one file; read it back with :func:`hiermodels.load`.

    The file (a zip holding a Zarr store) keeps the DataTree with all its groups,
    the formula, family, link, priors, parameterisation and the model's data, so a
    loaded fit predicts exactly as this one. See :mod:`hiermodels.persistence`.

    Parameters
    ----------
    path
        Where to write, e.g. ``"sleep.hmfit"``.
    overwrite
        Replace an existing file (default: an existing file is an error).

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> fit.save("sleep.hmfit").name
    'sleep.hmfit'
    >>> same = hm.load("sleep.hmfit")
    >>> same.formula
    'Reaction ~ 1 + Days + (1 | Subject)'
    """
    import zarr

    path = Path(path)
    _check_path(path, overwrite)
    frame, data_meta = _encode_frame(fit.model.data)
    groups = {name: fit.idata[name].to_dataset() for name in fit.idata.children}
    if DATA_GROUP in groups:  # pragma: no cover - the name is reserved
        raise DataError(f"The fit's DataTree already has a group named {DATA_GROUP!r}.")
    groups[DATA_GROUP] = frame
    data2, data2_meta = encode_data2(getattr(fit.model, "data2", {}))  # gr(g, cov=K)
    if data2 is not None:
        groups[DATA2_GROUP] = data2
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {
        **fit.idata.attrs,
        VERSION_ATTR: FORMAT_VERSION,
        META_ATTR: json.dumps({**_metadata(fit, data_meta), "data2": data2_meta}),
    }
    store_dict: dict = {}
    tree.to_zarr(zarr.storage.MemoryStore(store_dict=store_dict), consolidated=False)
    fd, tmp = _new_file_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
                for key in sorted(store_dict):
                    archive.writestr(key, store_dict[key].to_bytes())
        if path.exists():  # an overwritten fit keeps its permissions, as with open()
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


# ---------------------------------------------------------------------- load
def _read_tree(path: Path) -> xr.DataTree:
    import zarr

    if not path.is_file():
        raise DataError(f"No fit file at {str(path)!r}.")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{str(path)!r} is not a fit saved by hiermodels (fit.save).")
    store = zarr.storage.ZipStore(path, mode="r")
    try:
        tree = xr.open_datatree(store, engine="zarr", consolidated=False).load()
    except Exception as err:
        raise DataError(f"{str(path)!r} is not a readable hiermodels fit file: {err}") from None
    finally:
        store.close()
    return tree


def _read_metadata(tree: xr.DataTree, path: Path) -> dict:
    version = tree.attrs.get(VERSION_ATTR)
    if version is None or META_ATTR not in tree.attrs:
        raise DataError(f"{str(path)!r} is not a fit saved by hiermodels (fit.save).")
    if version != FORMAT_VERSION:
        try:
            meta = json.loads(tree.attrs[META_ATTR])
        except (TypeError, ValueError):
            meta = {}
        by = meta.get("hiermodels_version", "unknown")
        raise DataError(
            f"{str(path)!r} uses hiermodels file format version {version!r} (written by "
            f"hiermodels {by}); this hiermodels reads format version {FORMAT_VERSION} only. "
            "Load it with the version that wrote it, or refit the model."
        )
    return json.loads(tree.attrs[META_ATTR])


def check_match(model, posterior: xr.Dataset, observed: xr.Dataset | None, path: Path) -> None:
    """The rebuilt model must describe the saved draws: same rows, levels and terms."""
    design = model.design
    problems = []
    if observed is not None:
        y = observed[design.response_name].values if design.response_name in observed else None
        if y is None or not np.array_equal(y, design.y):
            problems.append("the observed response differs")
    for g in design.groups:
        dim = naming.level_dim(g.name)
        if dim not in posterior.coords or list(posterior[dim].values) != list(g.levels):
            problems.append(f"the levels of {g.name!r} differ")
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    fixed = posterior[naming.FIXED_DIM].values if naming.FIXED_DIM in posterior.coords else []
    if list(fixed) != slopes:
        problems.append("the fixed terms differ")
    if problems:
        raise DataError(
            f"The model rebuilt from {str(path)!r} does not match its saved draws "
            f"({'; '.join(problems)}). The file may come from another hiermodels version."
        )


@dataclass(frozen=True, eq=False)
class SavedFit:
    """What a fit file holds: the model's recipe and the DataTree of draws."""

    recipe: ModelRecipe
    idata: xr.DataTree


def read_fit(path: str | os.PathLike) -> SavedFit:
    """Read a file written by :func:`save_fit`: the recipe and the draws, not yet a Fit.

    :func:`hiermodels.load` rebuilds the model with ``Model.from_recipe`` and checks it
    against the draws with :func:`check_match`.
    """
    path = Path(path)
    tree = _read_tree(path)
    meta = _read_metadata(tree, path)
    if DATA_GROUP not in tree.children:
        raise DataError(f"{str(path)!r} lacks the model's data (group {DATA_GROUP!r}).")
    data = _decode_frame(tree[DATA_GROUP].to_dataset(), meta["data"])
    choice = meta["parameterization"]
    recipe = ModelRecipe(
        formula=meta["formula"],
        data=data,
        family=meta["family"],
        link=meta["link"],
        priors=tuple((k, _decode_value(v)) for k, v in meta["priors"].items()),
        parameterization=choice if isinstance(choice, str) else tuple(choice.items()),
        data2=tuple(sorted(decode_data2(tree.get(DATA2_GROUP), meta.get("data2", [])).items())),
        distributional=tuple(meta.get("distributional", {}).items()),
    )
    stored = [name for name in tree.children if name not in (DATA_GROUP, DATA2_GROUP)]
    order = [g for g in meta.get("groups", []) if g in stored]
    groups = {name: tree[name].to_dataset() for name in order + sorted(set(stored) - set(order))}
    idata = xr.DataTree.from_dict(groups)
    idata.attrs = {k: v for k, v in tree.attrs.items() if k not in (META_ATTR, VERSION_ATTR)}
    if "posterior" not in groups:
        raise DataError(f"{str(path)!r} has no posterior group.")
    return SavedFit(recipe=recipe, idata=idata)
