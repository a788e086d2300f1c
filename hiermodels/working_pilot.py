"""The pilot of ``parameterization="auto"`` for families without a gaussian response.

A gaussian model's REML fit tells how much the data determine each factor's group
effects (:func:`hiermodels.optimize.data_dominance`). For counts and binary responses
the same question is asked of the first step of penalised quasi-likelihood (Breslow &
Clayton 1993, JASA 88:9): fit the model without group effects by iteratively reweighted
least squares, linearise the link around that fit (the working response
``z = eta + (y - mu) / mu'(eta)`` with weights ``w = mu'(eta)^2 / Var(y)``), and fit the
gaussian mixed model of ``z`` with those weights by REML. The weights carry the
information of each row (``n p (1 - p)`` for a logit binomial, ``mu`` for a log Poisson),
so ten thousand trials per level pin the group effects down and a single 0/1 row does
not. The pilot only chooses how to sample; the model is the same either way. Factors
whose levels hold fewer than :data:`MIN_ROWS_PER_LEVEL` rows (in the median) stay
non-centred.

Examples
--------
>>> import hiermodels as hm
>>> from hiermodels.families import get_family
>>> data = hm.datasets.load("cbpp")
>>> model = hm.Model("incidence | trials(size) ~ period + (1 | herd)", data, family="binomial")
>>> pilot_dominance(model.design, get_family("binomial"), "logit")  # 4 rows per herd
{'herd': 0.0}
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hiermodels import optimize
from hiermodels.design import Design
from hiermodels.families.base import Family
from hiermodels.families.links import inverse_link, link_function, mean_derivative

__all__ = [
    "pilot_dominance",
    "pooled_fit",
    "working_design",
]

#: Iterations of the pooled IRLS fit; it only needs to be roughly right.
IRLS_ITERATIONS = 25
#: The working REML estimates the residual scale besides the factors' SDs; with one or
#: two rows per level it cannot tell them apart and gives the factor all the variance
#: (rat tumours, 71 levels of one row: share 0.999). A factor whose median level holds
#: fewer rows than this stays non-centred, as without a pilot.
MIN_ROWS_PER_LEVEL = 5


def _start(design: Design, family: Family) -> tuple[np.ndarray, np.ndarray]:
    """The response on the mean scale (proportions for trials) and a safe first mean."""
    if design.trials is not None:
        y = design.y / design.trials
        return y, (design.y + 0.5) / (design.trials + 1.0)
    if family.support == "binary":
        return design.y, (design.y + 0.5) / 2.0
    if family.support in ("unit_interval", "positive"):
        return design.y, design.y
    return design.y, design.y + 0.5


def pooled_fit(design: Design, family: Family, link: str):
    """The model without group effects, fitted by IRLS: the linear predictor ``eta``,
    the working weights ``w`` and the working response ``z`` (offset removed)."""
    y, mu = _start(design, family)
    offset = design.offset if design.offset is not None else 0.0
    X = design.fixed.matrix
    bounded = family.support in ("binary", "bounded_count", "unit_interval")
    eta = link_function(link, np.clip(mu, 1e-6, 1 - 1e-6 if bounded else None))
    for _ in range(IRLS_ITERATIONS):
        mu = inverse_link(link, eta)
        d = np.maximum(mean_derivative(link, eta), 1e-10)
        w = d**2 / np.maximum(family.working_variance(mu, y, design.trials), 1e-10)
        z = eta - offset + (y - mu) / d
        sw = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta = np.clip(X @ beta + offset, -30, 30)
    return eta, w, z


def working_design(design: Design, family: Family, link: str) -> Design:
    """The weighted gaussian design of the first PQL step, rows scaled by ``sqrt(w)``."""
    _, w, z = pooled_fit(design, family, link)
    sw = np.sqrt(w)
    X = design.fixed.matrix
    fixed = dataclasses.replace(design.fixed, matrix=X * sw[:, None])
    groups = tuple(dataclasses.replace(g, Z=g.Z * sw[:, None]) for g in design.groups)
    return dataclasses.replace(
        design, y=z * sw, trials=None, fixed=fixed, groups=groups, offset=None
    )


def pilot_dominance(design: Design, family: Family, link: str) -> dict[str, float]:
    """Per factor, the share of its group effects' variance the data determine.

    Gaussian-like families (``family.reml_pilot``) use the REML fit of the data; the
    others the REML fit of the PQL working design (:func:`working_design`); a family
    that defines no :meth:`~hiermodels.families.Family.working_variance` gets 0 for
    every factor (non-centred).
    """
    if family.reml_pilot:
        y = family.linear_scale_response(design.y)
        return optimize.data_dominance(
            design if y is design.y else dataclasses.replace(design, y=y)
        )
    if not family.has_working_variance or not design.groups:
        return {g.name: 0.0 for g in design.groups}
    shares = optimize.data_dominance(working_design(design, family, link))
    for g in design.groups:
        if np.median(g.level_counts()) < MIN_ROWS_PER_LEVEL:
            shares[g.name] = 0.0
    return shares
