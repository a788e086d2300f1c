"""The designs of distributional formulas (``sigma="~ x + (1 | g)"``), and their priors.

Each parameter with a formula gets a :class:`DistributionalPart`: its own design (fixed
columns, group terms, offset) over the model's rows, built with the same checks and
encoders as the main formula, and rebuilt for new data with
:func:`prediction_parts`. Its grouping factors are its own: their effects are
independent of the mean's effects of the same factor (no brms ``(1 | ID | g)``).

Inside the model a factor ``g`` of parameter ``p`` is named ``g__p``
(:func:`part_group_name`), so its variables are ``sd_g__p`` and ``r_g__p`` (brms:
``sd_g__p_Intercept``, ``r_g__p``).

Examples
--------
>>> import hiermodels as hm
>>> from hiermodels.design import build_design
>>> from hiermodels.spec.distributional import parse_distributional
>>> from hiermodels.spec.formula import parse_formula
>>> sleep = hm.datasets.load("sleepstudy")
>>> parsed = parse_formula("Reaction ~ Days")
>>> design = build_design(parsed, sleep, family="gaussian")
>>> formulas = parse_distributional({"sigma": "~ Days"}, family="gaussian",
...                                 parameters=("sigma",))
>>> (part,) = build_parts(formulas, parsed, sleep, design, family="gaussian")
>>> part.design.fixed.names, part.link
(('Intercept', 'Days'), 'log')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.design.build import build_design
from hiermodels.design.columns import used_columns
from hiermodels.design.newdata import NewDesign, prediction_design
from hiermodels.design.types import Design, GroupDesign
from hiermodels.errors import SpecError
from hiermodels.families import Family
from hiermodels.families.row_terms import family_parameters, parameter_draws
from hiermodels.spec.distributional import (
    DistributionalFormula,
    cor_keys,
    intercept_key,
    sd_keys,
    slope_keys,
)
from hiermodels.spec.priors import Prior, PriorSlot, default_priors
from hiermodels.spec.terms import ModelSpec

__all__ = [
    "DistributionalPart",
    "build_parts",
    "constant_parameter_draws",
    "constant_parameters",
    "distributional_priors",
    "model_columns",
    "part_group_name",
    "prediction_parts",
]


def part_group_name(parameter: str, group: str) -> str:
    """The name of factor ``group`` inside ``parameter``'s formula: ``g__sigma``."""
    return f"{group}__{parameter}"


@dataclass(frozen=True, eq=False)
class DistributionalPart:
    """One parameter's formula, link, design and spec (for rebuilding new rows)."""

    formula: DistributionalFormula
    design: Design
    spec: ModelSpec

    @property
    def parameter(self) -> str:
        return self.formula.parameter

    @property
    def link(self) -> str:
        return self.formula.link

    def model_groups(self) -> tuple[GroupDesign, ...]:
        """The part's factors renamed ``g__p`` (:func:`part_group_name`)."""
        return tuple(
            dataclasses.replace(g, name=part_group_name(self.parameter, g.name))
            for g in self.design.groups
        )


def build_parts(
    formulas: tuple[DistributionalFormula, ...],
    parsed,
    data: pd.DataFrame,
    design: Design,
    *,
    family: str,
) -> tuple[DistributionalPart, ...]:
    """The design of each formula, over the rows of the main ``design``.

    Raises
    ------
    SpecError
        With ``se()`` (a known SD replaces ``sigma``) or ``cens()`` in the response.
    DataError
        For a column of a formula that is missing or holds missing values in the
        model's rows (they are not dropped).
    """
    if not formulas:
        return ()
    rows = design.row_terms
    if rows is not None and (rows.se is not None or rows.cens is not None):
        what = "se()" if rows.se is not None else "cens()"
        raise SpecError(
            f"Distributional formulas ({', '.join(f.text for f in formulas)}) do not combine "
            f"with {what} in the response; fit one or the other."
        )
    frame = data.iloc[design.row_positions] if design.row_positions is not None else data
    parts = []
    for f in formulas:
        parsed_part = f.parsed(parsed.response.expr)
        sub = build_design(parsed_part, frame, family=family, missing="error", formula=f.text)
        spec = ModelSpec(
            response=parsed_part.response,
            fixed=parsed_part.fixed,
            group_terms=parsed_part.group_terms,
            family=family,
            offsets=parsed_part.offsets,
        )
        parts.append(DistributionalPart(f, sub, spec))
    return tuple(parts)


