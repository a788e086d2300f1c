"""The registry: family name to family object, for the shipped families and your own.

Adding a family to hiermodels is one module in :mod:`hiermodels.families` and one line
in :data:`BUILTIN` below; a family of your own (in your code) is one
:func:`register` call.

Examples
--------
>>> get_family("bernoulli").default_link
'logit'
>>> sorted(FAMILIES)[:3]
['bernoulli', 'beta', 'binomial']
"""

from __future__ import annotations

from hiermodels.errors import SpecError
from hiermodels.families.base import Family
from hiermodels.families.bernoulli import BERNOULLI
from hiermodels.families.beta import BETA
from hiermodels.families.binomial import BINOMIAL
from hiermodels.families.cumulative import CUMULATIVE
from hiermodels.families.gamma import GAMMA
from hiermodels.families.gaussian import GAUSSIAN, Gaussian
from hiermodels.families.hurdle_negative_binomial import HURDLE_NEGATIVE_BINOMIAL
from hiermodels.families.hurdle_poisson import HURDLE_POISSON
from hiermodels.families.links import LINKS
from hiermodels.families.lognormal import LOGNORMAL
from hiermodels.families.negative_binomial import NEGATIVE_BINOMIAL
from hiermodels.families.poisson import POISSON
from hiermodels.families.student_t import STUDENT_T
from hiermodels.families.support import SUPPORTS
from hiermodels.families.zero_inflated_negative_binomial import ZERO_INFLATED_NEGATIVE_BINOMIAL
from hiermodels.families.zero_inflated_poisson import ZERO_INFLATED_POISSON

__all__ = ["BUILTIN", "FAMILIES", "get_family", "register", "resolve_link", "unregister"]

#: The shipped families, in the order the documentation lists them.
BUILTIN: tuple[Family, ...] = (
    GAUSSIAN,
    STUDENT_T,
    BERNOULLI,
    BINOMIAL,
    POISSON,
    NEGATIVE_BINOMIAL,
    ZERO_INFLATED_POISSON,
    ZERO_INFLATED_NEGATIVE_BINOMIAL,
    HURDLE_POISSON,
    HURDLE_NEGATIVE_BINOMIAL,
    BETA,
    GAMMA,
    LOGNORMAL,
    CUMULATIVE,
)

#: Every family ``family=`` accepts, by name: the shipped ones and the registered ones.
FAMILIES: dict[str, Family] = {f.name: f for f in BUILTIN}


def get_family(name: str) -> Family:
    """Return the family called ``name``, or raise :class:`SpecError` listing valid ones."""
    if not isinstance(name, str) or name not in FAMILIES:
        raise SpecError(f"Unknown family {name!r}; valid families are {sorted(FAMILIES)}.")
    return FAMILIES[name]


def _check(family: Family) -> None:
    if not isinstance(family, Family):
        raise SpecError(
            f"register() takes a hiermodels.families.Family instance, got {type(family).__name__}."
        )
    name = getattr(family, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise SpecError(f"A family's name must be an identifier such as 'laplace', got {name!r}.")
    links = getattr(family, "links", ())
    if not isinstance(links, tuple) or not links or any(k not in LINKS for k in links):
        raise SpecError(
            f"Family {name!r} must list its links as a non-empty tuple of {list(LINKS)}, "
            f"got {links!r}."
        )
    params = family.parameters
    if not isinstance(params, tuple) or not all(
        isinstance(p, str) and p.isidentifier() for p in params
    ):
        raise SpecError(
            f"Family {name!r} must list its parameters as a tuple of identifiers, got {params!r}."
        )
    if getattr(family, "support", None) not in SUPPORTS:
        raise SpecError(
            f"Family {name!r} has support {getattr(family, 'support', None)!r}; valid supports "
            f"are {list(SUPPORTS)}."
        )
    if not isinstance(getattr(family, "response_scale", None), bool):
        raise SpecError(f"Family {name!r} must set response_scale to True or False.")
    if family.collapsible and not isinstance(family, Gaussian):
        # The marginal, Gibbs and REML code integrate a normal likelihood in closed form.
        raise SpecError(
            f"Family {name!r} sets collapsible=True, which means a normal response on the "
            "identity link: only subclasses of hiermodels.families.gaussian.Gaussian may."
        )


def register(family: Family) -> Family:
    """Make ``family`` available as ``family=family.name`` in :class:`hiermodels.Model`.

    Parameters
    ----------
    family
        An instance of a :class:`~hiermodels.families.Family` subclass that sets the
        declarations (``name``, ``links``, ``parameters``, ``support``,
        ``response_scale``) and implements ``default_prior`` (when it has parameters),
        ``pymc_likelihood``, ``log_likelihood`` and ``draw_response``.

    Returns
    -------
    Family
        ``family``, so that ``LAPLACE = register(Laplace())`` works.

    Raises
    ------
    SpecError
        When the name is taken, or a declaration is missing or invalid.

    Notes
    -----
    The registry lives in the running process: a saved fit of a registered family loads
    only after the family is registered again, and so do k-fold refits in worker
    processes.
    """
    _check(family)
    if family.name in FAMILIES:
        raise SpecError(
            f"A family called {family.name!r} is already registered; unregister it first "
            f"or choose another name. Registered families: {sorted(FAMILIES)}."
        )
    FAMILIES[family.name] = family
    return family


def unregister(name: str) -> None:
    """Remove the family called ``name``, added by :func:`register`.

    Raises :class:`SpecError` for a name not registered, and for a shipped family.
    """
    if name in {f.name for f in BUILTIN}:
        raise SpecError(f"The family {name!r} ships with hiermodels and cannot be removed.")
    if name not in FAMILIES:
        raise SpecError(f"No family called {name!r} is registered; registered: {sorted(FAMILIES)}.")
    del FAMILIES[name]


def resolve_link(family: Family, link: str | None) -> str:
    """Return ``link`` (or the family's default) after checking it against the family."""
    if link is None:
        return family.default_link
    if link not in family.links:
        raise SpecError(
            f"Link {link!r} is not available for family {family.name!r}; valid links are "
            f"{list(family.links)}."
        )
    return link
