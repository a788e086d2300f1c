"""The design of a model on a Dask DataFrame: two passes over the partitions, no rows kept.

1. One pass collects, per column the formula reads, the count of missing values, and
   the distinct values of every grouping factor (its columns together) and of every
   text or categorical column. From those a *pilot* frame is made that holds every
   level once, plus the first rows of the data; the pilot's design is the *template*
   whose encoders (levels, categorical codings, stateful transforms) every partition
   uses, so that all partitions agree on codes.
2. A second pass computes each partition's sums (:mod:`hiermodels.distributed.sums`)
   on the workers and adds them up in a tree; only the sums travel.

The result is the template's design with its rows removed and
:class:`~hiermodels.design.statistics.DesignStatistics` in
:attr:`~hiermodels.design.Design.statistics`.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.design import Design, build_design, used_columns
from hiermodels.design.statistics import DesignStatistics
from hiermodels.distributed.cluster import cluster, compute
from hiermodels.distributed.statistics import design_statistics, gibbs_design_statistics
from hiermodels.distributed.sums import (
    gibbs_shifts,
    partition_design,
    partition_gibbs,
    partition_sums,
)
from hiermodels.errors import DataError, SpecError
from hiermodels.spec.terms import GroupFactor
from hiermodels.sufficient_statistics import SHIFT_ROWS, first_rows_shifts

__all__ = ["statistics_design"]


def _unsupported(parsed, family: str, formula: str, missing: str) -> str | None:
    """Why the model cannot be fitted from sums (``None`` when it can)."""
    if family != "gaussian":
        return (
            f"family {family!r}: only a gaussian model's likelihood depends on its rows "
            "through sums"
        )
    if missing != "error":
        return f"missing={missing!r}: drop incomplete rows in Dask first (ddf.dropna())"
    if parsed.offsets or parsed.autocor is not None or parsed.response.additions:
        return "offsets, ar() and response additions (se(), weights(), cens()) need the rows"
    if not parsed.group_terms or not all(
        isinstance(t.factor, GroupFactor) for t in parsed.group_terms
    ):
        return "it has no grouping factor, or a multiple-membership one"
    return None


def _check_groups(template: Design, formula: str) -> None:
    """One factor (intercepts and slopes), or several factors with intercepts only."""
    groups = template.groups
    if len(groups) > 1 and any(tuple(g.terms) != (naming.INTERCEPT,) for g in groups):
        raise SpecError(
            "This model cannot be fitted from a Dask DataFrame: from sums, several grouping "
            "factors (crossed or nested) may have varying intercepts only (the Gibbs "
            f"sampler); this model has {[f'{g.name}: {list(g.terms)}' for g in groups]}. Fit "
            "it in memory (hm.Model(formula, ddf.compute())).\n    " + formula
        )


def _pilot(ddf, parsed, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small frame that holds every level of every factor, and the first rows.

    Raises a :class:`~hiermodels.errors.DataError` for missing values.
    """
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(ddf.dtypes[c])]
    factors = [tuple(g.factor.columns) for g in parsed.group_terms]
    subsets = list(dict.fromkeys(factors + [(c,) for c in text]))
    missing, *distinct = compute(
        ddf[columns].isna().sum(), *[ddf[list(s)].drop_duplicates(split_out=1) for s in subsets]
    )
    bad = {c: int(v) for c, v in missing.items() if v}
    if bad:
        raise DataError(
            f"Missing values in used columns: {bad} (counts per column). A model on a Dask "
            "DataFrame needs complete rows: drop them first, e.g. "
            f"ddf.dropna(subset={sorted(bad)})."
        )
    # the first rows, as in memory: from the first partition, or from all when it is short
    # (map_partitions, not ddf.head, which warns on the workers when rows are few)
    first_rows = functools.partial(pd.DataFrame.head, n=SHIFT_ROWS)
    (head,) = compute(ddf[columns].partitions[0].map_partitions(first_rows))
    if len(head) < SHIFT_ROWS:
        (head,) = compute(ddf[columns].map_partitions(first_rows))
        head = head.iloc[:SHIFT_ROWS]
    frames = [head]
    for subset, values in zip(subsets, distinct):
        # one full row per distinct value: the first row of the head, relabelled
        filler = head.iloc[np.zeros(len(values), dtype=int)].reset_index(drop=True)
        for c in subset:
            filler[c] = values[c].to_numpy()
        frames.append(filler)
    return pd.concat(frames, ignore_index=True), head


