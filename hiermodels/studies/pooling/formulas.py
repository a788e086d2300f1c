"""The three models of a pooling study: their formulas and their priors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from hiermodels.design import build_design, level_labels
from hiermodels.errors import PriorError, SpecError
from hiermodels.parameters import prior_slots
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import valid_prior_keys
from hiermodels.spec.terms import quote

__all__ = ["POOLING", "PoolingFormulas", "as_factor", "pooling_formulas", "split_priors"]

POOLING = ("complete", "none", "partial")


def as_factor(series: pd.Series) -> pd.Series:
    """The grouping column as a categorical of string labels, in the design's level order."""
    present = series.notna()
    labels, levels = level_labels(series[present])
    out = pd.Series(pd.Categorical([None] * len(series), categories=levels), index=series.index)
    out[present] = labels
    return out


@dataclass(frozen=True)
class PoolingFormulas:
    """The three formulas of a pooling comparison."""

    complete: str
    none: str
    partial: str

    def as_dict(self) -> dict[str, str]:
        return {"complete": self.complete, "none": self.none, "partial": self.partial}


def pooling_formulas(
    response: str, predictors: Sequence[str], group: str, slopes: Sequence[str]
) -> PoolingFormulas:
    """Formulas of complete, no and partial pooling.

    Examples
    --------
    >>> f = pooling_formulas("log_radon", ["floor"], "county", [])
    >>> f.complete, f.none, f.partial
    ('log_radon ~ floor', 'log_radon ~ 0 + county + floor', 'log_radon ~ floor + (1 | county)')
    """
    q = quote
    fixed = [*predictors, *(s for s in slopes if s not in predictors)]
    lhs = q(response)
    complete = f"{lhs} ~ " + (" + ".join(q(p) for p in fixed) or "1")
    none_terms = ["0", q(group), *(f"{q(group)}:{q(s)}" for s in slopes)]
    none_terms += [q(p) for p in predictors if p not in slopes]
    none = f"{lhs} ~ " + " + ".join(none_terms)
    varying = " + ".join(["1", *(q(s) for s in slopes)])
    partial = f"{complete} + ({varying} | {q(group)})"
    return PoolingFormulas(complete=complete, none=none, partial=partial)


def split_priors(formulas: PoolingFormulas, frame: pd.DataFrame, family: str, priors):
    """Each model gets the user priors whose keys it has; a key no model has is an error."""
    if priors is None:
        return dict.fromkeys(POOLING)
    if not isinstance(priors, Mapping):
        raise SpecError(f"priors must be a dict of key -> hm.Prior, got {type(priors).__name__}.")
    valid = {}
    for name, formula in formulas.as_dict().items():
        design = build_design(parse_formula(formula), frame, family=family, formula=formula)
        valid[name] = set(valid_prior_keys(prior_slots(design, family)))
    every = sorted(set().union(*valid.values()))
    unknown = [key for key in priors if key not in every]
    if unknown:
        raise PriorError(
            f"Unknown prior key(s) {unknown}: no model of the pooling comparison has them; "
            f"valid keys are {every}."
        )
    return {name: {k: v for k, v in priors.items() if k in valid[name]} for name in POOLING}
