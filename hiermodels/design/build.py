"""DataFrame to design: response, fixed-effects matrix, group codes, Z columns and weights.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.design import build_design
>>> from hiermodels.spec.formula import parse_formula
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
>>> design = build_design(parse_formula("y ~ 1 + (1 | g)"), df, family="gaussian")
>>> design.groups[0].levels, design.groups[0].codes[:, 0].tolist()
(('a', 'b'), [0, 0, 1, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hiermodels.design.autocor import check_autocor_family, series_design
from hiermodels.design.checks import (
    check_finite,
    check_formula_columns,
    check_frame,
    handle_missing,
)
from hiermodels.design.columns import check_roles, used_columns
from hiermodels.design.frame import model_frame
from hiermodels.design.known_covariance import attach_known_covariances
from hiermodels.design.levels import factor_codes, membership_codes
from hiermodels.design.matrices import (
    fixed_design,
    offset_values,
    term_columns,
    without_intercept,
)
from hiermodels.design.response import response_values, trials_values
from hiermodels.design.row_terms import row_terms
from hiermodels.design.smooths import smooth_designs
from hiermodels.design.types import Design, GroupDesign, Missing
from hiermodels.errors import DataError, FormulaError
from hiermodels.families import FAMILIES, get_family
from hiermodels.families.row_terms import family_parameters
from hiermodels.spec.formula import ParsedFormula
from hiermodels.spec.terms import GroupTerm, Membership

__all__ = ["build_design", "group_designs"]


def group_designs(
    data: pd.DataFrame, terms: tuple[GroupTerm, ...], formula: str
) -> tuple[GroupDesign, ...]:
    """One :class:`GroupDesign` per grouping factor, its terms gathered from ``terms``."""
    by_factor: dict[str, list[GroupTerm]] = {}
    for term in terms:
        by_factor.setdefault(term.factor.name, []).append(term)
    designs = []
    for name, factor_terms in by_factor.items():
        factor = factor_terms[0].factor
        if any(t.factor != factor for t in factor_terms):
            raise FormulaError(
                f"The factor {name!r} is written with different options in "
                f"{[t.text for t in factor_terms]}; write it the same way each time.",
                formula,
            )
        z_parts, names, specs, blocks = [], [], [], []
        for term in factor_terms:
            z, cols, spec = term_columns(data, term, formula)
            start = len(names)
            idx = tuple(range(start, start + len(cols)))
            blocks.extend([idx] if term.correlated else [(i,) for i in idx])
            z_parts.append(z)
            names.extend(cols)
            specs.append(spec)
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise FormulaError(
                f"The varying term(s) {dup} appear more than once for factor {name!r}.", formula
            )
        if isinstance(factor, Membership):
            codes, weights, levels = membership_codes(data, factor)
        else:
            codes, levels = factor_codes(data, factor)
            weights = np.ones(codes.shape, dtype=float)
        if len(levels) < 2:
            raise DataError(
                f"The grouping factor {name!r} has only one level ({levels[0]!r}); a varying "
                "effect needs at least two levels. Drop the group term or fix the column."
            )
        designs.append(
            GroupDesign(
                name=name,
                levels=levels,
                terms=tuple(names),
                blocks=tuple(blocks),
                Z=np.column_stack(z_parts),
                codes=codes,
                weights=weights,
                factor=factor,
                term_specs=tuple(specs),
            )
        )
    return tuple(designs)


def build_design(
    parsed: ParsedFormula,
    data: pd.DataFrame,
    *,
    family: str,
    missing: Missing = "error",
    formula: str | None = None,
    data2: dict | None = None,
) -> Design:
    """Validate ``data`` against the formula and build the design arrays.

    The caller's DataFrame is never modified.

    Parameters
    ----------
    parsed
        The parsed formula.
    data
        The data.
    family
        The family name (decides which responses are valid).
    missing
        ``"error"`` (default) raises on missing values in used columns, with counts per
        column; ``"drop"`` drops those rows and warns with the count.
    formula
        The formula text, for error messages.
    data2
        Named matrices the formula refers to: ``K`` of ``gr(g, cov=K)``
        (:mod:`hiermodels.design.known_covariance`).

    Returns
    -------
    Design
    """
    formula = formula or ""
    data = check_frame(data, "fit")
    columns = used_columns(parsed)
    check_formula_columns(columns, data, formula)
    check_roles(parsed, formula)
    frame, positions = handle_missing(data, columns, missing)
    # The response is read before unused categories are dropped: an ordinal family
    # refuses a category without rows.
    unnormalised = frame
    frame = model_frame(frame, columns, drop_unused_categories=True)
    check_finite(frame, columns)
    y, categories = response_values(unnormalised, parsed.response.expr, family)
    fam = get_family(family)
    trials = None
    if fam.needs_trials and parsed.response.trials is None:
        raise FormulaError(
            f"Family {family!r} needs the number of trials: write "
            f"'{parsed.response.expr} | trials(n) ~ ...'.",
            formula,
        )
    if parsed.response.trials is not None:
        if not fam.needs_trials:
            valid = " or ".join(repr(n) for n, f in FAMILIES.items() if f.needs_trials)
            raise FormulaError(
                f"trials() is only valid for family {valid}, not {family!r}.", formula
            )
        trials = trials_values(frame, parsed.response.trials, y)
    rows = row_terms(frame, parsed.response, y, family)
    # Smooths: their linear part joins the fixed text, their penalised part the factors.
    fixed_text, smooths = smooth_designs(frame, parsed.fixed, formula)
    fixed = fixed_design(frame, fixed_text, formula)
    if not fam.has_intercept:
        fixed = without_intercept(fixed, family, formula)
    offset = offset_values(frame, parsed.offsets, formula)
    groups = group_designs(frame, parsed.group_terms, formula) + smooths
    groups = attach_known_covariances(groups, data2)
    autocor = None
    if parsed.autocor is not None:
        check_autocor_family(family, rows, formula)
        autocor = series_design(frame, parsed.autocor)
    if (
        fixed.matrix.shape[1] == 0
        and not groups
        and not family_parameters(fam, rows)
        and not fam.thresholds
    ):
        raise FormulaError(
            "The model has nothing to estimate: no intercept, no predictors, no group "
            f"terms, and family {family!r} has no other parameters. Remove the '0' or '-1', "
            "or add terms.",
            formula,
        )
    from hiermodels.naming import response_name

    return Design(
        response_name=response_name(parsed.response.expr),
        y=y,
        trials=trials,
        fixed=fixed,
        groups=groups,
        row_index=frame.index.copy(),
        offset=offset,
        row_positions=positions,
        row_terms=rows,
        categories=categories,
        autocor=autocor,
    )
