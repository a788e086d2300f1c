"""The worker side of SBC: refit one simulated response and rank the true values.

Each worker process compiles the model once (:func:`cached_model`), or not at all when a
compiled kernel covers it; every simulation after the first only swaps the response and
samples.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from hiermodels import naming
from hiermodels.errors import SpecError
from hiermodels.inference.parameterization import choose_centered
from hiermodels.parallel import process_cache
from hiermodels.sbc.parameters import Parameter
from hiermodels.spec.recipe import ModelRecipe

__all__ = [
    "PARAMETERIZATIONS",
    "CompiledModel",
    "ParameterizationChoice",
    "Refit",
    "Setup",
    "Simulation",
    "cached_model",
    "chosen_parameterization",
    "model_for",
    "refit_simulation",
    "thinned_ranks",
]

ParameterizationChoice = Literal["model", "auto"]
PARAMETERIZATIONS = ("model", "auto")


@dataclass(frozen=True, eq=False)
class Setup:
    """What every simulation's task shares: the model's recipe and the settings."""

    recipe: ModelRecipe
    parameters: tuple[Parameter, ...]
    sample_options: Mapping[str, object]
    rank_draws: int
    parameterization: ParameterizationChoice = "model"


@dataclass(frozen=True, eq=False)
class Simulation:
    index: int
    y: np.ndarray
    truth: np.ndarray
    seed: int


@dataclass(frozen=True)
class Refit:
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


class CompiledModel:
    """A model and its nutpie compilation, made on first use and kept per process.

    A model that the GLMM kernel covers (:mod:`hiermodels.kernel_entry`) compiles
    nothing: each simulated response gets the kernel's arrays of its own.
    """

    def __init__(self, model):
        self.model = model
        self._compiled = None
        self._on_kernel: bool | None = None
        self.seconds_compile = 0.0
        self._reported = False

    def compiled(self):
        from hiermodels.sampling import compiled_for

        if self._compiled is None:
            start = time.perf_counter()
            self._compiled = compiled_for(self.model.pymc_model)
            self.seconds_compile = time.perf_counter() - start
        return self._compiled

    def sample(self, y: np.ndarray, seed: int, options: Mapping[str, object]):
        """nutpie's tree of the model refitted to the response ``y``, its posterior
        completed with the constrained values and deterministics."""
        from hiermodels.kernel_entry import compile_glmm
        from hiermodels.nutpie_trace import sample_tree

        kernel = None
        if self._on_kernel is not False:
            start = time.perf_counter()
            kernel = compile_glmm(self.model.pymc_model, self.model, y=y)
            if self._on_kernel is None:
                self.seconds_compile = time.perf_counter() - start
            self._on_kernel = kernel is not None
        if kernel is not None:
            compiled = kernel.compiled
        else:
            compiled = self.compiled().with_data(**{naming.data_name("y"): y})
        tree = sample_tree(compiled, seed=seed, save_warmup=False, progress_bar=False, **options)
        return tree if kernel is None else kernel.complete(tree)

    def take_compile_seconds(self) -> float:
        """The compile time, the first time it is asked for; 0 afterwards."""
        if self._reported:
            return 0.0
        self._reported = True
        return self.seconds_compile


def cached_model(recipe: ModelRecipe, model=None) -> CompiledModel:
    """This process's compiled model of ``recipe`` (``model`` if given and not yet cached)."""
    return process_cache(("sbc", recipe.key), lambda: CompiledModel(model or _build(recipe)))


def _build(recipe: ModelRecipe):
    """A new model from ``recipe`` (:meth:`hiermodels.Model.from_recipe`)."""
    # Imported here, not above: the task's shared setup is unpickled in a worker before
    # hiermodels.parallel gives it its compile folder, and the model loads PyTensor.
    from hiermodels.model import Model

    return Model.from_recipe(recipe)


def chosen_parameterization(model, y: np.ndarray) -> tuple[tuple[str, str], ...] | None:
    """What ``parameterization="auto"`` would choose for ``model``'s design with response ``y``.

    ``None`` when the REML pilot that decides it fails on this response.
    """
    design = dataclasses.replace(model.design, y=np.asarray(y, dtype=float))
    try:
        centered = choose_centered(
            "auto", [g.name for g in design.groups], design, model.family, link=model.link
        )
    except (np.linalg.LinAlgError, ArithmeticError, ValueError):
        return None
    return tuple(sorted((g, "centered" if c else "non_centered") for g, c in centered.items()))


def model_for(setup: Setup, y: np.ndarray) -> tuple[CompiledModel, str]:
    """The compiled model to refit ``y`` with (the model's own, or the one "auto" picks),
    and a note when the choice fell back to the model's own."""
    base = cached_model(setup.recipe)
    if setup.parameterization == "model":
        return base, ""
    choice = chosen_parameterization(base.model, y)
    if choice is None:
        return base, " (the REML pilot failed on this response; the model's own was used)"
    return cached_model(dataclasses.replace(setup.recipe, parameterization=choice)), ""


def thinned_ranks(draws: np.ndarray, truth: np.ndarray, keep: int) -> np.ndarray:
    """Per parameter, how many of ``keep`` evenly spaced draws lie below the truth.

    ``draws`` is (parameter, chain, draw); the chains are laid end to end and thinned
    together.

    Examples
    --------
    >>> draws = np.arange(20.0).reshape(1, 2, 10)
    >>> thinned_ranks(draws, np.array([9.5]), keep=5).tolist()
    [2]
    """
    flat = draws.reshape(draws.shape[0], -1)
    index = np.linspace(0, flat.shape[1] - 1, keep).round().astype(int)
    return (flat[:, index] < truth[:, None]).sum(axis=1)


def refit_simulation(setup: Setup, sim: Simulation) -> Refit:
    """Refit the model to one simulated response and rank the true values."""
    from arviz_stats.base import array_stats

    cached, note = model_for(setup, sim.y)
    model = cached.model
    if sim.y.shape != (model.design.n_obs,):
        raise SpecError(
            f"A simulated response has shape {sim.y.shape}; the model has "
            f"{model.design.n_obs} rows."
        )
    start = time.perf_counter()
    tree = cached.sample(sim.y, sim.seed, setup.sample_options)
    seconds = time.perf_counter() - start
    posterior = tree["posterior"].to_dataset()
    draws = np.stack([p.values(posterior) for p in setup.parameters])
    ess = np.asarray(array_stats.ess(draws, method="bulk"), dtype=float)
    rhat = np.asarray(array_stats.rhat(draws), dtype=float)
    return Refit(
        index=sim.index,
        ranks=thinned_ranks(draws, sim.truth, setup.rank_draws),
        parameterization=", ".join(f"{g}: {c}" for g, c in model.parameterization.items()) + note,
        n_divergent=int(tree["sample_stats"]["diverging"].values.sum()),
        ess_bulk_min=float(np.nanmin(ess)),
        r_hat_max=float(np.nanmax(rhat)) if draws.shape[1] > 1 else float("nan"),
        seconds_sampling=seconds,
        seconds_compile=cached.take_compile_seconds(),
        pid=os.getpid(),
    )
