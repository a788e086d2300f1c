"""How each factor's group effects are parameterised: centred, non-centred or collapsed.

``"auto"`` asks a pilot fit how much of each factor's effects the data determine
(:func:`hiermodels.working_pilot.pilot_dominance`: REML for gaussian and Student-t
models, the first step of penalised quasi-likelihood for the others) and centres the
factors above :data:`DATA_DOMINANCE_THRESHOLD` (REML) or
:data:`WORKING_PILOT_DOMINANCE_THRESHOLD` (quasi-likelihood).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

from hiermodels.collapsed import collapsible_factor
from hiermodels.design import Design
from hiermodels.design.known_covariance import known_covariance_factors
from hiermodels.errors import SpecError
from hiermodels.families import FAMILIES, get_family

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import ModelLike

__all__ = [
    "DATA_DOMINANCE_THRESHOLD",
    "WORKING_PILOT_DOMINANCE_THRESHOLD",
    "Method",
    "Parameterization",
    "build_graph",
    "choose_centered",
    "choose_collapsed_factor",
]

Method = Literal["auto", "marginal", "full", "gibbs"]
_METHODS = ("auto", "marginal", "full", "gibbs")

Parameterization = Literal["auto", "non_centered", "centered"]
_PARAMETERIZATIONS = ("auto", "non_centered", "centered")
#: A factor is centred under "auto" when the data determine more than this share of its
#: group effects' variance (kappa > 1 for one factor: Papaspiliopoulos, Roberts & Skold
#: 2007, Statistical Science 22:59).
DATA_DOMINANCE_THRESHOLD = 0.5
#: The same for the other families, whose pilot is the first step of penalised
#: quasi-likelihood (:mod:`hiermodels.working_pilot`). Higher, because the linearised
#: likelihood overstates how well few binary rows determine an effect: on simulated
#: Bernoulli data with 30 rows per level (pilot share 0.60-0.62) the non-centred draws
#: had 1.4-4.4 times the smallest bulk ESS of the centred ones, while on binomial data
#: with 5-19 trials per row (share 0.87-0.92) the centred ones had 4.8-6.7 times as much.
WORKING_PILOT_DOMINANCE_THRESHOLD = 0.75


def choose_centered(
    choice, groups: list[str], design: Design, family: str, dominance=None, link=None
) -> dict[str, bool]:
    """Validate the parameterisation choice; return factor -> centred?

    ``dominance`` is a zero-argument callable returning the pilot's
    :func:`~hiermodels.working_pilot.pilot_dominance` (computed here when not given,
    with ``link`` or the family's default link).
    """
    if isinstance(choice, str):
        choice = dict.fromkeys(groups, choice)
    elif isinstance(choice, Mapping):
        # Factors not named keep the default, "auto".
        choice = {**dict.fromkeys(groups, "auto"), **choice}
    else:
        raise SpecError(
            f"parameterization must be one of {list(_PARAMETERIZATIONS)} or a dict of "
            f"factor -> choice, got {choice!r}."
        )
    out = {}
    for group, value in choice.items():
        if group not in groups:
            raise SpecError(
                f"parameterization names the factor {group!r}, which is not in the model; "
                f"its factors are {groups}."
            )
        if value not in _PARAMETERIZATIONS:
            raise SpecError(
                f"Unknown parameterization {value!r} for {group!r}; valid choices are "
                f"{list(_PARAMETERIZATIONS)}."
            )
        out[group] = value == "centered"
    known = known_covariance_factors(design)  # always non-centred: no pilot for them
    auto = [g for g, v in choice.items() if v == "auto" and g not in known]
    fam = FAMILIES.get(family)
    if auto and (design.row_terms is not None or design.autocor is not None):
        # The pilots ignore known SDs, censoring, weights and AR(1) residuals:
        # non-centred, the safe side (with ar(), centred effects also mixed worse on
        # sleepstudy: divergences, and R-hat 1.04 in one of two seeds).
        for group in auto:
            out[group] = False
    elif auto and fam is not None:  # the pilot gives 0 (non-centred) where it has no say
        if dominance is None:
            from hiermodels.working_pilot import pilot_dominance

            shares = pilot_dominance(design, fam, link or fam.default_link)
        else:
            shares = dominance()
        threshold = (
            DATA_DOMINANCE_THRESHOLD if fam.reml_pilot else WORKING_PILOT_DOMINANCE_THRESHOLD
        )
        for group in auto:
            out[group] = shares[group] > threshold
    return _known_covariance_non_centred(out, choice, design)


def _known_covariance_non_centred(out: dict[str, bool], choice, design: Design):
    """``gr(g, cov=K)`` factors are always non-centred (hiermodels.backend.known_covariance)."""
    for group in known_covariance_factors(design):
        if choice[group] == "centered":
            raise SpecError(
                f"The factor {group!r} has a known covariance (gr(..., cov=...)); its effects "
                "are always non-centred. Leave its parameterization 'auto' or 'non_centered'."
            )
        out[group] = False
    return out


def choose_collapsed_factor(
    design: Design, family: str, method: Method, *, dominance: Callable[[], dict[str, float]]
) -> str | None:
    """The factor ``method`` integrates out; see :meth:`hiermodels.Model.collapsed_factor`."""
    if method not in _METHODS:
        raise SpecError(f"Unknown method {method!r}; valid choices are {list(_METHODS)}.")
    stats = design.statistics
    if stats is not None and stats.gibbs is not None and method != "gibbs":
        raise SpecError(
            f"method={method!r} needs the model's rows, and this model holds only sums over "
            f"them ({stats.source}); valid choices here are 'auto' and 'gibbs' (the Gibbs "
            "sampler runs on the sums)."
        )
    if stats is not None and stats.gibbs is None and method in ("full", "gibbs"):
        raise SpecError(
            f"method={method!r} needs the model's rows, and this model holds only sums over "
            f"them ({stats.source}); valid choices here are 'auto' and "
            "'marginal' (the group effects integrated out, then drawn exactly)."
        )
    if method in ("full", "gibbs"):
        return None
    if not get_family(family).collapsible:
        if method == "marginal":
            raise SpecError(
                f"method='marginal' integrates group effects out of a gaussian model; "
                f"this model's family is {family!r}. Use method='full' or 'auto'."
            )
        return None
    if design.distributional:  # sigma varies by row: no closed form to collapse
        if method == "marginal":
            raise SpecError(
                "method='marginal' integrates group effects out of a gaussian model with one "
                "residual SD; this model gives sigma a formula. Use method='full' or 'auto'."
            )
        return None
    if design.row_terms is not None:
        if method == "marginal":
            raise SpecError(
                "method='marginal' integrates group effects out of a gaussian model with one "
                "residual SD; se(), cens() and weights() change each row's likelihood. Use "
                "method='full' or 'auto'."
            )
        return None
    if design.autocor is not None:
        # The collapsed likelihood assumes independent residuals given the group
        # effects; with AR(1) residuals each level's covariance is sd^2 11' + the AR
        # matrix, whose sufficient statistics are not those of collapsed.py.
        if method == "marginal":
            raise SpecError(
                "method='marginal' integrates group effects out of a gaussian model with "
                "independent residuals; this model has ar() (residual AR(1) within "
                "series). Use method='full' or 'auto'."
            )
        return None
    factor = collapsible_factor(design, dominance=dominance)
    if factor is None and method == "marginal":
        raise SpecError(
            "method='marginal' needs a grouping factor whose levels partition the rows; "
            f"this model has {[g.name for g in design.groups] or 'none'} "
            "(multiple-membership and gr(g, cov=K) factors cannot be collapsed). Use "
            "method='full' or 'auto'."
        )
    return factor


def build_graph(
    model: ModelLike,
    centered: Mapping[str, bool],
    *,
    collapsed: str | None = None,
    refit_weights: bool = False,
):
    """The ``pymc.Model`` of ``model`` with the given parameterisation (PyMC loaded here).

    ``refit_weights``: with a 0/1 weight per row in a data container (see
    :func:`hiermodels.backend.pymc.build_model`), for refits on subsets of the rows.
    """
    from hiermodels.backend.pymc import build_model

    kwargs = {} if collapsed is None else {"collapsed": collapsed}
    if refit_weights:
        kwargs["refit_weights"] = True
    return build_model(
        model.design,
        family=model.spec.family,
        link=model.spec.link,
        priors=model.priors,
        centered=centered,
        **kwargs,
    )
