"""A Gibbs sampler for gaussian models whose group terms are varying intercepts.

``fit(method="gibbs")`` samples ``y = F theta + sum_k u_k[level_k(i)] + e`` with
``u_kj ~ N(0, tau_k^2)`` and ``e ~ N(0, sigma^2)``, for any number of crossed or nested
factors whose levels partition the rows. It needs no gradient. The sweep runs on
sufficient statistics (:mod:`hiermodels.gibbs.statistics`: per-level sums and the
cross-tabulations of the large factors), computed from the rows once, in one compiled
loop (:mod:`hiermodels.gibbs.kernels`, numba, cached on disk after its first compilation);
one sweep costs the non-zero cells of the cross-tabulations (at most ``N`` per pair of
factors), the levels and the block, never a pass over the rows. On large crossed designs
(InstEval: 73,421 rows, 4,128 effects) NUTS needs deep trees of ``O(N)`` gradients;
here 2,000 sweeps take a few seconds.

The fixed coefficients and the effects of the small factors (at most
:data:`SMALL_FACTOR_LEVELS` levels, while the block stays within :data:`BLOCK_MAX`
columns) form one Gaussian block ``theta``. One sweep updates:

1. for every large factor ``k``: ``tau_k`` with ``u_k`` integrated out, then ``theta``
   with ``u_k`` integrated out, then ``u_k`` given both. Updating the block jointly with
   one factor at a time is the collapsed Gibbs sampler of Papaspiliopoulos, Roberts &
   Zanella (2020, *Biometrika* 107:25), whose convergence does not slow down as crossed
   designs grow; drawing ``tau_k`` with the effects integrated out avoids the slow
   centred update of an SD given its effects when the data say little about them;
2. every small factor's ``tau`` with the whole block integrated out, then the block;
3. ``sigma`` given the residuals.

Steps that integrate something out and leave it to be drawn by a later step form a
partially collapsed Gibbs sampler (van Dyk & Park 2008, *Journal of the American
Statistical Association* 103:790); the order above keeps its stationary distribution
the posterior. ``theta`` and ``u_k`` have Gaussian conditionals; the one-dimensional
conditionals of the SDs and ``sigma`` are drawn by slice sampling on the log scale
(Neal 2003, *Annals of Statistics* 31:705), so any prior of :data:`SCALE_PRIORS`
works. Every chain runs in the same vectorised sweep. Large factors nested in other
large factors are refused (the level-by-level updates of a nested pair mix slowly).

The prior of the intercept applies to the intercept at the centred fixed predictors,
as in the NUTS model; there, the sampled intercept also absorbs the mean of the
effects (see :mod:`hiermodels.backend.pymc`). With the default priors (2.5 SD of the
response wide), the two models differ far below Monte Carlo error.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("diameter ~ 1 + (1 | plate) + (1 | sample)",
...                  hm.datasets.load("Penicillin"))
>>> fit = model.fit(method="gibbs", draws=500, chains=2, random_seed=1)
>>> round(float(fit.idata["posterior"]["Intercept"].mean()), 0)
23.0
"""

from hiermodels.gibbs.checks import BLOCK_MAX, SMALL_FACTOR_LEVELS, check_gibbs
from hiermodels.gibbs.priors import SCALE_PRIORS, scale_log_prior
from hiermodels.gibbs.sampler import sample_gibbs

__all__ = [
    "BLOCK_MAX",
    "SCALE_PRIORS",
    "SMALL_FACTOR_LEVELS",
    "check_gibbs",
    "sample_gibbs",
    "scale_log_prior",
]