def statistics_design(
    parsed,
    ddf,
    *,
    spec,
    family: str,
    formula: str,
    missing: str = "error",
    data2=None,
    client=None,
) -> Design:
    """The row-free design of ``ddf`` (see the module docstring).

    Raises
    ------
    SpecError
        For a model whose likelihood needs the rows (the message says why and what to do).
    DataError
        For missing values or a bad column, as for a pandas DataFrame.
    """
    reason = _unsupported(parsed, family, formula, missing)
    if reason is None and spec.distributional:
        reason = "a formula of a family parameter (sigma=...) needs the rows"
    if reason is None and data2:
        reason = "data2 (a known covariance among levels) is not supported from sums"
    if reason is not None:
        raise SpecError(
            f"This model cannot be fitted from a Dask DataFrame: {reason}. Fit it in memory "
            "on the rows (hm.Model(formula, ddf.compute())) or on a sample of them "
            "(ddf.sample(frac=0.01).compute())."
        )
    columns = used_columns(parsed)
    absent = [c for c in columns if c not in ddf.columns]
    if absent:
        raise DataError(
            f"Columns {absent} of the formula are not in the Dask DataFrame; its columns "
            f"are {list(ddf.columns)}.\n    {formula}"
        )
    with cluster(client):
        pilot, head = _pilot(ddf, parsed, columns)
        template = build_design(parsed, pilot, family=family, formula=formula)
        _check_stateless(template, formula)
        _check_groups(template, formula)
        first = partition_design(head, template, spec, family)
        shifts = first_rows_shifts(first)
        source = f"a Dask DataFrame of {ddf.npartitions} partitions"
        if len(template.groups) > 1:  # crossed or nested intercepts: the Gibbs sampler
            centre, shift = gibbs_shifts(first)
            task = functools.partial(partition_gibbs, centre=centre, shift=shift)
            sums = _reduce(ddf[columns], task, template, spec, family, shifts)
            stats = gibbs_design_statistics(sums, template, shifts, source=source)
        else:
            factor = template.groups[0].name
            task = functools.partial(partition_sums, factor=factor)
            sums = _reduce(ddf[columns], task, template, spec, family, shifts)
            stats = design_statistics(sums, template, factor, shifts, source=source)
    return _without_rows(template, stats)


def _check_stateless(template: Design, formula: str) -> None:
    """Refuse transforms that learn from the rows (``center(x)``, ``scale(x)``, ``poly``):
    learnt from a pilot, they would differ from the same model fitted in memory."""
    specs = [template.fixed.formulaic_spec] + [s for g in template.groups for s in g.term_specs]
    if any(getattr(s, "transform_state", None) for s in specs):
        raise SpecError(
            "Transforms that learn from the data (center(), scale(), poly(), ...) are not "
            "supported on a Dask DataFrame: they would learn from a pilot of the rows. Add "
            f"the transformed column in Dask first.\n    {formula}"
        )


def _reduce(ddf, function, template, spec, family, shifts):
    """``function(partition, template, spec, family, shifts)`` of each partition on the
    workers, added up in a tree."""
    import dask

    task = dask.delayed(_unless_empty, pure=True)
    shared = [dask.delayed(x, pure=True) for x in (function, template, spec)]
    parts = [task(p, *shared, family, shifts) for p in ddf.to_delayed()]
    while len(parts) > 1:  # pairwise: the reduction's depth grows as log(partitions)
        pairs = [parts[i : i + 2] for i in range(0, len(parts), 2)]
        parts = [dask.delayed(_add)(*pair) if len(pair) > 1 else pair[0] for pair in pairs]
    (total,) = compute(parts[0])
    return total


def _unless_empty(frame, function, template, spec, family, shifts):
    """``function``'s sums of a partition, ``None`` for an empty one."""
    return function(frame, template, spec, family, shifts=shifts) if len(frame) else None


def _add(a, b):
    """``a + b``, where ``None`` is the sums of no rows."""
    return b if a is None else a if b is None else a + b


def _without_rows(design: Design, stats: DesignStatistics) -> Design:
    """``design`` with empty row arrays and ``stats`` in their place."""
    empty = slice(0, 0)
    groups = tuple(
        dataclasses.replace(g, Z=g.Z[empty], codes=g.codes[empty], weights=g.weights[empty])
        for g in design.groups
    )
    fixed = dataclasses.replace(design.fixed, matrix=design.fixed.matrix[empty])
    return dataclasses.replace(
        design,
        y=design.y[empty],
        fixed=fixed,
        groups=groups,
        row_index=design.row_index[empty],
        row_positions=None if design.row_positions is None else design.row_positions[empty],
        statistics=stats,
    )
