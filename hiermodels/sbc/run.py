"""The SBC run: prior draws, one refit per simulation, and the collected result."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hiermodels.errors import SpecError
from hiermodels.parallel import run_tasks
from hiermodels.sbc.parameters import tracked_parameters
from hiermodels.sbc.refit import (
    PARAMETERIZATIONS,
    ParameterizationChoice,
    Setup,
    Simulation,
    cached_model,
    refit_simulation,
)
from hiermodels.sbc.result import SBCResult
from hiermodels.spec.recipe import ModelRecipe

__all__ = ["sbc"]


def sbc(
    model,
    *,
    n_sims: int = 200,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    cores: int | None = None,
    rank_draws: int = 99,
    group_levels: int = 2,
    parameterization: ParameterizationChoice = "model",
    random_seed: int | None = None,
    target_accept: float | None = None,
    sampler_kwargs: Mapping[str, object] | None = None,
    executor: object = None,
) -> SBCResult:
    """Simulation-based calibration of ``model`` with nutpie.

    Draws ``n_sims`` parameter sets and responses from the prior predictive
    distribution. Refits the model to each response, with the same design and priors.
    Ranks each true value among ``rank_draws`` evenly spaced posterior draws.

    Parameters
    ----------
    model
        A :class:`hiermodels.Model`. Its data set the design and the default priors;
        its response is replaced by the simulated ones.
    n_sims
        Number of simulations (at least 100 for a useful test).
    draws, tune, chains
        Per refit: draws kept per chain, tuning steps, chains.
    cores
        Chains sampled in parallel within a refit. Default: ``min(chains, 4)`` without
        an executor, 1 with one (the workers are the parallelism).
    rank_draws
        Posterior draws each rank counts over, evenly spaced over all chains. Ranks
        run from 0 to ``rank_draws``. Keep it below the bulk ESS of a refit (see
        ``simulations["ess_bulk_min"]``), so that the kept draws are nearly
        independent. Autocorrelated draws make the ranks pile up at both ends.
    group_levels
        Group effects of this many levels per grouping factor are ranked, besides
        the SDs, correlations and fixed effects.
    parameterization
        ``"model"`` (default): every refit samples with the model's parameterisation.
        ``"auto"``: each refit uses the parameterisation that
        ``hm.Model(..., parameterization="auto")`` picks for its simulated response
        (gaussian family; other families are non-centred). This is what a user fitting
        that data set gets. Data sets drawn from the prior range from levels that hold
        little information to levels that pin their effects down, and no single
        parameterisation samples both well. Each worker compiles each parameterisation
        it needs once. Should the REML pilot that decides fail on a simulated response,
        that refit uses the model's parameterisation, and ``simulations`` says so.
    random_seed
        Seeds the prior draws and every refit. The same seed gives the same result,
        with or without an executor.
    target_accept, sampler_kwargs
        As in :meth:`hiermodels.Model.fit`, for nutpie.
    executor
        ``None`` (refits run here), a :class:`concurrent.futures.Executor` or a
        ``distributed.Client``; see :func:`hiermodels.parallel.run_tasks`.

    Returns
    -------
    SBCResult

    Examples
    --------
    >>> result = hm.sbc(model, n_sims=100, random_seed=1)  # doctest: +SKIP
    >>> result.uniformity()  # doctest: +SKIP
    >>> result.plot().savefig("sbc.png")  # doctest: +SKIP
    """
    from hiermodels.model import Model
    from hiermodels.parallel import executor_kind
    from hiermodels.sampling import check_positive_int, check_sampler_options, resolve_seed

    if not isinstance(model, Model):
        raise SpecError(f"sbc() takes an hm.Model, got {type(model).__name__}.")
    kind = executor_kind(executor)
    check_sampler_options(
        sampler="nutpie",
        draws=draws,
        tune=tune,
        chains=chains,
        cores=cores,
        target_accept=target_accept,
        sampler_kwargs=sampler_kwargs,
    )
    check_positive_int("n_sims", n_sims)
    check_positive_int("rank_draws", rank_draws)
    check_positive_int("group_levels", group_levels, allow_zero=True)
    if parameterization not in PARAMETERIZATIONS:
        raise SpecError(
            f"Unknown parameterization {parameterization!r} for sbc(); valid choices are "
            f"{list(PARAMETERIZATIONS)}."
        )
    if rank_draws > draws * chains:
        raise SpecError(
            f"rank_draws={rank_draws} exceeds the {draws * chains} posterior draws of a refit "
            f"(draws={draws} x chains={chains})."
        )
    start = time.perf_counter()
    seed = resolve_seed(random_seed)
    rng = np.random.default_rng(seed)
    prior_seed = int(rng.integers(2**31))
    seeds = [int(s) for s in rng.integers(2**31, size=n_sims)]
    parameters = tuple(tracked_parameters(model, group_levels))
    prior = model.sample_prior_predictive(n_sims, random_seed=prior_seed)
    prior_draws = prior["prior"].to_dataset()
    truth = np.stack([p.values(prior_draws)[0] for p in parameters], axis=1)  # (sim, param)
    responses = prior["prior_predictive"][model.design.response_name].values[0]
    options = {
        "draws": int(draws),
        "tune": int(tune),
        "chains": int(chains),
        "cores": int(cores or (min(chains, 4) if kind == "serial" else 1)),
        **({} if target_accept is None else {"target_accept": float(target_accept)}),
        **dict(sampler_kwargs or {}),
    }
    recipe = ModelRecipe.of(model)
    cached_model(recipe, model)  # refits in this process reuse the model and its compilation
    setup = Setup(
        recipe=recipe,
        parameters=parameters,
        sample_options=options,
        rank_draws=int(rank_draws),
        parameterization=parameterization,
    )
    sims = [
        Simulation(index=i, y=np.asarray(responses[i]), truth=truth[i], seed=seeds[i])
        for i in range(n_sims)
    ]
    refits = run_tasks(
        refit_simulation, sims, shared=setup, executor=executor, progress_label="SBC simulations"
    )
    labels = [p.label for p in parameters]
    index = pd.RangeIndex(n_sims, name="simulation")
    ranks = pd.DataFrame(np.stack([r.ranks for r in refits]), index=index, columns=labels)
    simulations = pd.DataFrame(
        {
            "seed": seeds,
            "parameterization": [r.parameterization for r in refits],
            "n_divergent": [r.n_divergent for r in refits],
            "ess_bulk_min": [r.ess_bulk_min for r in refits],
            "r_hat_max": [r.r_hat_max for r in refits],
            "seconds_sampling": [r.seconds_sampling for r in refits],
            "seconds_compile": [r.seconds_compile for r in refits],
            "pid": [r.pid for r in refits],
        },
        index=index,
    )
    return SBCResult(
        ranks=ranks,
        truth=pd.DataFrame(truth, index=index, columns=labels),
        simulations=simulations,
        rank_draws=int(rank_draws),
        formula=model.formula,
        family=model.family,
        settings={
            **options,
            "random_seed": seed,
            "executor": kind,
            "parameterization": parameterization,
        },
        seconds=time.perf_counter() - start,
    )
