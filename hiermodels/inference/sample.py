"""The fit pipeline: sample a model's posterior and complete its DataTree.

:func:`sample_posterior` is what :meth:`hiermodels.Model.fit` runs: check the options,
choose the method (collapsed, full or Gibbs), sample, draw the collapsed factor's
effects from their exact conditional, then add the observed data and the pointwise
log-likelihood. It takes the model and returns the tree; the model wraps it in a Fit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from hiermodels import naming
from hiermodels.collapsed import conditional_group_effects
from hiermodels.design import Design
from hiermodels.design.distributional import constant_parameter_draws
from hiermodels.design.statistics import require_rows
from hiermodels.errors import SamplerError
from hiermodels.families import get_family
from hiermodels.gibbs import check_gibbs, sample_gibbs
from hiermodels.inference.distributional import distributional_draws
from hiermodels.kernel_entry import compile_collapsed, compile_glmm, compile_intercepts
from hiermodels.kernels.ar1 import ar1_loo_log_likelihood
from hiermodels.linear_predictor import linear_predictor
from hiermodels.pointwise import log_likelihood as _log_likelihood
from hiermodels.sampling import Sampler, check_sampler_options, resolve_seed, run_sampler

if TYPE_CHECKING:  # pragma: no cover
    from hiermodels.protocols import ModelLike

__all__ = [
    "LOG_LIKELIHOOD_MAX_VALUES",
    "add_conditional_effects",
    "autocor_sampler_kwargs",
    "pointwise_log_likelihood",
    "sample_posterior",
]

#: Above this many pointwise values (rows x draws), ``fit`` skips the log-likelihood
#: unless asked (8 bytes each: 400 MB).
LOG_LIKELIHOOD_MAX_VALUES = 50_000_000


def pointwise_log_likelihood(posterior, design: Design, family: str, link: str) -> np.ndarray:
    """Log-likelihood of every row given every draw's parameters (chain, draw, rows).

    Conditional on the group effects, for every family and both fitting methods.
    """
    eta = linear_predictor(posterior, design)
    if design.autocor is not None:
        # Residual AR(1): log p(y_i | y_-i, theta), one row left out of its series (the
        # non-factorised LOO of Buerkner, Gabry & Vehtari 2020, as brms does).
        s = design.autocor
        phi, sigma = posterior["ar"].values, posterior[naming.SIGMA].values
        return ar1_loo_log_likelihood(design.y - eta, phi, sigma, s.previous, s.following, s.gap)
    rows = design.row_terms
    aux = constant_parameter_draws(get_family(family), design, posterior)
    aux.update(distributional_draws(posterior, design))  # (chain, draw, rows)
    return _log_likelihood(
        family, link, eta=eta, y=design.y, trials=design.trials, aux=aux, rows=rows
    )


def sample_posterior(
    model: ModelLike,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    sampler: Sampler,
    method: str,
    random_seed: int | None,
    target_accept: float | None,
    progressbar: bool,
    sampler_kwargs: Mapping[str, object] | None,
    log_likelihood: bool | None,
    log_density: str = "auto",
) -> xr.DataTree:
    """The posterior of ``model`` as a completed DataTree; see :meth:`hiermodels.Model.fit`."""
    if log_density not in ("auto", "pymc_graph"):
        raise SamplerError(f"log_density={log_density!r}: choose 'auto' or 'pymc_graph'.")
    check_sampler_options(
        sampler=sampler,
        draws=draws,
        tune=tune,
        chains=chains,
        cores=cores,
        target_accept=target_accept,
        sampler_kwargs=None if method == "gibbs" else sampler_kwargs,
    )
    if method == "auto" and getattr(model.design.statistics, "gibbs", None) is not None:
        method = "gibbs"  # crossed or nested intercepts from sums (hiermodels.distributed)
    factor = model.collapsed_factor(method)
    seed = resolve_seed(random_seed)
    used_method = "gibbs" if method == "gibbs" else "full" if factor is None else "marginal"
    kernel = None
    if method == "gibbs":
        tree, timings = _sample_gibbs(
            model,
            draws,
            tune,
            chains,
            seed,
            target_accept=target_accept,
            sampler_kwargs=sampler_kwargs,
            progressbar=progressbar,
        )
    else:
        pymc_model = model.pymc_model if factor is None else model.collapsed_model(factor)
        if sampler == "nutpie" and log_density == "auto":  # a kernel, when one covers it
            start = time.perf_counter()
            # A gaussian model with a second factor beside the collapsed one stays on the
            # graph: on the GLMM kernel (compile_glmm(..., collapsed=factor)) it samples
            # at a third of the graph's ESS per second (Penicillin, the crossed case).
            if factor is not None:
                kernel = compile_collapsed(pymc_model, model.design, model.priors, factor)
            else:
                kernel = compile_intercepts(pymc_model, model) or compile_glmm(pymc_model, model)
            timings_kernel = time.perf_counter() - start
        tree, timings = run_sampler(
            pymc_model,
            sampler=sampler,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=seed,
            target_accept=target_accept,
            progressbar=progressbar,
            sampler_kwargs=autocor_sampler_kwargs(model.design, sampler, sampler_kwargs),
            compiled=None if kernel is None else kernel.compiled,
        )
        if kernel is not None:
            timings["compile"] = timings_kernel
            tree = kernel.complete(tree)
    if factor is not None:
        start = time.perf_counter()
        tree = add_conditional_effects(model.design, tree, factor, seed)
        timings["conditional_draws"] = time.perf_counter() - start
    if log_likelihood:
        require_rows(model.design, "The pointwise log-likelihood (log_likelihood=True)")
    if log_likelihood is None:
        size = model.design.n_obs * draws * chains
        log_likelihood = size <= LOG_LIKELIHOOD_MAX_VALUES and model.design.statistics is None
    tree = _complete(model, tree, log_likelihood=bool(log_likelihood))
    tree.attrs.update(
        {
            "hiermodels_formula": model.formula,
            "hiermodels_family": model.family,
            "hiermodels_link": model.link,
            "sampler": "gibbs" if method == "gibbs" else sampler,
            "method": used_method,
            "collapsed_factor": factor or "",
            "log_density": "kernel" if kernel is not None else "pymc_graph",
            "tune": tune,
            **{f"seconds_{k}": v for k, v in timings.items()},
        }
    )
    return tree


def autocor_sampler_kwargs(design: Design, sampler: str, kwargs) -> dict:
    """nutpie adapts a low-rank mass matrix for a model with ``ar()`` (unless told).

    A subject's level and a long run of AR(1) residuals look alike, so the group SD,
    ``sigma`` and ``ar`` lie on a ridge that a diagonal mass matrix crosses slowly. On
    sleepstudy (non-centred effects, 4 x 1000 draws, seeds 1 and 2) the low-rank
    adaptation gave a min bulk ESS of 716 and 634 against 366 and 428, in the same time.
    """
    kwargs = dict(kwargs or {})
    if design.autocor is not None and sampler == "nutpie":
        kwargs.setdefault("adaptation", "low_rank")
    return kwargs


def _sample_gibbs(model, draws, tune, chains, seed, *, target_accept, sampler_kwargs, progressbar):
    check_gibbs(model.design, model.family, model.link)
    if target_accept is not None or sampler_kwargs:
        raise SamplerError(
            "method='gibbs' does not run NUTS, so target_accept and sampler_kwargs do not "
            f"apply; got target_accept={target_accept!r}, sampler_kwargs={sampler_kwargs!r}."
        )
    return sample_gibbs(
        model.design,
        model.priors,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        progressbar=progressbar,
    )


def add_conditional_effects(
    design: Design, tree: xr.DataTree, factor: str, seed: int
) -> xr.DataTree:
    """Draw the collapsed factor's effects from their exact conditional per draw."""
    posterior = tree["posterior"].to_dataset()
    g = design.group(factor)
    draws = conditional_group_effects(
        posterior, design, factor, rng=np.random.default_rng([seed, 1])
    )
    dims = (*naming.CHAIN_DRAW, naming.level_dim(g.name), naming.term_dim(g.name))
    posterior[naming.effects_name(g.name)] = xr.DataArray(
        draws,
        dims=dims,
        coords={dims[2]: list(g.levels), dims[3]: list(g.terms)},
    )
    groups = {k: tree[k].to_dataset() for k in tree.children}
    groups["posterior"] = posterior
    return xr.DataTree.from_dict(groups)


