"""Simulation-based calibration (SBC): does the sampler recover the prior on average?

:func:`sbc` draws ``n_sims`` parameter sets from the model's prior. For each, it
simulates a response with the model's design (the same predictors, groups and
trials) and refits the model to it. Then it ranks the true value among thinned
posterior draws. If the sampler draws from the right posterior, each parameter's ranks
are uniform (Talts, Betancourt, Simpson, Vehtari & Gelman 2018, arXiv:1804.06788).
:class:`SBCResult` holds the ranks, tests them (:meth:`SBCResult.uniformity`) and
plots their ECDFs with simultaneous bands (:meth:`SBCResult.plot`).

Each worker process compiles the model once. The response is a data container, so
every simulation after the first only swaps the response and samples. The prior is
the model's prior, scaled once from the original data. It does not depend on the
simulated data, as SBC requires.

Examples
--------
>>> import hiermodels as hm
>>> sleep = hm.datasets.load("sleepstudy")
>>> model = hm.Model("Reaction ~ Days + (1 | Subject)", sleep)
>>> result = hm.sbc(model, n_sims=100, random_seed=1)  # doctest: +SKIP
>>> result.uniformity()["p_bonferroni"].min() > 0.01  # doctest: +SKIP
True

On a Dask cluster (local, or remote by its scheduler's address):

>>> from distributed import Client, LocalCluster  # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
...     result = hm.sbc(model, n_sims=200, random_seed=1, executor=client)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.backend import naming
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.parallel import process_cache, run_tasks
from hiermodels.recipe import ModelRecipe

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["SBCResult", "sbc"]

UniformityMethod = Literal["ecdf", "chi2"]
_METHODS = ("ecdf", "chi2")
ParameterizationChoice = Literal["model", "auto"]
_PARAMETERIZATIONS = ("model", "auto")


# ---------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class _Parameter:
    """One scalar parameter: its label, its variable and its coordinates there."""

    label: str
    variable: str
    selection: tuple[tuple[str, str], ...] = ()

    def values(self, dataset) -> np.ndarray:
        """Its draws in ``dataset`` (a posterior or prior Dataset): (chain, draw)."""
        da = dataset[self.variable]
        if self.selection:
            da = da.sel(dict(self.selection))
        return np.asarray(da.values, dtype=float)


def _label(variable: str, coords: Sequence[str]) -> str:
    return f"{variable}[{','.join(coords)}]" if coords else variable


def tracked_parameters(model, n_group_levels: int = 2) -> list[_Parameter]:
    """The user-facing scalar parameters SBC ranks, in table order.

    The intercept, each slope (``b[x]``), the family's parameters (``sigma``, ...), and
    per grouping factor each SD (``sd_g[x]``), each correlation below the diagonal
    (``cor_g[x,Intercept]``) and the effects of the first ``n_group_levels`` levels
    (``r_g[level,term]``).

    Examples
    --------
    >>> import hiermodels as hm
    >>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
    >>> labels = [p.label for p in tracked_parameters(model, n_group_levels=1)]
    >>> labels[:4]
    ['Intercept', 'b[Days]', 'sigma', 'sd_Subject[Intercept]']
    >>> labels[4:6]
    ['sd_Subject[Days]', 'cor_Subject[Days,Intercept]']
    >>> labels[6:]
    ['r_Subject[308,Intercept]', 'r_Subject[308,Days]']
    """
    design = model.design
    names = model.pymc_model.named_vars
    out: list[_Parameter] = []
    if design.fixed.has_intercept:
        out.append(_Parameter(naming.INTERCEPT, naming.INTERCEPT))
    for term in design.fixed.names:
        if term != naming.INTERCEPT:
            sel = ((naming.FIXED_DIM, term),)
            out.append(_Parameter(_label(naming.SLOPES, [term]), naming.SLOPES, sel))
    for param in get_family(model.family).parameters:
        out.append(_Parameter(param, param))
    for g in design.groups:
        term_dim = naming.term_dim(g.name)
        sd = naming.sd_name(g.name)
        for term in g.terms:
            out.append(_Parameter(_label(sd, [term]), sd, ((term_dim, term),)))
        cor = naming.cor_name(g.name)
        if cor in names:
            bis = naming.term_dim_bis(g.name)
            for i, a in enumerate(g.terms):
                for b in g.terms[:i]:
                    if any(i in block and g.terms.index(b) in block for block in g.blocks):
                        sel = ((term_dim, a), (bis, b))
                        out.append(_Parameter(_label(cor, [a, b]), cor, sel))
        effects = naming.effects_name(g.name)
        level_dim = naming.level_dim(g.name)
        for level in g.levels[:n_group_levels]:
            for term in g.terms:
                sel = ((level_dim, level), (term_dim, term))
                out.append(_Parameter(_label(effects, [level, term]), effects, sel))
    return out


# ---------------------------------------------------------------------------- worker side
@dataclass(frozen=True, eq=False)
class _Setup:
    """What every simulation's task shares: the model's recipe and the settings."""

    recipe: ModelRecipe
    parameters: tuple[_Parameter, ...]
    sample_options: Mapping[str, object]
    rank_draws: int
    parameterization: ParameterizationChoice = "model"


@dataclass(frozen=True, eq=False)
class _Simulation:
    index: int
    y: np.ndarray
    truth: np.ndarray
    seed: int


@dataclass(frozen=True)
class _Refit:
    """What a worker sends back for one simulation (small: no draws)."""

    index: int
    ranks: np.ndarray
    parameterization: str
    n_divergent: int
    ess_bulk_min: float
    r_hat_max: float
    seconds_sampling: float
    seconds_compile: float
    pid: int


class _CompiledModel:
    """A model and its nutpie compilation, made on first use and kept per process."""

    def __init__(self, model):
        self.model = model
        self._compiled = None
        self.seconds_compile = 0.0
        self._reported = False

    def compiled(self):
        from hiermodels.sampling import _compiled_for

        if self._compiled is None:
            start = time.perf_counter()
            self._compiled = _compiled_for(self.model.pymc_model)
            self.seconds_compile = time.perf_counter() - start
        return self._compiled

    def take_compile_seconds(self) -> float:
        """The compile time, the first time it is asked for; 0 afterwards."""
        if self._reported:
            return 0.0
        self._reported = True
        return self.seconds_compile


def _cached(recipe: ModelRecipe, model=None) -> _CompiledModel:
    """This process's compiled model of ``recipe`` (``model`` if given and not yet cached)."""
    return process_cache(("sbc", recipe.key), lambda: _CompiledModel(model or recipe.build()))


