"""The family table: every response distribution, its links and parameters, declared once.

A family is data, not code: the backend looks up the likelihood by ``name`` and the
inverse link by ``link``. Adding a family means adding a row here and one likelihood
function in :mod:`hiermodels.backend.likelihoods`.

Examples
--------
>>> from hiermodels.spec.families import get_family
>>> get_family("bernoulli").default_link
'logit'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hiermodels.errors import SpecError

__all__ = ["FAMILIES", "Family", "get_family", "resolve_link"]

Support = Literal["real", "binary", "bounded_count", "count"]


@dataclass(frozen=True)
class Family:
    """One response family.

    Attributes
    ----------
    name
        The name users pass as ``family=``.
    links
        Valid link functions; the first is the default.
    parameters
        Auxiliary (distributional) parameters estimated besides the mean, e.g. ``sigma``.
    support
        What the response may hold: ``"real"``, ``"binary"`` (0/1), ``"bounded_count"``
        (0..trials) or ``"count"`` (0, 1, 2, ...).
    response_scale
        ``True`` when default priors are set on the response's own scale (identity link
        families); otherwise they are set on the link scale.
    needs_trials
        ``True`` when the response needs a number of trials (``y | trials(n)``).
    reml_pilot
        ``True`` when a REML fit of the gaussian model with the same terms is a fair guide
        to how much the data determine each factor's group effects, so that
        ``parameterization="auto"`` consults it (continuous responses on the identity
        link). For the other families ``"auto"`` means non-centred.
    """

    name: str
    links: tuple[str, ...]
    parameters: tuple[str, ...]
    support: Support
    response_scale: bool
    needs_trials: bool = False
    reml_pilot: bool = False

    @property
    def default_link(self) -> str:
        return self.links[0]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("gaussian", ("identity",), ("sigma",), "real", True, reml_pilot=True),
        # Heavy tails inflate the pilot's residual variance, so the pilot errs towards
        # the non-centred choice, which is the safe one when the data are weak.
        Family("student_t", ("identity",), ("sigma", "nu"), "real", True, reml_pilot=True),
        Family("bernoulli", ("logit", "probit", "cloglog"), (), "binary", False),
        Family("binomial", ("logit", "probit", "cloglog"), (), "bounded_count", False, True),
        Family("poisson", ("log",), (), "count", False),
        Family("negative_binomial", ("log",), ("alpha",), "count", False),
    )
}


def get_family(name: str) -> Family:
    """Return the family called ``name``, or raise :class:`SpecError` listing valid ones."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise SpecError(f"Unknown family {name!r}; valid families are {sorted(FAMILIES)}.")
    return FAMILIES[name]


def resolve_link(family: Family, link: str | None) -> str:
    """Return ``link`` (or the family's default) after checking it against the table."""
    if link is None:
        return family.default_link
    if link not in family.links:
        raise SpecError(
            f"Link {link!r} is not available for family {family.name!r}; valid links are "
            f"{list(family.links)}."
        )
    return link
