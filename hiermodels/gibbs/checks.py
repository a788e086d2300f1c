"""Which models ``fit(method="gibbs")`` samples, and which factors join the fixed block."""

from __future__ import annotations

from hiermodels import naming
from hiermodels.collapsed import is_collapsible, is_nested
from hiermodels.design import Design
from hiermodels.design.known_covariance import refuse_known_covariance
from hiermodels.errors import SpecError
from hiermodels.families import get_family

__all__ = ["BLOCK_MAX", "SMALL_FACTOR_LEVELS", "check_gibbs", "small_factors"]


def check_gibbs(design: Design, family: str, link: str) -> None:
    """Raise SpecError unless ``fit(method="gibbs")`` can sample this model."""
    if not get_family(family).collapsible or link != "identity":
        raise SpecError(
            f"method='gibbs' samples gaussian models with the identity link; this model is "
            f"{family!r} with link {link!r}. Use method='auto' or 'full'."
        )
    if design.distributional:
        raise SpecError(
            "method='gibbs' samples gaussian models with one residual SD; this model gives "
            "sigma a formula. Use method='auto' or 'full'."
        )
    if design.row_terms is not None:
        raise SpecError(
            "method='gibbs' samples gaussian models with one residual SD; se(), cens() and "
            "weights() change each row's likelihood. Use method='auto' or 'full'."
        )
    if design.autocor is not None:
        raise SpecError(
            "method='gibbs' samples independent residuals; this model has ar() (residual "
            "AR(1) within series). Use method='auto' or 'full'."
        )
    if not design.groups:
        raise SpecError("method='gibbs' needs at least one grouping factor; this model has none.")
    refuse_known_covariance(design, "method='gibbs'", "Use method='auto' or 'full'.")
    for g in design.groups:
        if tuple(g.terms) != (naming.INTERCEPT,) or not is_collapsible(g):
            raise SpecError(
                f"method='gibbs' handles varying intercepts (1 | g) of factors whose levels "
                f"partition the rows; the factor {g.name!r} has terms {list(g.terms)}"
                + ("" if is_collapsible(g) else " and multiple membership")
                + ". Use method='auto' or 'full'."
            )
    small = small_factors(design)
    large = [g for g in design.groups if g.name not in small]
    stats = design.statistics  # rows not held: nesting from the reduced cross-tabulations
    for inner in large:
        for outer in large:
            nested = (
                is_nested(inner, outer)
                if stats is None
                else (inner.name, outer.name) in stats.nested
            )
            if inner is not outer and nested:
                raise SpecError(
                    f"method='gibbs' updates factors of more than {SMALL_FACTOR_LEVELS} levels "
                    f"one at a time, which mixes slowly when one is nested in another; "
                    f"{inner.name!r} ({inner.n_levels} levels) is nested in {outer.name!r} "
                    f"({outer.n_levels} levels). "
                    + (
                        "Use method='auto', which integrates the inner factor out."
                        if stats is None
                        else "Fit it in memory (hm.Model(formula, ddf.compute())) with "
                        "method='auto', which integrates the inner factor out."
                    )
                )


#: Factors with at most this many levels join the fixed coefficients in one Gaussian
#: block, while its size stays within :data:`BLOCK_MAX`; larger factors are updated
#: level by level, each jointly with that block.
SMALL_FACTOR_LEVELS = 100
BLOCK_MAX = 64


def small_factors(design: Design) -> set[str]:
    """The factors that join the fixed coefficients in the Gaussian block."""
    size = len(design.fixed.names)  # the columns of fixed_columns(design)
    small = set()
    for g in sorted(design.groups, key=lambda g: g.n_levels):
        if g.n_levels <= SMALL_FACTOR_LEVELS and size + g.n_levels <= BLOCK_MAX:
            small.add(g.name)
            size += g.n_levels
    return small
