"""Response families, one object each: declarations and behaviours together.

A family declares its links, its own parameters, the support of the response and the
default priors of its parameters, and it owns every computation that differs by family:
the PyMC likelihood, the NumPy pointwise log density, response draws, the latent residual
variance and the checks of the response. See :class:`Family` for the protocol.

Modules, in the order they import one another:

- :mod:`~hiermodels.families.links`: inverse links on arrays and on tensors,
- :mod:`~hiermodels.families.base`: the :class:`Family` protocol,
- one module per shipped family: :mod:`~hiermodels.families.gaussian`,
  :mod:`~hiermodels.families.student_t`, :mod:`~hiermodels.families.binomial`,
  :mod:`~hiermodels.families.bernoulli`, :mod:`~hiermodels.families.poisson`,
  :mod:`~hiermodels.families.negative_binomial`,
  :mod:`~hiermodels.families.zero_inflated_poisson`,
  :mod:`~hiermodels.families.zero_inflated_negative_binomial`,
  :mod:`~hiermodels.families.hurdle_poisson`,
  :mod:`~hiermodels.families.hurdle_negative_binomial`, :mod:`~hiermodels.families.beta`,
  :mod:`~hiermodels.families.gamma`, :mod:`~hiermodels.families.lognormal`,
  :mod:`~hiermodels.families.cumulative`,
- :mod:`~hiermodels.families.row_terms`: ``y | se(s)``, ``cens(c)`` and ``weights(w)``
  applied over any family,
- :mod:`~hiermodels.families.registry`: name to family, :func:`register`.

Importing this package does not import PyMC, PyTensor or SciPy; the methods that need
them import them when called.

Examples
--------
>>> import hiermodels as hm
>>> hm.families.get_family("poisson").default_link
'log'
>>> sorted(hm.families.FAMILIES)  # doctest: +NORMALIZE_WHITESPACE
['bernoulli', 'beta', 'binomial', 'cumulative', 'gamma', 'gaussian',
 'hurdle_negative_binomial', 'hurdle_poisson', 'lognormal', 'negative_binomial',
 'poisson', 'student_t', 'zero_inflated_negative_binomial', 'zero_inflated_poisson']
"""

from hiermodels.families.base import Family
from hiermodels.families.links import LINKS, inverse_link
from hiermodels.families.registry import (
    FAMILIES,
    get_family,
    register,
    resolve_link,
    unregister,
)
from hiermodels.families.support import Support

__all__ = [
    "FAMILIES",
    "LINKS",
    "Family",
    "Support",
    "get_family",
    "inverse_link",
    "register",
    "resolve_link",
    "unregister",
]
