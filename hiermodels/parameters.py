"""The parameters a design implies, and their priors (defaults merged with the user's).

This is the bridge between the pure prior rules in :mod:`hiermodels.spec.priors` and a
concrete :class:`~hiermodels.design.Design`: it lists the model's prior slots and the data
scales the default rule needs.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.design import build_design
>>> from hiermodels.spec.formula import parse_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> design = build_design(parse_formula("y ~ 1 + (1 | g)"), df, family="gaussian")
>>> [s.name for s in prior_slots(design, "gaussian")]
['Intercept', 'sd|g|Intercept', 'sigma']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.design import Design
from hiermodels.design.distributional import constant_parameters, distributional_priors
from hiermodels.design.smooths import group_sd_slot, is_smooth_group
from hiermodels.families import get_family
from hiermodels.kernels.exact_sums import exact_moments
from hiermodels.spec.priors import Prior, PriorSlot, default_priors, resolve_priors

#: The prior key and parameter name of the residual AR(1) coefficient (brms's class ``ar``).
AR = "ar"

__all__ = ["model_priors", "prior_slots", "prior_table"]


def prior_slots(design: Design, family: str) -> list[PriorSlot]:
    """Every parameter of the model that takes a prior, with the keys that address it."""
    slots: list[PriorSlot] = []
    fam = get_family(family)
    if fam.thresholds:
        # brms's keys: class Intercept sets every threshold, Intercept[k] one of them.
        for name in naming.threshold_names(len(design.categories) - 1):
            slots.append(PriorSlot(name, "threshold", (name, naming.INTERCEPT)))
    for name in design.fixed.names:
        if name == naming.INTERCEPT:
            slots.append(PriorSlot(naming.INTERCEPT, "Intercept", (naming.INTERCEPT,)))
        else:
            slots.append(PriorSlot(naming.slope_slot(name), "b", (name, naming.SLOPES), term=name))
    for g in design.groups:
        if is_smooth_group(g):
            for term in g.terms:
                smooth = f"sds|{g.factor.smooth.name}"
                keys = tuple(dict.fromkeys((group_sd_slot(g, term), smooth, "sds")))
                slots.append(PriorSlot(keys[0], "sds", keys, group=g.name, term=term))
            continue
        for term in g.terms:
            keys = (naming.sd_slot(g.name, term), f"sd|{g.name}", "sd")
            slots.append(PriorSlot(keys[0], "sd", keys, group=g.name, term=term))
        if g.correlated:
            keys = (naming.cor_slot(g.name), "cor")
            slots.append(PriorSlot(keys[0], "cor", keys, group=g.name))
    for param in constant_parameters(get_family(family), design):
        slots.append(PriorSlot(param, param, (param,)))
    if design.autocor is not None:
        slots.append(PriorSlot(AR, AR, (AR,)))
    return slots


def _sd(values: np.ndarray) -> float:
    return float(np.std(values)) if values.size > 1 else 1.0


def model_priors(
    design: Design, family: str, link: str, user: Mapping[str, object] | None
) -> tuple[list[PriorSlot], dict[str, Prior], dict[str, str]]:
    """Slots, resolved priors (slot name to :class:`Prior`) and their sources."""
    slots = prior_slots(design, family)
    fam = get_family(family)
    y = fam.linear_scale_response(
        design.y / design.trials if design.trials is not None else design.y
    )
    # From exact sums, so that a model on a Dask DataFrame, whose moments come from the
    # sums of its partitions (design.statistics), gets the same priors to the bit.
    if design.statistics is None:
        y_mean, y_sd = (float(v[0]) for v in exact_moments(y))
        _, fixed_sd = exact_moments(design.fixed.matrix)
        column_sd = dict(zip(design.fixed.names, fixed_sd.tolist()))
        group_sd = {
            (g.name, t): float(sd)
            for g in design.groups
            for t, sd in zip(g.terms, exact_moments(g.Z)[1])
        }
    else:
        stats = design.statistics
        y_mean, y_sd, group_sd = stats.y_mean, stats.y_sd, stats.group_column_sd
        column_sd = dict(zip(design.fixed.names, stats.column_sd.tolist()))
    defaults = default_priors(
        [s for s in slots if s.kind != AR],
        link=link,
        response_scale=fam.response_scale,
        y_mean=y_mean,
        y_sd=y_sd,
        column_sd=column_sd,
        group_column_sd=group_sd,
        offset_mean=float(np.mean(design.offset)) if design.offset is not None else 0.0,
        family_prior=fam.default_prior,
    )
    if design.autocor is not None:
        # brms's default for the AR coefficient: flat on the stationary interval
        defaults[AR] = Prior("Uniform", lower=-1.0, upper=1.0)
    if design.distributional:  # the coefficients of sigma="~ x", zi="~ x", ...
        y_sd = _sd(y) if fam.response_scale else 1.0
        extra, extra_defaults = distributional_priors(design, fam, y_sd if y_sd > 0 else 1.0)
        slots, defaults = slots + extra, {**defaults, **extra_defaults}
    priors, sources = resolve_priors(slots, user, defaults)
    return slots, priors, sources


def prior_table(
    slots: list[PriorSlot], priors: Mapping[str, Prior], sources: Mapping[str, str]
) -> pd.DataFrame:
    """Every parameter with its prior and who set it (``Model.prior_summary``)."""
    rows = [
        {
            "parameter": s.name,
            "kind": s.kind,
            "group": s.group or "",
            "term": s.term or "",
            "prior": str(priors[s.name]),
            "source": sources[s.name],
        }
        for s in slots
    ]
    return pd.DataFrame(rows).set_index("parameter")
