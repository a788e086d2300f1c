"""Run NUTS on a PyMC model and return an ``xarray.DataTree``.

Samplers: ``"nutpie"`` (default), ``"pymc"`` (PyMC's own NUTS) and ``"numpyro"`` (an
optional extra, imported lazily).

The same seed gives the same draws whether the model's numba code was compiled in this
process or loaded from the on-disk cache: the log density and its gradient are compiled
without fast-math flags (:func:`strict_float`). With PyTensor's default fast-math, LLVM
may reassociate and fuse floating-point operations differently in freshly compiled code
(where it can inline one kernel into another) than in code linked from the cache, and the
last bits of the gradient differ; NUTS trajectories amplify that into different draws.
A different CPU (another instruction set or libm) may still differ in the last bits.

Examples
--------
>>> check_sampler_options(sampler="nutpie", draws=10, tune=10, chains=1, cores=None,
...                       target_accept=None)
"""

from __future__ import annotations

import importlib.util
import time
import weakref
from typing import Literal

import numpy as np
import pymc as pm
import xarray as xr

from hiermodels.errors import SamplerError

__all__ = [
    "SAMPLERS",
    "Sampler",
    "check_positive_int",
    "check_sampler_options",
    "resolve_seed",
    "run_sampler",
    "strict_float",
]

Sampler = Literal["nutpie", "pymc", "numpyro"]
SAMPLERS: tuple[str, ...] = ("nutpie", "pymc", "numpyro")


def check_positive_int(name: str, value: object, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or value < (0 if allow_zero else 1):
        bound = ">= 0" if allow_zero else ">= 1"
        raise SamplerError(f"{name} must be an integer {bound}, got {value!r}.")


def check_sampler_options(*, sampler, draws, tune, chains, cores, target_accept) -> None:
    """Validate sampler settings before any compilation starts."""
    if sampler not in SAMPLERS:
        raise SamplerError(f"Unknown sampler {sampler!r}; valid samplers are {list(SAMPLERS)}.")
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise SamplerError(
            "sampler='numpyro' needs the optional numpyro package: "
            "pip install 'hiermodels[numpyro]' (or pip install numpyro jax)."
        )
    check_positive_int("draws", draws)
    check_positive_int("tune", tune, allow_zero=True)
    check_positive_int("chains", chains)
    if cores is not None:
        check_positive_int("cores", cores)
    if target_accept is not None and not (
        isinstance(target_accept, float | int) and 0 < target_accept < 1
    ):
        raise SamplerError(f"target_accept must be between 0 and 1, got {target_accept!r}.")


def resolve_seed(random_seed) -> int:
    if random_seed is None:
        return int(np.random.default_rng().integers(2**31))
    if isinstance(random_seed, int | np.integer) and not isinstance(random_seed, bool):
        if random_seed < 0:
            raise SamplerError(f"random_seed must be >= 0, got {random_seed!r}.")
        return int(random_seed)
    raise SamplerError(f"random_seed must be an integer or None, got {random_seed!r}.")


def run_sampler(
    model: pm.Model,
    *,
    sampler: Sampler,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    random_seed: int | None,
    target_accept: float | None,
    progressbar: bool,
    sampler_kwargs: dict | None = None,
) -> tuple[xr.DataTree, dict[str, float]]:
    """Sample ``model``; return the posterior and sample stats, and timings in seconds."""
    seed = resolve_seed(random_seed)
    try:
        return _run(
            model,
            sampler,
            draws,
            tune,
            chains,
            cores,
            seed,
            target_accept,
            progressbar,
            sampler_kwargs,
        )
    except TypeError as err:
        if sampler_kwargs and "argument" in str(err):
            raise SamplerError(
                f"The sampler {sampler!r} does not accept sampler_kwargs "
                f"{sorted(sampler_kwargs)}: {err}"
            ) from None
        raise


def strict_float():
    """A context in which PyTensor compiles numba code with IEEE semantics (no fast-math).

    Compiling inside it makes draws reproducible between a cold and a warm compile cache
    (see the module docstring). Measured on the gradients of five test models, the cost
    is 0-15% per gradient evaluation (docs/performance.md).
    """
    import pytensor

    return pytensor.config.change_flags(numba__fastmath=False)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _graph_key(model: pm.Model) -> tuple:
    """What the compiled function depends on: the model's variables, by identity."""
    return tuple((name, id(var)) for name, var in model.named_vars.items())


def _compiled_for(model: pm.Model):
    """nutpie's compiled model, reused while the PyMC model is unchanged.

    Refitting a model (other draws, seed or chains) skips the compilation, which costs
    far more than sampling. A model edited since (a variable added or replaced) compiles
    again.
    """
    import nutpie

    key = _graph_key(model)
    cached = _COMPILED.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    with strict_float():
        compiled = nutpie.compile_pymc_model(model, freeze_model=False)
    _COMPILED[model] = (key, compiled)
    return compiled


def _run(
    model, sampler, draws, tune, chains, cores, seed, target_accept, progressbar, sampler_kwargs
):
    timings: dict[str, float] = {}
    if sampler == "nutpie":
        import nutpie

        start = time.perf_counter()
        compiled = _compiled_for(model)
        timings["compile"] = time.perf_counter() - start
        kwargs = {} if target_accept is None else {"target_accept": float(target_accept)}
        kwargs.update(sampler_kwargs or {})
        start = time.perf_counter()
        tree = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores or min(chains, 4),
            seed=seed,
            save_warmup=False,
            progress_bar=progressbar,
            **kwargs,
        )
        timings["sampling"] = time.perf_counter() - start
    else:
        start = time.perf_counter()
        with strict_float():
            tree = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores or 1,
                random_seed=seed,
                progressbar=progressbar,
                nuts_sampler=sampler,
                target_accept=target_accept or 0.8,
                compute_convergence_checks=False,
                model=model,
                **(sampler_kwargs or {}),
            )
        timings["compile+sampling"] = time.perf_counter() - start
    groups = {name: tree[name].to_dataset() for name in ("posterior", "sample_stats")}
    return xr.DataTree.from_dict(groups), timings