def _chosen_parameterization(model, y: np.ndarray) -> tuple[tuple[str, str], ...] | None:
    """What ``parameterization="auto"`` would choose for ``model``'s design with response ``y``.

    ``None`` when the REML pilot that decides it fails on this response.
    """
    from hiermodels.model import _centered

    design = dataclasses.replace(model.design, y=np.asarray(y, dtype=float))
    try:
        centered = _centered("auto", [g.name for g in design.groups], design, model.family)
    except (np.linalg.LinAlgError, ArithmeticError, ValueError):
        return None
    return tuple(sorted((g, "centered" if c else "non_centered") for g, c in centered.items()))


def _model_for(setup: _Setup, y: np.ndarray) -> tuple[_CompiledModel, str]:
    """The compiled model to refit ``y`` with (the model's own, or the one "auto" picks),
    and a note when the choice fell back to the model's own."""
    base = _cached(setup.recipe)
    if setup.parameterization == "model":
        return base, ""
    choice = _chosen_parameterization(base.model, y)
    if choice is None:
        return base, " (the REML pilot failed on this response; the model's own was used)"
    return _cached(dataclasses.replace(setup.recipe, parameterization=choice)), ""


def _thinned_ranks(draws: np.ndarray, truth: np.ndarray, keep: int) -> np.ndarray:
    """Per parameter, how many of ``keep`` evenly spaced draws lie below the truth.

    ``draws`` is (parameter, chain, draw); the chains are laid end to end and thinned
    together.

    Examples
    --------
    >>> draws = np.arange(20.0).reshape(1, 2, 10)
    >>> _thinned_ranks(draws, np.array([9.5]), keep=5).tolist()
    [2]
    """
    flat = draws.reshape(draws.shape[0], -1)
    index = np.linspace(0, flat.shape[1] - 1, keep).round().astype(int)
    return (flat[:, index] < truth[:, None]).sum(axis=1)


