"""The one place where variable, dimension and prior-slot names are made.

Every module that needs the name of a PyMC variable or a dimension asks here, so a name
is written in one place and read back from the same function.

Examples
--------
>>> from hiermodels import naming
>>> naming.sd_name("Subject"), naming.term_dim("Subject")
('sd_Subject', 'Subject__term')
"""

from __future__ import annotations

from collections.abc import Iterable

OBS_DIM = "obs"
FIXED_DIM = "fixed_term"
INTERCEPT = "Intercept"
CENTERED_INTERCEPT = "Intercept_centered"
SLOPES = "b"
CENTERED_SLOPES = "b_centered"
#: The fixed coefficients sampled jointly when slopes absorb level means (backend/shear).
CENTERED_COEFFICIENTS = "coefficients_centered"
CENTERED_COEFFICIENT_DIM = "coefficient_centered"
#: The slopes sampled on their own beside ``coefficients_centered``.
OWN_SLOPE_DIM = "b_centered_term"
SIGMA = "sigma"
#: Dimension of the ordered thresholds ``Intercept[1]``, ... of an ordinal family.
THRESHOLD_DIM = "threshold"
CHAIN_DRAW = ("chain", "draw")


_RESERVED = {
    "chain",
    "draw",
    "sample",
    OBS_DIM,
    FIXED_DIM,
    INTERCEPT,
    CENTERED_INTERCEPT,
    SLOPES,
    CENTERED_SLOPES,
    CENTERED_COEFFICIENTS,
    CENTERED_COEFFICIENT_DIM,
    OWN_SLOPE_DIM,
    SIGMA,
    THRESHOLD_DIM,
    "nu",
    "alpha",
    "mu",
    "term",
    "level",
    "pair",
    "y_obs",
}
#: Beginnings and endings of the names made per factor below: a factor or response named
#: like them could take the name of another factor's variable or dimension.
_PREFIXES = ("sd_", "cor_", "z_", "zbar_", "w_", "r_", "chol_", "data_")
_SUFFIXES = ("__level", "__term", "__term_bis")


def _clashes(name: str) -> bool:
    return name in _RESERVED or name.startswith(_PREFIXES) or name.endswith(_SUFFIXES)


def level_dim(group: str) -> str:
    """Dimension of the levels of ``group``: its name as written, made safe.

    Commas become ``+`` (nutpie stores dims comma-separated), so ``mm(s1, s2)`` gives
    ``mm(s1+s2)``; a name that clashes with a sample dimension or a model variable gets
    the suffix ``__level``, as does a name that looks like one made here (``r_g``,
    ``g__term``).
    """
    key = group.replace(", ", "+").replace(",", "+")
    return f"{key}__level" if _clashes(key) else key


def term_dim(group: str) -> str:
    """Dimension of the varying terms of ``group`` (coords: "Intercept", "Days", ...)."""
    return f"{level_dim(group)}__term"


def term_dim_bis(group: str) -> str:
    """Second term dimension, for the correlation matrix of ``group``."""
    return f"{level_dim(group)}__term_bis"


def sd_name(group: str) -> str:
    return f"sd_{level_dim(group)}"


def cor_name(group: str) -> str:
    return f"cor_{level_dim(group)}"


def offsets_name(group: str) -> str:
    """Standardised (non-centred) group offsets."""
    return f"z_{level_dim(group)}"


def mean_offsets_name(group: str) -> str:
    """Standardised mean of the group effects over the levels."""
    return f"zbar_{level_dim(group)}"


def deviations_name(group: str, block: int, n_blocks: int) -> str:
    """Centred deviations of the levels from their mean (J - 1 free rows)."""
    key = level_dim(group)
    return f"w_{key}" if n_blocks == 1 else f"w_{key}_{block}"


def effects_name(group: str) -> str:
    """Group effects (deviations from the fixed effects), dims ``(level_dim, term_dim)``."""
    return f"r_{level_dim(group)}"


def chol_name(group: str, block: int, n_blocks: int) -> str:
    key = level_dim(group)
    return f"chol_{key}" if n_blocks == 1 else f"chol_{key}_{block}"


def block_sd_name(group: str, block: int) -> str:
    return f"sd_{level_dim(group)}_{block}"


def group_data_name(what: str, group: str) -> str:
    """Data container of one factor: ``codes``, ``Z`` or ``weights``."""
    return data_name(f"{what}_{level_dim(group)}")


def data_name(what: str) -> str:
    """Name of a data container (design arrays live in ``pm.Data``, not as constants)."""
    return f"data_{what}"


def response_name(expr: str) -> str:
    """Name of the observed variable: the response expression, unless it clashes."""
    reserved = {INTERCEPT, CENTERED_INTERCEPT, SLOPES, CENTERED_SLOPES, SIGMA, "nu", "alpha", "mu"}
    if expr == "y_obs":
        return expr
    return "y_obs" if expr in reserved or _clashes(expr) else expr


def display_names(groups: Iterable[str]) -> dict[str, str]:
    """Names to show users for the per-factor variables whose stored name differs.

    Stored names are made safe for dimension names (``r_mm(s1+s2)``, ``sd_g__level``);
    users wrote the factor as ``mm(s1, s2)`` or ``g``, so diagnostics and plots show
    ``r_mm(s1, s2)`` and ``sd_g``. ``groups`` holds the factors' names as written.

    Examples
    --------
    >>> display_names(["Subject", "mm(s1, s2)"])["r_mm(s1+s2)"]
    'r_mm(s1, s2)'
    >>> display_names(["Subject"])
    {}
    """
    names = {}
    for group in groups:
        for stored, prefix in (
            (sd_name(group), "sd_"),
            (cor_name(group), "cor_"),
            (effects_name(group), "r_"),
        ):
            if stored != prefix + group:
                names[stored] = prefix + group
    return names


def threshold_names(n: int) -> list[str]:
    """Names of ``n`` ordered thresholds, as brms writes them: ``Intercept[1]``, ..."""
    return [f"{INTERCEPT}[{k}]" for k in range(1, n + 1)]


# Prior slots (the keys users write in ``priors={...}``)
def slope_slot(term: str) -> str:
    return term


def sd_slot(group: str, term: str) -> str:
    return f"sd|{group}|{term}"


def cor_slot(group: str) -> str:
    return f"cor|{group}"


def collapsed_loglik_name() -> str:
    """The Potential holding the collapsed (marginal) gaussian log-likelihood."""
    return "collapsed_loglik"
