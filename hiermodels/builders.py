"""Builders: the teaching API. Each returns the same :class:`hiermodels.Model` a formula
gives, and its ``.formula`` prints that formula.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> hm.varying_slopes(sleep, response="Reaction", predictors=["Days"], group="Subject",
...                   slopes=["Days"]).formula
'Reaction ~ Days + (1 + Days | Subject)'
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hiermodels.errors import SpecError
from hiermodels.model import Model
from hiermodels.spec.columns import column_names, one_name, writable_name
from hiermodels.spec.terms import GroupFactor, GroupTerm, Membership, quote

__all__ = [
    "cross_classified",
    "multiple_membership",
    "nested",
    "varying_intercept",
    "varying_slopes",
]


def _formula(response: str, fixed: Sequence[str], terms: Sequence[GroupTerm]) -> str:
    if not isinstance(response, str):
        raise SpecError(f"response must be a column name, got {response!r}.")
    writable_name(response, "response")
    rhs = " + ".join(quote(p) for p in fixed) or "1"
    return f"{quote(response)} ~ " + " + ".join([rhs, *(t.text for t in terms)])


def varying_intercept(
    data: pd.DataFrame, *, response: str, predictors: Sequence[str] = (), group: str, **options
) -> Model:
    """``response ~ predictors + (1 | group)``.

    ``options`` (family, link, priors, missing) go to :class:`hiermodels.Model`.
    """
    group = one_name(group, "group")
    term = GroupTerm("1", GroupFactor((group,)))
    return Model(
        _formula(response, column_names(predictors, "predictors"), [term]), data, **options
    )


def varying_slopes(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str] = (),
    group: str,
    slopes: Sequence[str],
    correlated: bool = True,
    **options,
) -> Model:
    """``response ~ predictors + (1 + slopes | group)`` (``||`` if not ``correlated``).

    A slope that is not among ``predictors`` is added to the fixed part, so the varying
    slopes are deviations around a population slope, as in lme4 practice.
    """
    group = one_name(group, "group")
    slopes = column_names(slopes, "slopes", allow_empty=False)
    fixed = list(column_names(predictors, "predictors"))
    fixed += [s for s in slopes if s not in fixed]
    expr = " + ".join(["1", *(quote(s) for s in slopes)])
    term = GroupTerm(expr, GroupFactor((group,)), correlated=bool(correlated))
    return Model(_formula(response, fixed, [term]), data, **options)


def cross_classified(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str] = (),
    groups: Sequence[str],
    **options,
) -> Model:
    """``response ~ predictors + (1 | a) + (1 | b) + ...`` for crossed factors."""
    groups = column_names(groups, "groups", allow_empty=False)
    if len(groups) < 2:
        raise SpecError(f"cross_classified needs at least two groups, got {list(groups)}.")
    terms = [GroupTerm("1", GroupFactor((g,))) for g in groups]
    return Model(_formula(response, column_names(predictors, "predictors"), terms), data, **options)


def nested(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str] = (),
    groups: Sequence[str],
    **options,
) -> Model:
    """``response ~ predictors + (1 | a) + (1 | a:b) + ...``; ``groups`` from outer to inner."""
    groups = column_names(groups, "groups", allow_empty=False)
    if len(groups) < 2:
        raise SpecError(f"nested needs at least two groups (outer to inner), got {list(groups)}.")
    terms = [GroupTerm("1", GroupFactor(groups[: i + 1])) for i in range(len(groups))]
    return Model(_formula(response, column_names(predictors, "predictors"), terms), data, **options)


def multiple_membership(
    data: pd.DataFrame,
    *,
    response: str,
    predictors: Sequence[str] = (),
    members: Sequence[str],
    weights: Sequence[str] | None = None,
    scale: bool = False,
    **options,
) -> Model:
    """``response ~ predictors + (1 | mm(members..., weights=[...]))``."""
    members = column_names(members, "members", allow_empty=False)
    if weights is not None:
        weights = column_names(weights, "weights", allow_empty=False)
        if len(weights) != len(members):
            raise SpecError(
                f"members {list(members)} and weights {list(weights)} differ in length "
                f"({len(members)} vs {len(weights)}); give one weight column per member."
            )
    term = GroupTerm("1", Membership(members, weights, bool(scale)))
    return Model(
        _formula(response, column_names(predictors, "predictors"), [term]), data, **options
    )
