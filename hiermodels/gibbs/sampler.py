"""The sweep of the Gibbs sampler and the posterior tree it returns."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.collapsed import draw_gaussian, fixed_columns
from hiermodels.design import Design
from hiermodels.gibbs.blocks import Block, Factor
from hiermodels.gibbs.checks import small_factors
from hiermodels.gibbs.conditionals import Scale, block_marginal, level_marginal
from hiermodels.gibbs.priors import normal_prior, scale_log_prior
from hiermodels.progress import progress
from hiermodels.spec.priors import Prior

__all__ = ["sample_gibbs"]


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
    fixed_priors = [normal_prior(k, priors[k]) for k in coef_keys]

    # The block: fixed columns, then the one-hot columns of the small factors.
    factors = [
        Factor(
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
    small_names = small_factors(design)
    small, large, P = [], [], p
    for f in sorted(factors, key=lambda f: f.n_levels):
        if f.name in small_names:
            small.append(replace(f, columns=slice(P, P + f.n_levels)))
            P += f.n_levels
        else:
            large.append(f)
    block = Block(F, small)
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
    scales = {f.name: Scale(y_sd * rng.uniform(0.1, 1.0, size=C), f.log_prior) for f in factors}
    sigma = Scale(
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
    with progress(tune + draws, "Gibbs sweeps", enabled=progressbar) as advance:
        for sweep in range(tune + draws):
            tuning = sweep < tune
            s2 = sigma.value**2
            for f in large:
                # tau_f with u_f integrated out; then the block with u_f integrated out; then
                # u_f given both (a partially collapsed Gibbs sampler: van Dyk & Park 2008).
                u = effects[f.name]
                R = f.level_sums(resid) + f.counts * u
                scales[f.name].draw(level_marginal(R, f.counts, s2), rng, tuning)
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
                    density = block_marginal(BtB, b, block_precision(), f.columns, s2)
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
            advance()
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
