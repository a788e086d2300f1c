"""The Gibbs sampler's set-up and the posterior tree it returns; the sweeps themselves
run compiled (:mod:`hiermodels.gibbs.kernels`)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.design import Design
from hiermodels.errors import SamplerError
from hiermodels.gibbs.kernels import run_sweeps
from hiermodels.gibbs.priors import normal_prior, scale_prior
from hiermodels.gibbs.statistics import GibbsStatistics, gibbs_statistics
from hiermodels.progress import progress
from hiermodels.spec.priors import Prior

__all__ = ["sample_gibbs"]

#: Sweeps per call of the compiled loop (the progress bar moves between calls).
SWEEPS_PER_CALL = 100


def sample_gibbs(
    design: Design,
    priors: Mapping[str, Prior],
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    progressbar: bool = False,
) -> tuple[xr.DataTree, dict[str, float]]:
    """Run the Gibbs sampler; return the posterior (as the NUTS fits name it) and timings.

    Call :func:`check_gibbs` first. ``progressbar`` shows a bar of the sweeps when they
    take longer than a few seconds (:mod:`hiermodels.progress`).
    """
    start = time.perf_counter()
    stats = gibbs_statistics(design)
    kept = _sample(stats, design, priors, draws=draws, tune=tune, chains=chains, seed=seed,
                   progressbar=progressbar)  # fmt: skip
    slope_names = [n for n in design.fixed.names if n != naming.INTERCEPT]
    tree = _posterior_tree(design, kept, stats.centre, slope_names)
    return tree, {"sampling": time.perf_counter() - start}


def _sample(stats: GibbsStatistics, design, priors, *, draws, tune, chains, seed, progressbar):
    """The kept draws: fixed coefficients, sigma, and per factor its SD and effects."""
    rng = np.random.default_rng([seed, 7])
    p, P, J, C = stats.n_fixed, stats.n_block, stats.n_levels, chains
    slope_names = [n for n in design.fixed.names if n != naming.INTERCEPT]
    coef_keys = ([naming.INTERCEPT] if design.fixed.has_intercept else []) + [
        naming.slope_slot(n) for n in slope_names
    ]
    fixed_priors = [normal_prior(k, priors[k]) for k in coef_keys]
    fixed_precision = np.array([q for _, q in fixed_priors], dtype=float)
    # Precision times mean of the block's prior (the effects have mean 0), for the
    # coefficients less their least-squares values (stats.shift).
    prior_linear = np.zeros(P)
    means = np.array([m for m, _ in fixed_priors], dtype=float)
    prior_linear[:p] = fixed_precision * (means - stats.shift)
    scale_names = stats.large + stats.small
    coded = [scale_prior(k, priors[k]) for k in map(_sd_key, scale_names)]
    coded.append(scale_prior(naming.SIGMA, priors[naming.SIGMA]))
    groups = _count_groups(stats)

    # Dispersed starting points: least squares for the fixed part, scales ~ sd(y).
    if design.statistics is None:
        y = design.y.astype(float) - (design.offset if design.offset is not None else 0.0)
        y_sd = float(np.std(y)) or 1.0
    else:  # rows not held (hiermodels.distributed)
        y_sd = design.statistics.y_sd or 1.0
    theta = np.zeros((C, P))
    u = np.zeros((J, C))
    LU = np.zeros((len(stats.large), P, C))
    tau = np.ascontiguousarray(y_sd * rng.uniform(0.1, 1.0, size=(len(scale_names), C)))
    sigma = y_sd * rng.uniform(0.3, 1.0, size=C)
    width = np.ones((len(scale_names) + 1, C))

    kept_theta = np.empty((C, draws, P))
    kept_u = np.empty((draws, J, C))
    kept_tau = np.empty((len(scale_names), C, draws))
    kept_sigma = np.empty((C, draws))
    arguments = (
        stats.n_obs, stats.yy, stats.Bty, stats.BtB, stats.small_range, stats.level_start,
        stats.counts, stats.Y, stats.L_ptr, stats.L_col, stats.L_val, stats.X_ptr, stats.X_col,
        stats.X_val, *groups, prior_linear, fixed_precision,
        np.array([c for c, _ in coded], dtype=np.int64), np.stack([n for _, n in coded]),
        theta, u, LU, tau, sigma, width, kept_theta, kept_u, kept_tau, kept_sigma,
    )  # fmt: skip
    total = tune + draws
    with progress(total, "Gibbs sweeps", enabled=progressbar) as advance:
        for first in range(0, total, SWEEPS_PER_CALL):
            last = min(first + SWEEPS_PER_CALL, total)
            if not run_sweeps(rng, first, last, tune, *arguments):
                raise SamplerError(
                    "The Gibbs sampler met a precision matrix of the fixed coefficients that is "
                    "not positive definite (are fixed columns collinear?). Use method='auto'."
                )
            advance(last - first)

    kept_theta[..., :p] += stats.shift
    kept = {
        "theta": kept_theta[..., :p],
        "sigma": kept_sigma,
        "scales": {name: kept_tau[i] for i, name in enumerate(scale_names)},
        "effects": {
            name: np.moveaxis(kept_u[:, stats.level_start[k] : stats.level_start[k + 1]], 2, 0)
            for k, name in enumerate(stats.large)
        },
    }
    for s, name in enumerate(stats.small):
        lo, hi = stats.small_range[s]
        kept["effects"][name] = kept_theta[..., lo:hi]
    return kept


def _sd_key(factor: str) -> str:
    return naming.sd_slot(factor, naming.INTERCEPT)


def _count_groups(stats: GibbsStatistics) -> tuple[np.ndarray, ...]:
    """Levels of a factor grouped by their count (the level marginal sums over groups):
    each level's group, where each factor's groups start, the counts, and group sizes."""
    group_of, group_n, group_m, group_start = [], [], [], [0]
    for k in range(len(stats.large)):
        counts = stats.counts[stats.level_start[k] : stats.level_start[k + 1]]
        distinct, inverse = np.unique(counts, return_inverse=True)
        group_of.append(inverse + group_start[-1])
        group_n.append(distinct)
        group_m.append(np.bincount(inverse, minlength=len(distinct)).astype(float))
        group_start.append(group_start[-1] + len(distinct))

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return (
        cat(group_of, np.int64),
        np.asarray(group_start, dtype=np.int64),
        cat(group_n, float),
        cat(group_m, float),
    )


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
