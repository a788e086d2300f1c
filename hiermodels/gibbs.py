"""A Gibbs sampler for gaussian models whose group terms are varying intercepts.

``fit(method="gibbs")`` samples ``y = F theta + sum_k u_k[level_k(i)] + e`` with
``u_kj ~ N(0, tau_k^2)`` and ``e ~ N(0, sigma^2)``, for any number of crossed or nested
factors whose levels partition the rows. It needs no gradient and no compilation, and
one sweep costs ``O(N (K + p))`` for ``N`` rows, ``K`` factors and ``p`` fixed
columns. On large crossed designs (InstEval: 73,421 rows, 4,128 effects) NUTS needs
deep trees of ``O(N)`` gradients, while a sweep here costs a few passes over the rows.

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

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from hiermodels.backend import naming
from hiermodels.collapsed import draw_gaussian, fixed_columns, is_collapsible, is_nested
from hiermodels.design import Design
from hiermodels.errors import PriorError, SpecError
from hiermodels.families import get_family
from hiermodels.spec.priors import Prior

__all__ = ["SCALE_PRIORS", "check_gibbs", "sample_gibbs", "scale_log_prior"]


def _half_normal(x, sigma=None, tau=None):
    s2 = sigma**2 if sigma is not None else 1.0 / tau
    return -0.5 * x**2 / s2


def _exponential(x, lam=None, scale=None):
    return -x * (lam if lam is not None else 1.0 / scale)


def _half_student_t(x, nu, sigma=None, lam=None):
    s2 = sigma**2 if sigma is not None else 1.0 / lam
    return -0.5 * (nu + 1.0) * np.log1p(x**2 / (nu * s2))


def _half_cauchy(x, beta):
    return -np.log1p((x / beta) ** 2)


def _gamma(x, alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha, beta = mu**2 / sigma**2, mu / sigma**2
    return (alpha - 1.0) * np.log(x) - beta * x


def _inverse_gamma(x, alpha=None, beta=None, mu=None, sigma=None):
    if alpha is None:
        alpha = mu**2 / sigma**2 + 2.0
        beta = mu * (alpha - 1.0)
    return -(alpha + 1.0) * np.log(x) - beta / x


def _log_normal(x, mu=0.0, sigma=None, tau=None):
    s2 = sigma**2 if sigma is not None else 1.0 / tau
    lx = np.log(x)
    return -lx - 0.5 * (lx - mu) ** 2 / s2


def _uniform(x, lower=0.0, upper=1.0):
    return np.where((x > lower) & (x < upper), 0.0, -np.inf)


def _half_flat(x):
    return np.zeros_like(x)


#: Priors for a positive scale (a group SD or ``sigma``) that the Gibbs sampler
#: evaluates, as log-densities up to a constant, with the parameter names of PyMC.
SCALE_PRIORS: dict[str, Callable] = {
    "HalfNormal": _half_normal,
    "Exponential": _exponential,
    "HalfStudentT": _half_student_t,
    "HalfCauchy": _half_cauchy,
    "Gamma": _gamma,
    "InverseGamma": _inverse_gamma,
    "LogNormal": _log_normal,
    "Uniform": _uniform,
    "HalfFlat": _half_flat,
}


def scale_log_prior(key: str, prior: Prior) -> Callable[[np.ndarray], np.ndarray]:
    """The log-density (up to a constant) of a scale prior, as a function of the scale.

    Examples
    --------
    >>> f = scale_log_prior("sigma", Prior("HalfNormal", sigma=2.0))
    >>> float(f(np.array(2.0)))
    -0.5
    """
    density = SCALE_PRIORS.get(prior.dist)
    if density is None:
        raise PriorError(
            f"method='gibbs' cannot use the prior {prior} for {key!r}; it supports "
            f"{sorted(SCALE_PRIORS)} for SDs and sigma. Use method='auto' for other priors."
        )
    params = {k: float(v) for k, v in prior.params.items()}
    try:
        density(np.array(1.0), **params)
    except TypeError:
        raise PriorError(
            f"method='gibbs' cannot read the parameters of {prior} for {key!r}."
        ) from None
    return lambda x: density(x, **params)


def _normal_prior(key: str, prior: Prior) -> tuple[float, float]:
    """(mean, precision) of a fixed coefficient's prior: Normal, or Flat (precision 0)."""
    if prior.dist == "Flat":
        return 0.0, 0.0
    params = prior.params
    if prior.dist == "Normal" and "sigma" in params:
        return float(params.get("mu", 0.0)), 1.0 / float(params["sigma"]) ** 2
    if prior.dist == "Normal" and "tau" in params:
        return float(params.get("mu", 0.0)), float(params["tau"])
    raise PriorError(
        f"method='gibbs' needs a Normal (or Flat) prior on the fixed coefficient {key!r}, "
        f"got {prior}. Use method='auto' for other priors."
    )