def _complete(model, tree: xr.DataTree, *, log_likelihood: bool = True) -> xr.DataTree:
    """Add observed data, constant data and (optionally) the pointwise log-likelihood."""
    design = model.design
    name = design.response_name
    posterior = tree["posterior"].to_dataset()
    dims = (*naming.CHAIN_DRAW, naming.OBS_DIM)
    coords = {
        "chain": posterior["chain"].values,
        "draw": posterior["draw"].values,
        naming.OBS_DIM: np.arange(len(design.y)),  # the rows held (none without rows)
    }
    groups = {k: tree[k].to_dataset() for k in tree.children}
    if log_likelihood:
        ll = pointwise_log_likelihood(posterior, design, model.family, model.link)
        groups["log_likelihood"] = xr.Dataset({name: xr.DataArray(ll, dims=dims, coords=coords)})
    groups["observed_data"] = xr.Dataset(
        {
            name: xr.DataArray(
                design.y,
                dims=(naming.OBS_DIM,),
                coords={naming.OBS_DIM: coords[naming.OBS_DIM]},
            )
        }
    )
    if design.trials is not None:
        groups["constant_data"] = xr.Dataset(
            {"trials": xr.DataArray(design.trials, dims=(naming.OBS_DIM,))}
        )
    return xr.DataTree.from_dict(groups)