def model_columns(parsed, parts: tuple[DistributionalPart, ...]) -> list[str]:
    """The columns of the main formula, then those only the parts' formulas use."""
    columns = used_columns(parsed)
    for part in parts:
        more = used_columns(part.formula.parsed(parsed.response.expr))
        columns += [c for c in more if c not in columns]
    return columns


def prediction_parts(
    parts: tuple[DistributionalPart, ...], data: pd.DataFrame
) -> dict[str, NewDesign]:
    """Each part's design of new rows (fitted encoders), by parameter."""
    return {p.parameter: prediction_design(p.design, p.spec, data) for p in parts}


def constant_parameters(family: Family, design: Design) -> tuple[str, ...]:
    """The family's parameters that are one number per draw (no formula of their own)."""
    modelled = {p.parameter for p in design.distributional}
    return tuple(p for p in family_parameters(family, design.row_terms) if p not in modelled)


def constant_parameter_draws(family: Family, design: Design, posterior) -> dict[str, np.ndarray]:
    """:func:`~hiermodels.families.row_terms.parameter_draws` without the modelled ones."""
    if not design.distributional:
        return parameter_draws(family, design.row_terms, posterior)
    return {p: posterior[p].values for p in constant_parameters(family, design)}


def _prior_mean(prior: Prior, link: str) -> float:
    """The mean of a family's default prior: where the intercept's prior is centred."""
    p = prior.params
    means = {
        "Exponential": lambda: 1.0 / p["lam"],
        "Gamma": lambda: p["alpha"] / p["beta"],
        "HalfNormal": lambda: p.get("sigma", 1.0) * math.sqrt(2 / math.pi),
        "Beta": lambda: p["alpha"] / (p["alpha"] + p["beta"]),
        "Uniform": lambda: (p["lower"] + p["upper"]) / 2,
    }
    try:
        return float(means[prior.dist]())
    except (KeyError, ZeroDivisionError):
        return 1.0 if link == "log" else 0.5


def _sd(values: np.ndarray) -> float:
    return float(np.std(values)) if values.size > 1 else 1.0


def distributional_priors(
    design: Design, family: Family, scale: float
) -> tuple[list[PriorSlot], dict[str, Prior]]:
    """The prior slots of the formulas' coefficients, SDs and correlations, and defaults.

    The defaults follow the rule of link-scale families (:mod:`hiermodels.spec.priors`,
    with ``s_y = 1``): ``Normal(link(m), 2.5)`` for the intercept, ``m`` the mean of the
    family's default prior of the parameter (``sd(y)`` for a gaussian ``sigma``, 0.5 for
    ``zi``); ``Normal(0, 2.5 / s_x)`` for slopes; ``HalfNormal(1 / s_z)`` for SDs;
    ``LKJ(2)`` for correlations. ``scale`` is what the family's default prior takes.
    """
    all_slots: list[PriorSlot] = []
    defaults: dict[str, Prior] = {}
    for part in design.distributional:
        p, sub = part.parameter, part.design
        slots = []
        for name in sub.fixed.names:
            if name == naming.INTERCEPT:
                slots.append(PriorSlot(intercept_key(p), "Intercept", (intercept_key(p),)))
            else:
                keys = slope_keys(p, name)
                slots.append(PriorSlot(keys[0], "b", keys, term=name))
        for g in sub.groups:
            for term in g.terms:
                keys = sd_keys(p, g.name, term)
                slots.append(PriorSlot(keys[0], "sd", keys, group=g.name, term=term))
            if g.correlated:
                keys = cor_keys(p, g.name)
                slots.append(PriorSlot(keys[0], "cor", keys, group=g.name))
        typical = _prior_mean(family.default_prior(p, scale=scale), part.link)
        defaults.update(
            default_priors(
                slots,
                link=part.link,
                response_scale=False,
                y_mean=typical,
                y_sd=1.0,
                column_sd={n: _sd(c) for n, c in zip(sub.fixed.names, sub.fixed.matrix.T)},
                group_column_sd={
                    (g.name, t): _sd(c) for g in sub.groups for t, c in zip(g.terms, g.Z.T)
                },
                offset_mean=float(np.mean(sub.offset)) if sub.offset is not None else 0.0,
            )
        )
        all_slots += slots
    return all_slots, defaults