def _refit_simulation(setup: _Setup, sim: _Simulation) -> _Refit:
    """Refit the model to one simulated response and rank the true values."""
    import nutpie
    from arviz_stats.base import array_stats

    cached, note = _model_for(setup, sim.y)
    model, compiled = cached.model, cached.compiled()
    if sim.y.shape != (model.design.n_obs,):
        raise SpecError(
            f"A simulated response has shape {sim.y.shape}; the model has "
            f"{model.design.n_obs} rows."
        )
    start = time.perf_counter()
    tree = nutpie.sample(
        compiled.with_data(**{naming.data_name("y"): sim.y}),
        seed=sim.seed,
        save_warmup=False,
        progress_bar=False,
        **setup.sample_options,
    )
    seconds = time.perf_counter() - start
    posterior = tree["posterior"].to_dataset()
    draws = np.stack([p.values(posterior) for p in setup.parameters])
    ess = np.asarray(array_stats.ess(draws, method="bulk"), dtype=float)
    rhat = np.asarray(array_stats.rhat(draws), dtype=float)
    return _Refit(
        index=sim.index,
        ranks=_thinned_ranks(draws, sim.truth, setup.rank_draws),
        parameterization=", ".join(f"{g}: {c}" for g, c in model.parameterization.items()) + note,
        n_divergent=int(tree["sample_stats"]["diverging"].values.sum()),
        ess_bulk_min=float(np.nanmin(ess)),
        r_hat_max=float(np.nanmax(rhat)) if draws.shape[1] > 1 else float("nan"),
        seconds_sampling=seconds,
        seconds_compile=cached.take_compile_seconds(),
        pid=os.getpid(),
    )


