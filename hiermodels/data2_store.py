"""A model's ``data2`` (the ``K`` of ``gr(g, cov=K)``) in a saved fit, and back.

:func:`hiermodels.persistence.save_fit` keeps each matrix as a variable of the group
:data:`DATA2_GROUP`, with its level labels (as text; level labels are text) in the fit
file's metadata, so that :func:`hiermodels.load` rebuilds the same model.

Examples
--------
>>> import pandas as pd
>>> K = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=[1, 2], columns=[1, 2])
>>> dataset, meta = encode_data2({"K": K})
>>> back = decode_data2(dataset, meta)
>>> back["K"].index.tolist(), back["K"].to_numpy().tolist()
(['1', '2'], [[1.0, 0.5], [0.5, 1.0]])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["DATA2_GROUP", "decode_data2", "encode_data2"]

#: The group of a fit file that holds ``data2``.
DATA2_GROUP = "hiermodels_data2"


def _text(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def encode_data2(data2: Mapping[str, object]) -> tuple[xr.Dataset | None, list[dict]]:
    """The matrices as one Dataset (``None`` when there are none) and their metadata."""
    variables, meta = {}, []
    for i, (name, matrix) in enumerate(sorted(data2.items())):
        var = f"data2_{i}"
        labelled = isinstance(matrix, pd.DataFrame)
        values = np.asarray(matrix, dtype=float)
        variables[var] = xr.DataArray(values, dims=(f"{var}_row", f"{var}_column"))
        meta.append(
            {
                "name": name,
                "variable": var,
                "index": [_text(v) for v in matrix.index] if labelled else None,
                "columns": [_text(v) for v in matrix.columns] if labelled else None,
            }
        )
    return (xr.Dataset(variables) if variables else None), meta


def decode_data2(dataset: xr.Dataset | None, meta: list[dict]) -> dict[str, object]:
    """The ``data2`` dict that :func:`encode_data2` wrote."""
    out: dict[str, object] = {}
    for entry in meta:
        values = dataset[entry["variable"]].to_numpy()
        if entry["index"] is None:
            out[entry["name"]] = values
        else:
            out[entry["name"]] = pd.DataFrame(
                values, index=entry["index"], columns=entry["columns"]
            )
    return out
