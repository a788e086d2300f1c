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

import contextlib
import importlib.util
import inspect
import logging
import time
import typing
import weakref
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pymc as pm
import xarray as xr

from hiermodels import cached_entry
from hiermodels.errors import SamplerError
from hiermodels.nutpie_trace import import_nutpie, sample_tree

__all__ = [
    "SAMPLERS",
    "Sampler",
    "check_positive_int",
    "check_sampler_kwargs",
    "check_sampler_options",
    "compiled_for",
    "nutpie_sample",
    "quiet_forward_sampling",
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


def check_sampler_options(
    *, sampler, draws, tune, chains, cores, target_accept, sampler_kwargs=None
) -> None:
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
    check_sampler_kwargs(sampler, sampler_kwargs)


#: Sampler arguments that fit() sets from its own parameters.
_SET_BY_FIT = {
    "nutpie": {"compiled_model", "draws", "tune", "chains", "cores", "seed", "save_warmup"}
    | {"progress_bar", "num_draws", "num_tune", "num_chains"},
    "pymc": {"draws", "tune", "chains", "cores", "random_seed", "progressbar", "model"}
    | {"nuts_sampler", "target_accept", "compute_convergence_checks"},
}
_SET_BY_FIT["numpyro"] = _SET_BY_FIT["pymc"]
#: Arguments that would change what the sampler returns.
_RESULT_SHAPE = {
    "nutpie": {"blocking", "return_raw_trace"},
    "pymc": {"return_inferencedata"},
}


def check_sampler_kwargs(sampler: str, sampler_kwargs: object) -> None:
    """Check ``sampler_kwargs`` before compiling: a mapping, no argument that ``fit()``
    sets itself, and for nutpie only keys that ``nutpie.sample`` or its sampler settings
    take (checked on nutpie's own settings object, which compiles nothing).

    Raises
    ------
    SamplerError
        Naming the bad keys and listing the valid ones.
    """
    if sampler_kwargs is None:
        return
    if not isinstance(sampler_kwargs, Mapping):
        raise SamplerError(
            f"sampler_kwargs must be a dict of option -> value, got "
            f"{type(sampler_kwargs).__name__}."
        )
    kwargs = dict(sampler_kwargs)
    taken = sorted(set(map(str, kwargs)) & _SET_BY_FIT[sampler])
    if taken:
        raise SamplerError(
            f"sampler_kwargs {taken} are set by fit() itself; use its arguments draws, tune, "
            "chains, cores, random_seed, progressbar and target_accept instead."
        )
    fixed = sorted(set(map(str, kwargs)) & _RESULT_SHAPE.get(sampler, set()))
    if fixed:
        raise SamplerError(
            f"sampler_kwargs {fixed} cannot be changed: hiermodels needs the sampler to "
            "return its draws as a DataTree when it finishes."
        )
    if sampler == "nutpie":
        _check_nutpie_kwargs(kwargs)


def _check_nutpie_kwargs(kwargs: dict) -> None:
    nutpie = import_nutpie()
    params = inspect.signature(nutpie.sample).parameters
    named = sorted(
        n
        for n, p in params.items()
        if p.kind is not p.VAR_KEYWORD and n not in _SET_BY_FIT["nutpie"] | _RESULT_SHAPE["nutpie"]
    )
    for name in ("sampler", "adaptation"):
        choices = typing.get_args(params[name].annotation) if name in params else ()
        if choices and name in kwargs and kwargs[name] not in choices:
            raise SamplerError(
                f"sampler_kwargs {name}={kwargs[name]!r} is not valid for nutpie; valid "
                f"choices are {list(choices)}."
            )
    rest = {k: v for k, v in kwargs.items() if k not in params}
    settings = _nutpie_settings(kwargs.get("sampler", "nuts"), kwargs.get("adaptation", "diag"))
    if not rest or settings is None:
        return
    unknown = []
    for key, value in rest.items():
        err = _update_error(settings, key, value)
        if isinstance(err, AttributeError):
            unknown.append(key)
        elif err is not None:
            raise SamplerError(f"sampler_kwargs {key}={value!r} is not valid for nutpie: {err}.")
    if unknown:
        raise SamplerError(
            f"Unknown sampler_kwargs {unknown} for nutpie; valid keys are the arguments of "
            f"nutpie.sample {named} and its sampler settings {_settings_names(settings)}."
        )


def _nutpie_settings(sampler: str, adaptation: str):
    """A factory of nutpie's settings object for this sampler and adaptation, if known."""
    try:
        _lib = import_nutpie()._lib
        kind = {"nuts": _lib.PyNutsSettings, "mclmc": _lib.PyMclmcSettings}[sampler]
        cls = {"diag": kind.Diag, "draw_diag": kind.Diag, "low_rank": kind.LowRank}.get(
            adaptation, kind.Flow
        )
        cls(0)
    except (ImportError, AttributeError, KeyError, TypeError):  # other nutpie versions
        return None
    return lambda: cls(0)


def _update_error(settings, key: str, value) -> Exception | None:
    """What a fresh nutpie settings object raises for ``key=value``: AttributeError for an
    unknown key, TypeError, ValueError or OverflowError for a bad value, None if taken."""
    try:
        settings().update({key: value})
    except (AttributeError, TypeError, ValueError, OverflowError) as err:
        return err
    return None


def _settings_names(settings) -> list[str]:
    """The settings nutpie accepts as keywords: the leaves of ``as_dict()`` it updates."""

    def leaves(d):
        for key, value in d.items():
            yield from leaves(value) if isinstance(value, dict) else [(key, value)]

    names = {
        key
        for key, value in leaves(settings().as_dict().get("settings", {}))
        if not isinstance(_update_error(settings, key, value), AttributeError)
    }
    return sorted(names - _SET_BY_FIT["nutpie"])


def _not_sampling_list(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Sampling: ")


@contextlib.contextmanager
def quiet_forward_sampling():
    """Within the block, drop PyMC's "Sampling: [...]" log line of forward sampling (its
    other messages still show)."""
    logger = logging.getLogger("pymc.sampling.forward")
    logger.addFilter(_not_sampling_list)
    try:
        yield
    finally:
        logger.removeFilter(_not_sampling_list)


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
    compiled=None,
) -> tuple[xr.DataTree, dict[str, float]]:
    """Sample ``model``; return the posterior and sample stats, and timings in seconds.

    ``compiled``: nutpie's compiled model to sample instead of compiling ``model`` (a
    kernel model, :mod:`hiermodels.kernel_entry`); ``model`` still names the draws.
    """
    seed = resolve_seed(random_seed)
    options = {"draws": draws, "tune": tune, "chains": chains, "cores": cores}
    options.update(target_accept=target_accept, progressbar=progressbar)
    try:
        return _run(model, sampler, seed, compiled, sampler_kwargs, **options)
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
    is at most about 10-15% per gradient evaluation (docs/performance.md).
    """
    import pytensor

    return pytensor.config.change_flags(numba__fastmath=False)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _graph_key(model: pm.Model) -> tuple:
    """What the compiled function depends on: the model's variables, by identity."""
    return tuple((name, id(var)) for name, var in model.named_vars.items())


def compiled_for(model: pm.Model):
    """nutpie's compiled model, reused while the PyMC model is unchanged.

    Refitting a model (other draws, seed or chains) skips the compilation, which costs
    far more than sampling. A model edited since (a variable added or replaced) compiles
    again. Its entry points are cached on disk (:mod:`hiermodels.cached_entry`), so
    another process that builds a model of the same structure loads them instead of
    compiling them.
    """
    key = _graph_key(model)
    cached = _COMPILED.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    with strict_float():
        compiled = cached_entry.compile_cached(model)
    _COMPILED[model] = (key, compiled)
    return compiled


def nutpie_sample(
    compiled, *, draws, tune, chains, cores, seed, target_accept, sampler_kwargs, progressbar
):
    """``nutpie.sample`` of a compiled model with hiermodels' options (no warm-up kept;
    ``cores`` defaults to one per chain, at most 4): its posterior and sample stats."""
    kwargs = {} if target_accept is None else {"target_accept": float(target_accept)}
    kwargs.update(sampler_kwargs or {})
    return sample_tree(
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


def _run(model, sampler, seed, compiled, sampler_kwargs, **options):
    """Sample with ``options`` (draws, tune, chains, cores, target_accept, progressbar)."""
    timings: dict[str, float] = {}
    if sampler == "nutpie":
        start = time.perf_counter()
        compiled = compiled if compiled is not None else compiled_for(model)
        timings["compile"] = time.perf_counter() - start
        start = time.perf_counter()
        tree = nutpie_sample(compiled, seed=seed, sampler_kwargs=sampler_kwargs, **options)
        timings["sampling"] = time.perf_counter() - start
    else:
        start = time.perf_counter()
        with strict_float():
            tree = pm.sample(
                draws=options["draws"],
                tune=options["tune"],
                chains=options["chains"],
                cores=options["cores"] or 1,
                random_seed=seed,
                progressbar=options["progressbar"],
                nuts_sampler=sampler,
                target_accept=options["target_accept"] or 0.8,
                compute_convergence_checks=False,
                model=model,
                **(sampler_kwargs or {}),
            )
        timings["compile+sampling"] = time.perf_counter() - start
    groups = {name: tree[name].to_dataset() for name in ("posterior", "sample_stats")}
    return xr.DataTree.from_dict(groups), timings