# ---------------------------------------------------------------------------- the result
@dataclass(frozen=True, eq=False)
class SBCResult:
    """The ranks of a simulation-based calibration run, with tests and plots.

    Attributes
    ----------
    ranks : pandas.DataFrame
        One row per simulation, one column per parameter. The rank is the number of
        the ``rank_draws`` thinned posterior draws below the true value, from 0 to
        ``rank_draws``.
    truth : pandas.DataFrame
        The true (prior-drawn) values, laid out like ``ranks``.
    simulations : pandas.DataFrame
        Per simulation: ``seed``, ``parameterization`` (of each factor, in the refit),
        ``n_divergent`` (divergent transitions),
        ``ess_bulk_min`` and ``r_hat_max`` over the ranked parameters,
        ``seconds_sampling``, ``seconds_compile`` (the model's compilation, counted for
        the first simulation of each worker process) and ``pid`` (the process that
        refitted it). No simulation is dropped, divergent or not.
    rank_draws : int
        Posterior draws each rank counts over.
    formula, family : str
        The model.
    settings : dict
        The sampler settings of the refits, and the seed.
    seconds : float
        Wall time of the whole run, prior draws included.
    """

    ranks: pd.DataFrame
    truth: pd.DataFrame
    simulations: pd.DataFrame
    rank_draws: int
    formula: str
    family: str
    settings: Mapping[str, object] = field(default_factory=dict)
    seconds: float = float("nan")

    @property
    def n_sims(self) -> int:
        return len(self.ranks)

    @property
    def parameters(self) -> list[str]:
        return list(self.ranks.columns)

    def __repr__(self) -> str:
        divergent = int((self.simulations["n_divergent"] > 0).sum())
        return (
            f"SBCResult of {self.formula!r} ({self.family}): {self.n_sims} simulations, "
            f"{len(self.parameters)} parameters, ranks 0..{self.rank_draws}; "
            f"{divergent} simulations with divergences; {self.seconds:.0f} s"
        )

    def uniformity(
        self, *, method: UniformityMethod = "ecdf", bins: int | None = None
    ) -> pd.DataFrame:
        """Test each parameter's ranks for uniformity.

        Parameters
        ----------
        method
            ``"ecdf"`` (default): the ECDF test of Säilynoja et al. (2022), the one
            whose band :meth:`plot` draws. ``"chi2"``: Pearson's chi-square test on
            ``bins`` bins of rank values.
        bins
            Bins of the chi-square test (default: at most 20, at least 5 expected ranks
            per bin).

        Returns
        -------
        pandas.DataFrame
            One row per parameter: ``statistic``, ``df`` (chi-square only),
            ``p_value``, and ``p_bonferroni`` (the p-value times the number of
            parameters, at most 1). A parameter fails at level ``alpha`` when
            ``p_bonferroni < alpha``.

        Examples
        --------
        >>> result.uniformity().query("p_bonferroni < 0.01")  # doctest: +SKIP
        """
        from hiermodels.rank_uniformity import chi_square_test, ecdf_test

        if method not in _METHODS:
            raise SpecError(f"Unknown method {method!r}; valid methods are {list(_METHODS)}.")
        if method == "ecdf" and bins is not None:
            raise SpecError("bins applies to method='chi2' only.")
        n_values = self.rank_draws + 1
        rows = {}
        for name in self.parameters:
            values = self.ranks[name].to_numpy()
            if method == "chi2":
                test = chi_square_test(values, n_values=n_values, bins=bins)
            else:
                test = ecdf_test(values, n_values=n_values)
            rows[name] = {"statistic": test.statistic, "df": test.df, "p_value": test.p_value}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "parameter"
        if method == "ecdf":
            table = table.drop(columns="df")
        table["p_bonferroni"] = np.minimum(1.0, table["p_value"] * len(table))
        return table

    def plot(
        self,
        parameters: Sequence[str] | None = None,
        *,
        prob: float = 0.95,
        columns: int = 4,
        title: str | None = None,
    ) -> Figure:
        """ECDF minus uniform of each parameter's ranks, with a simultaneous band.

        The band holds a uniform ECDF everywhere with probability ``prob``. A curve that
        leaves it has an ECDF test p-value below ``1 - prob``. A curve below zero in
        the middle (a "smile") means the posterior is too wide. A curve above zero
        (a "frown") means it is too narrow. A curve on one side means it is biased.
        Each panel shows its ECDF test p-value.

        Parameters
        ----------
        parameters
            Columns of :attr:`ranks` to plot (default: all).
        prob
            Coverage of the band.
        columns
            Panels per row.
        title
            Figure title (default: the formula and the number of simulations).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from hiermodels.rank_uniformity import plot_rank_ecdf

        names = self.parameters if parameters is None else list(parameters)
        unknown = [n for n in names if n not in self.ranks.columns]
        if unknown:
            raise SpecError(
                f"Unknown parameter(s) {unknown}; the ranked ones are {self.parameters}."
            )
        p_values = self.uniformity()["p_value"]
        return plot_rank_ecdf(
            {n: self.ranks[n].to_numpy() for n in names},
            n_values=self.rank_draws + 1,
            prob=prob,
            p_values=p_values.to_dict(),
            title=title or f"{self.formula} ({self.family}): {self.n_sims} simulations",
            columns=columns,
        )


# ---------------------------------------------------------------------------- the run
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
    if parameterization not in _PARAMETERIZATIONS:
        raise SpecError(
            f"Unknown parameterization {parameterization!r} for sbc(); valid choices are "
            f"{list(_PARAMETERIZATIONS)}."
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
    _cached(recipe, model)  # refits in this process reuse the model and its compilation
    setup = _Setup(
        recipe=recipe,
        parameters=parameters,
        sample_options=options,
        rank_draws=int(rank_draws),
        parameterization=parameterization,
    )
    sims = [
        _Simulation(index=i, y=np.asarray(responses[i]), truth=truth[i], seed=seeds[i])
        for i in range(n_sims)
    ]
    refits = run_tasks(_refit_simulation, sims, shared=setup, executor=executor)
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