def check_gibbs(design: Design, family: str, link: str) -> None:
    """Raise SpecError unless ``fit(method="gibbs")`` can sample this model."""
    if not get_family(family).collapsible or link != "identity":
        raise SpecError(
            f"method='gibbs' samples gaussian models with the identity link; this model is "
            f"{family!r} with link {link!r}. Use method='auto' or 'full'."
        )
    if not design.groups:
        raise SpecError("method='gibbs' needs at least one grouping factor; this model has none.")
    for g in design.groups:
        if tuple(g.terms) != (naming.INTERCEPT,) or not is_collapsible(g):
            raise SpecError(
                f"method='gibbs' handles varying intercepts (1 | g) of factors whose levels "
                f"partition the rows; the factor {g.name!r} has terms {list(g.terms)}"
                + ("" if is_collapsible(g) else " and multiple membership")
                + ". Use method='auto' or 'full'."
            )
    small = _small_factors(design)
    large = [g for g in design.groups if g.name not in small]
    for inner in large:
        for outer in large:
            if inner is not outer and is_nested(inner, outer):
                raise SpecError(
                    f"method='gibbs' updates factors of more than {SMALL_FACTOR_LEVELS} levels "
                    f"one at a time, which mixes slowly when one is nested in another; "
                    f"{inner.name!r} ({inner.n_levels} levels) is nested in {outer.name!r} "
                    f"({outer.n_levels} levels). Use method='auto', which integrates the "
                    "inner factor out."
                )


#: Factors with at most this many levels join the fixed coefficients in one Gaussian
#: block, while its size stays within :data:`BLOCK_MAX`; larger factors are updated
#: level by level, each jointly with that block.
SMALL_FACTOR_LEVELS = 100
BLOCK_MAX = 64


def _small_factors(design: Design) -> set[str]:
    """The factors that join the fixed coefficients in the Gaussian block."""
    size = len(fixed_columns(design)[0][0])
    small = set()
    for g in sorted(design.groups, key=lambda g: g.n_levels):
        if g.n_levels <= SMALL_FACTOR_LEVELS and size + g.n_levels <= BLOCK_MAX:
            small.add(g.name)
            size += g.n_levels
    return small


@dataclass(frozen=True, eq=False)
class _Factor:
    name: str
    codes: np.ndarray  # (N,)
    counts: np.ndarray  # (J,)
    log_prior: Callable
    indicator: object = None  # scipy.sparse (J, N): level-by-row incidence
    level_block: np.ndarray | None = None  # (J, P): sums of the block's columns per level
    columns: slice | None = None  # where a small factor's effects sit in the block

    @property
    def n_levels(self) -> int:
        return len(self.counts)

    def level_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (N, chains) within levels: (chains, J)."""
        return (self.indicator @ values).T

    def per_row(self, effects: np.ndarray) -> np.ndarray:
        """The effects (chains, J) of each row's level: (N, chains)."""
        return np.take(np.ascontiguousarray(effects.T), self.codes, axis=0)


class _Block:
    """The fixed columns and the one-hot columns of the small factors, side by side."""

    def __init__(self, F: np.ndarray, small: list[_Factor]):
        import scipy.sparse as sp

        self.F = F
        self.small = small
        N = len(F)
        self.sparse = sp.hstack(
            [sp.csr_matrix(F)]
            + [
                sp.csr_matrix((np.ones(N), (np.arange(N), f.codes)), shape=(N, f.n_levels))
                for f in small
            ],
            format="csr",
        )

    def times(self, coef: np.ndarray) -> np.ndarray:
        """Block @ coef' for coefficients (chains, P): (N, chains)."""
        p = self.F.shape[1]
        out = self.F @ coef[:, :p].T if p else np.zeros((len(self.F), len(coef)))
        for f in self.small:
            out += f.per_row(coef[:, f.columns])
        return out

    def transpose_times(self, values: np.ndarray) -> np.ndarray:
        """(Block' values)' for values (N, chains): (chains, P)."""
        return np.concatenate(
            [values.T @ self.F] + [f.level_sums(values) for f in self.small], axis=1
        )


