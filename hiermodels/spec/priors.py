"""Prior objects, the default (auto-scaled) prior rules, and prior-key resolution.

The default rule
----------------
Defaults are weakly informative and scaled to the data, following the autoscaling of
rstanarm (Gabry & Goodrich, "Prior Distributions for rstanarm Models", 2020) and the
advice of Gelman, Simpson & Betancourt (2017, *Entropy* 19:555) that a prior should
rule out only implausible values on the scale of the data. Let ``s_y`` be the standard
deviation of the response for identity-link families, and ``s_y = 1`` on the link scale
for the others; ``s_x`` is the standard deviation of a predictor column and ``s_z`` that
of a varying-effect column (1 for an intercept).

====================  ========================================  ===========================
parameter             default                                   reasoning
====================  ========================================  ===========================
Intercept             Normal(link(mean y), 2.5 s_y)             at the means of the fixed
                                                                predictors (they are
                                                                centred internally, as in
                                                                brms)
fixed slope ``x``     Normal(0, 2.5 s_y / s_x)                  a one-SD change in x moves
                                                                y by at most ~5 SD
group SD              HalfNormal(s_y / s_z)                     a component of the
                                                                variance of y is unlikely
                                                                to exceed the variance of y
correlation           LKJ(eta=2)                                mild pull away from +-1
sigma (residual)      Exponential(1 / s_y)                      rstanarm's default
nu (Student-t)        Gamma(2, 0.1)                             Juarez & Steel (2010)
alpha (neg. binomial) Gamma(2, 0.1)                             weak, keeps alpha off 0
thresholds            StudentT(3, 0, 2.5)                       brms's default for the
(cumulative)                                                    thresholds of ordinal
                                                                families
====================  ========================================  ===========================

The last four rows are the defaults of the families' own parameters: each family sets
them (:meth:`hiermodels.families.Family.default_prior`, given the scale ``s_y``), and
:func:`default_priors` asks it through its ``family_prior`` argument.

Examples
--------
>>> from hiermodels.spec.priors import Prior
>>> Prior("Normal", mu=0, sigma=1)
Prior('Normal', mu=0, sigma=1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from hiermodels.errors import PriorError
from hiermodels.spec.support import check_support

__all__ = ["Prior", "PriorSlot", "default_priors", "resolve_priors", "valid_prior_keys"]


@dataclass(frozen=True, init=False)
class Prior:
    """A prior distribution: a PyMC distribution name and its parameters.

    Parameters
    ----------
    dist
        A PyMC distribution name such as ``"Normal"``, ``"HalfNormal"``, ``"StudentT"``,
        ``"Exponential"``, or ``"LKJ"`` (for correlations, with ``eta``).
    **params
        The distribution's parameters, as PyMC names them.

    Raises
    ------
    PriorError
        If ``dist`` is not a name, or a parameter is outside its valid range (for example a
        scale that is not positive, or ``lower >= upper``); see
        :mod:`hiermodels.spec.support`. Unknown names are reported when a model is built.

    Examples
    --------
    >>> Prior("HalfNormal", sigma=2).params
    {'sigma': 2}
    """

    dist: str
    items: tuple[tuple[str, float], ...]

    def __init__(self, dist: str, **params: float):
        if not isinstance(dist, str) or not dist:
            raise PriorError(f"A prior needs a distribution name, got {dist!r}.")
        check_support(dist, params)
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "items", tuple(sorted(params.items())))

    @property
    def params(self) -> dict[str, float]:
        return dict(self.items)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.items)
        return f"Prior({self.dist!r}{args})"

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.items)
        return f"{self.dist}({args})"


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class PriorSlot:
    """One place in a model that takes a prior.

    ``keys`` lists the prior keys that address it, most specific first; ``kind`` is
    ``"Intercept"``, ``"b"``, ``"sd"``, ``"cor"``, a family parameter name, or
    ``"threshold"`` (the ordered thresholds of an ordinal family, whose defaults the
    family sets like those of its parameters).
    """

    name: str
    kind: str
    keys: tuple[str, ...]
    group: str | None = None
    term: str | None = None


def _link_of_mean(link: str, mean: float) -> float:
    eps = 1e-3
    if link == "identity":
        return mean
    if link == "log":
        return math.log(max(mean, eps))
    p = min(max(mean, eps), 1 - eps)
    if link == "logit":
        return math.log(p / (1 - p))
    if link == "probit":
        # Inverse normal CDF by bisection on erf (no SciPy needed in the spec layer).
        lo, hi = -8.0, 8.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2
    if link == "cloglog":
        return math.log(-math.log(1 - p))
    raise PriorError(f"No default intercept rule for link {link!r}.")


def _positive(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 1.0


def default_priors(
    slots: Iterable[PriorSlot],
    *,
    link: str,
    response_scale: bool,
    y_mean: float,
    y_sd: float,
    column_sd: Mapping[str, float],
    group_column_sd: Mapping[tuple[str, str], float],
    offset_mean: float = 0.0,
    family_prior: Callable[..., Prior] | None = None,
) -> dict[str, Prior]:
    """Apply the default rule (see the module docstring) to every slot.

    Parameters
    ----------
    slots
        The model's prior slots.
    link
        The link function, used to place the intercept prior at ``link(mean y)``.
    response_scale
        ``True`` for identity-link families (scale by ``sd(y)``), else the link scale.
    y_mean, y_sd
        Mean and standard deviation of the response (of ``y / trials`` for binomial).
    column_sd
        Standard deviation of each fixed-effect column.
    group_column_sd
        Standard deviation of each varying-effect column, keyed by ``(group, term)``.
    offset_mean
        Mean of the offset on the link scale; the intercept prior is shifted by it.
    family_prior
        ``family_prior(name, scale=s_y)`` gives the default prior of the family's own
        parameter ``name`` (the family's ``default_prior``); required when ``slots``
        hold such parameters.

    Returns
    -------
    dict
        Slot name to prior.
    """
    scale = _positive(y_sd) if response_scale else 1.0
    out: dict[str, Prior] = {}
    for slot in slots:
        if slot.kind == "Intercept":
            mu = (y_mean if response_scale else _link_of_mean(link, y_mean)) - offset_mean
            out[slot.name] = Prior("Normal", mu=float(mu), sigma=2.5 * scale)
        elif slot.kind == "b":
            sx = _positive(column_sd.get(slot.term, 1.0))
            out[slot.name] = Prior("Normal", mu=0.0, sigma=2.5 * scale / sx)
        elif slot.kind == "sd":
            sz = (
                1.0
                if slot.term == "Intercept"
                else _positive(group_column_sd.get((slot.group, slot.term), 1.0))
            )
            out[slot.name] = Prior("HalfNormal", sigma=scale / sz)
        elif slot.kind == "sds":  # a smooth's SD (hiermodels.design.smooths)
            out[slot.name] = Prior("HalfNormal", sigma=scale)
        elif slot.kind == "cor":
            out[slot.name] = Prior("LKJ", eta=2.0)
        elif family_prior is not None:
            out[slot.name] = family_prior(slot.kind, scale=scale)
        else:
            raise PriorError(f"No default prior rule for slot kind {slot.kind!r}.")
    return out


def valid_prior_keys(slots: Iterable[PriorSlot]) -> list[str]:
    """Every key that addresses at least one slot of this model, sorted."""
    return sorted({key for slot in slots for key in slot.keys})


def resolve_priors(
    slots: list[PriorSlot], user: Mapping[str, object] | None, defaults: Mapping[str, Prior]
) -> tuple[dict[str, Prior], dict[str, str]]:
    """Combine user priors with defaults; the most specific key wins.

    Returns
    -------
    priors, sources
        Slot name to prior, and slot name to ``"user"`` or ``"default"``.

    Raises
    ------
    PriorError
        For a key that addresses nothing in this model (the message lists the valid keys),
        or a value that is not a :class:`Prior` (a number is accepted for ``cor`` keys as
        the LKJ ``eta``).
    """
    user = dict(user or {})
    valid = valid_prior_keys(slots)
    for key, value in user.items():
        if key not in valid:
            raise PriorError(f"Unknown prior key {key!r}; valid keys for this model are {valid}.")
        is_cor = key == "cor" or key.startswith("cor|")
        if is_cor and isinstance(value, int | float) and not isinstance(value, bool):
            if value <= 0:
                raise PriorError(f"The LKJ eta for {key!r} must be positive, got {value!r}.")
            user[key] = Prior("LKJ", eta=float(value))
        elif not isinstance(value, Prior):
            raise PriorError(
                f"The prior for {key!r} must be an hm.Prior, e.g. hm.Prior('Normal', mu=0, "
                f"sigma=1), got {value!r}."
            )
        elif is_cor and value.dist != "LKJ":
            raise PriorError(
                f"Correlations take an LKJ prior, e.g. hm.Prior('LKJ', eta=2); got {value} "
                f"for {key!r}."
            )
    priors: dict[str, Prior] = {}
    sources: dict[str, str] = {}
    for slot in slots:
        chosen = next((key for key in slot.keys if key in user), None)
        if chosen is None:
            priors[slot.name], sources[slot.name] = defaults[slot.name], "default"
        else:
            priors[slot.name], sources[slot.name] = user[chosen], f"user ({chosen})"
    return priors, sources