def _slice_log_scale(log_density, x0, width, rng, *, max_steps: int = 50):
    """One slice-sampling update (stepping out, then shrinkage) of ``x0`` per chain.

    ``log_density`` maps a (chains,) array of log-scales to log-densities.
    """
    level = log_density(x0) - rng.standard_exponential(x0.shape)
    left = x0 - width * rng.uniform(size=x0.shape)
    right = left + width
    for _ in range(max_steps):
        out = log_density(left) > level
        if not out.any():
            break
        left = np.where(out, left - width, left)
    for _ in range(max_steps):
        out = log_density(right) > level
        if not out.any():
            break
        right = np.where(out, right + width, right)
    x = x0.copy()
    pending = np.ones(x0.shape, dtype=bool)
    for _ in range(200):
        proposal = left + rng.uniform(size=x0.shape) * (right - left)
        accept = pending & (log_density(proposal) > level)
        x = np.where(accept, proposal, x)
        pending &= ~accept
        if not pending.any():
            break
        below = proposal < x0
        left = np.where(pending & below, proposal, left)
        right = np.where(pending & ~below, proposal, right)
    return x


class _Scale:
    """A positive scale per chain (a group SD or sigma), drawn by slice sampling on the
    log scale, with the slice width tuned during warm-up to about three steps' size."""

    def __init__(self, value: np.ndarray, log_prior: Callable):
        self.value = value
        self.log_prior = log_prior
        self._width = np.ones(len(value))

    def draw(self, log_likelihood: Callable, rng, tuning: bool) -> np.ndarray:
        """Update from ``log_prior(s) + log_likelihood(log s)`` (Jacobian included)."""

        def density(x):
            return self.log_prior(np.exp(x)) + x + log_likelihood(x)

        old = np.log(self.value)
        new = _slice_log_scale(density, old, self._width, rng)
        if tuning:
            step = np.clip(3.0 * np.abs(new - old), 1e-4, 10.0)
            self._width = 0.8 * self._width + 0.2 * step
        self.value = np.exp(new)
        return self.value


def _level_marginal(R: np.ndarray, counts: np.ndarray, s2: np.ndarray) -> Callable:
    """log p(residuals | tau) with one factor's effects integrated out, in log tau.

    ``R`` (chains, J) holds per level the sum of the residuals without the factor; per
    level the rows are N(0, sigma^2 I + tau^2 11'), whose log-density in tau is
    ``-1/2 log(1 + n_j tau^2 / sigma^2) + tau^2 R_j^2 / (2 sigma^2 (sigma^2 + n_j tau^2))``.
    """
    s2 = s2[:, None]
    R2 = R**2

    def f(x):
        t2 = np.exp(2.0 * x)[:, None]
        d = s2 + counts * t2
        return np.sum(-0.5 * np.log(d / s2) + t2 * R2 / (2.0 * s2 * d), axis=1)

    return f


def _block_marginal(BtB, linear, precision, columns: slice, s2) -> Callable:
    """log p(residuals | tau) with the whole block integrated out, in log tau of the
    small factor at ``columns``.

    With block coefficients ``N(m, Lambda^-1)`` and ``Q = Lambda + B'B / sigma^2``, the
    terms that depend on ``tau`` are ``1/2 log|Lambda| - 1/2 log|Q| + 1/2 b'Q^-1 b``, where
    ``b = Lambda m + B'r / sigma^2`` does not depend on ``tau`` (the effects have mean 0).
    """
    n_levels = columns.stop - columns.start
    base = BtB / s2[:, None, None]
    diag = np.arange(BtB.shape[0])
    rest = precision.copy()

    def f(x):
        rest[:, columns] = np.exp(-2.0 * x)[:, None]
        Q = base.copy()
        Q[:, diag, diag] += rest
        chol = np.linalg.cholesky(Q)
        z = np.linalg.solve(chol, linear[..., None])[..., 0]
        logdet = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        return -n_levels * x - logdet + 0.5 * np.sum(z**2, axis=1)

    return f


def sample_gibbs(
    design: Design,
    priors: Mapping[str, Prior],
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
) -> tuple[xr.DataTree, dict[str, float]]:
    """Run the Gibbs sampler; return the posterior (as the NUTS fits name it) and timings.

    Call :func:`check_gibbs` first.
    """
    import scipy.sparse as sp

    start = time.perf_counter()
    rng = np.random.default_rng([seed, 7])
    F, centre = fixed_columns(design)
    N, p = F.shape
    y = design.y.astype(float) - (design.offset if design.offset is not None else 0.0)
    C = chains

    slope_names = [n for n in design.fixed.names if n != naming.INTERCEPT]
    coef_keys = ([naming.INTERCEPT] if design.fixed.has_intercept else []) + [
        naming.slope_slot(n) for n in slope_names
    ]
    fixed_priors = [_normal_prior(k, priors[k]) for k in coef_keys]

    # The block: fixed columns, then the one-hot columns of the small factors.
    factors = [
        _Factor(
            name=g.name,
            codes=g.codes[:, 0].astype(np.int64),
            counts=np.bincount(g.codes[:, 0], minlength=g.n_levels).astype(float),
            log_prior=scale_log_prior(
                naming.sd_slot(g.name, naming.INTERCEPT),
                priors[naming.sd_slot(g.name, naming.INTERCEPT)],
            ),
            indicator=sp.csr_matrix(
                (np.ones(N), (g.codes[:, 0], np.arange(N))), shape=(g.n_levels, N)
            ),
        )
        for g in design.groups
    ]
    small_names = _small_factors(design)
    small, large, P = [], [], p
    for f in sorted(factors, key=lambda f: f.n_levels):
        if f.name in small_names:
            small.append(replace(f, columns=slice(P, P + f.n_levels)))
            P += f.n_levels
        else:
            large.append(f)
    block = _Block(F, small)
    for i, f in enumerate(large):
        large[i] = replace(f, level_block=(f.indicator @ block.sparse).toarray())
    BtB = (block.sparse.T @ block.sparse).toarray()
    fixed_precision = np.array([q for _, q in fixed_priors], dtype=float)
    # Precision times mean of the block's prior (the effects have mean 0).
    prior_linear = np.zeros(P)
    prior_linear[:p] = fixed_precision * np.array([m for m, _ in fixed_priors], dtype=float)

    # Dispersed starting points: least squares for the fixed part, scales ~ sd(y).
    y_sd = float(np.std(y)) or 1.0
    theta = np.zeros((C, P))
    if p:
        theta[:, :p] = np.linalg.lstsq(F, y, rcond=None)[0]
    effects = {f.name: np.zeros((C, f.n_levels)) for f in large}
    scales = {f.name: _Scale(y_sd * rng.uniform(0.1, 1.0, size=C), f.log_prior) for f in factors}
    sigma = _Scale(
        y_sd * rng.uniform(0.3, 1.0, size=C), scale_log_prior(naming.SIGMA, priors[naming.SIGMA])
    )
    resid = y[:, None] - block.times(theta)  # (N, C): rows by chains
    diag = np.arange(P)

    def block_precision():
        """Prior precision of the block's coefficients, (C, P)."""
        precision = np.empty((C, P))
        precision[:, :p] = fixed_precision
        for f in small:
            precision[:, f.columns] = 1.0 / scales[f.name].value[:, None] ** 2
        return precision

    def block_draw(Q, b):
        return draw_gaussian(Q, b, rng) if P else theta

    kept = {
        "theta": np.empty((C, draws, P)),
        "sigma": np.empty((C, draws)),
        "scales": {f.name: np.empty((C, draws)) for f in factors},
        "effects": {f.name: np.empty((C, draws, f.n_levels)) for f in large},
    }
    for sweep in range(tune + draws):
        tuning = sweep < tune
        s2 = sigma.value**2
        for f in large:
            # tau_f with u_f integrated out; then the block with u_f integrated out; then
            # u_f given both (a partially collapsed Gibbs sampler: van Dyk & Park 2008).
            u = effects[f.name]
            R = f.level_sums(resid) + f.counts * u
            scales[f.name].draw(_level_marginal(R, f.counts, s2), rng, tuning)
            t2 = scales[f.name].value ** 2
            R += theta @ f.level_block.T
            Br = block.transpose_times(resid) + u @ f.level_block + theta @ BtB
            shrink = t2[:, None] / (s2[:, None] + f.counts * t2[:, None])
            weighted = shrink[:, :, None] * f.level_block
            Q = (BtB - np.swapaxes(weighted, 1, 2) @ f.level_block) / s2[:, None, None]
            precision = block_precision()
            Q[:, diag, diag] += precision
            b = prior_linear + (Br - (R[:, None, :] @ weighted)[:, 0]) / s2[:, None]
            new = block_draw(Q, b)
            R -= new @ f.level_block.T
            level_precision = f.counts / s2[:, None] + 1.0 / t2[:, None]
            u_new = R / s2[:, None] / level_precision + rng.standard_normal(
                level_precision.shape
            ) / np.sqrt(level_precision)
            resid -= block.times(new - theta) + f.per_row(u_new - u)
            theta = new
            effects[f.name] = u_new
        if small or not large:
            # Each small factor's tau with the whole block integrated out, then the block.
            Br = block.transpose_times(resid) + theta @ BtB
            b = prior_linear + Br / s2[:, None]
            for f in small:
                density = _block_marginal(BtB, b, block_precision(), f.columns, s2)
                scales[f.name].draw(density, rng, tuning)
            Q = np.broadcast_to(BtB / s2[:, None, None], (C, P, P)).copy()
            Q[:, diag, diag] += block_precision()
            new = block_draw(Q, b)
            resid -= block.times(new - theta)
            theta = new
        sse = np.einsum("nc,nc->c", resid, resid)
        sigma.draw(lambda x, sse=sse: -N * x - 0.5 * sse * np.exp(-2.0 * x), rng, tuning)
        if not tuning:
            d = sweep - tune
            kept["theta"][:, d] = theta
            kept["sigma"][:, d] = sigma.value
            for f in factors:
                kept["scales"][f.name][:, d] = scales[f.name].value
            for f in large:
                kept["effects"][f.name][:, d] = effects[f.name]
    for f in small:
        kept["effects"][f.name] = kept["theta"][..., f.columns]
    kept["theta"] = kept["theta"][..., :p]
    seconds = time.perf_counter() - start
    return _posterior_tree(design, kept, centre, slope_names), {"sampling": seconds}


def _posterior_tree(design, kept, centre, slope_names) -> xr.DataTree:
    """The draws under the names and dimensions of the NUTS fits."""
    theta = kept["theta"]
    C, D = kept["sigma"].shape
    coords = {"chain": np.arange(C), "draw": np.arange(D)}
    chain_draw = naming.CHAIN_DRAW
    variables: dict[str, xr.DataArray] = {}
    offset = 1 if design.fixed.has_intercept else 0
    slopes = theta[..., offset:]
    if design.fixed.has_intercept:
        intercept = theta[..., 0] - (slopes @ centre if centre is not None else 0.0)
        variables[naming.INTERCEPT] = xr.DataArray(intercept, dims=chain_draw, coords=coords)
    if slope_names:
        variables[naming.SLOPES] = xr.DataArray(
            slopes,
            dims=(*chain_draw, naming.FIXED_DIM),
            coords={**coords, naming.FIXED_DIM: slope_names},
        )
    for g in design.groups:
        term_dim, level_dim = naming.term_dim(g.name), naming.level_dim(g.name)
        variables[naming.sd_name(g.name)] = xr.DataArray(
            kept["scales"][g.name][..., None],
            dims=(*chain_draw, term_dim),
            coords={**coords, term_dim: list(g.terms)},
        )
        variables[naming.effects_name(g.name)] = xr.DataArray(
            kept["effects"][g.name][..., None],
            dims=(*chain_draw, level_dim, term_dim),
            coords={**coords, level_dim: list(g.levels), term_dim: list(g.terms)},
        )
    variables[naming.SIGMA] = xr.DataArray(kept["sigma"], dims=chain_draw, coords=coords)
    posterior = xr.Dataset(variables)
    posterior.attrs["inference_library"] = "hiermodels.gibbs"
    return xr.DataTree.from_dict({"posterior": posterior})
