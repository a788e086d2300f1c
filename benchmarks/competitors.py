"""Run one configuration of each tool in this process and time its phases.

Every runner returns the same keys: ``import_s`` (importing the library), ``build_s``
(building the model from the DataFrame), ``compile_s``, ``sampling_s``, ``post_s``
(everything after sampling that the tool does before it hands back the result: for
hiermodels the pointwise log-likelihood, diagnostics and, for the marginal method, the
conditional draws of the integrated-out effects; for bambi its clean-up of the trace),
``fit_s`` (the whole fit call), the sampling quality from :mod:`benchmarks.metrics` and
tool-specific notes.

The runners are called by :mod:`benchmarks.worker` in a fresh process, so ``import_s``
and ``compile_s`` are what a user pays in a new Python session.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from benchmarks.cases import Case
from benchmarks.metrics import count_divergences, sampling_quality

__all__ = ["run_bambi", "run_handwritten", "run_hiermodels"]


def _sampler_settings(settings: Mapping, *, seed_name: str = "random_seed") -> dict:
    """Draws, tuning steps, chains, cores and seed, named as every tool's fit takes them."""
    keys = ("draws", "tune", "chains", "cores")
    return {**{k: settings[k] for k in keys}, seed_name: settings["seed"]}


def _tree_dataset(tree, group: str):
    return tree[group].to_dataset() if hasattr(tree[group], "to_dataset") else tree[group]


# --- hiermodels ---------------------------------------------------------------------------


def _no_shear(design, priors, **_):
    """Replacement of ``shear_plan``: no varying term is centred on its level mean."""
    from hiermodels.backend.shear import ShearPlan

    masks = {g.name: np.zeros(len(g.terms), dtype=bool) for g in design.groups}
    return ShearPlan(masks, (), (), np.zeros(0), np.zeros(0), False)


def _effects_without_sum_zero(g, priors, centered):
    """Replacement of ``group_effects``: all J levels sampled directly, no sum-zero split
    (the level mean is then part of the effects, so it is returned as zero)."""
    import pymc as pm
    import pytensor.tensor as pt

    from hiermodels import naming
    from hiermodels.backend.priors import scales
    from hiermodels.backend.shear import factor_root

    J, q = g.n_levels, len(g.terms)
    blocks = scales(g, priors)
    z = None if centered else pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, shape=(J, q))
    parts = []
    for index, (block, sd, chol, _) in enumerate(blocks):
        cols = list(block)
        if not centered:
            parts.append(z[:, cols] * sd if chol is None else z[:, cols] @ chol.T)
            continue
        name = naming.deviations_name(g.name, index, len(blocks))
        if chol is None:
            parts.append(pm.Normal(name, 0.0, sd, shape=(J, len(cols))))
        else:
            parts.append(pm.MvNormal(name, mu=np.zeros(len(cols)), chol=chol, shape=(J, len(cols))))
    return pt.concatenate(parts, axis=1), factor_root(g, blocks), pt.zeros(q)


#: Technique -> the backend functions replaced to switch it off. Without the sum-zero
#: split there is no level mean to shear, so that ablation switches the shear off too.
ABLATIONS = {
    "shear": [("shear_plan", _no_shear)],
    "sum_zero": [("group_effects", _effects_without_sum_zero), ("shear_plan", _no_shear)],
}


def _ablate(techniques: list[str]) -> None:
    """Switch hiermodels techniques off by replacing the backend function that applies them."""
    from hiermodels.backend import pymc as backend

    for technique in techniques:
        for attribute, replacement in ABLATIONS[technique]:
            if not hasattr(backend, attribute):
                raise RuntimeError(
                    f"cannot switch off {technique!r}: hiermodels.backend.pymc has no {attribute!r}"
                )
            setattr(backend, attribute, replacement)


def run_hiermodels(
    case: Case, data: pd.DataFrame, *, kwargs: Mapping, ablate: list[str], settings: Mapping
) -> dict:
    """Fit with ``hm.Model(**model_kwargs).fit(**fit_kwargs)``; kwargs split by signature."""
    start = time.perf_counter()
    import nutpie  # noqa: F401  (imported lazily by fit; counted here as for the others)

    import hiermodels as hm
    import hiermodels.model
    from hiermodels.diagnostics import reported_variables

    import_s = time.perf_counter() - start
    _ablate(ablate)
    model_params = inspect.signature(hiermodels.model.Model).parameters
    fit_params = inspect.signature(hiermodels.model.Model.fit).parameters
    unknown = [k for k in kwargs if k not in model_params and k not in fit_params]
    if unknown:
        raise TypeError(f"neither Model nor fit accepts {unknown}")
    model_kwargs = {k: v for k, v in kwargs.items() if k in model_params}
    fit_kwargs = {k: v for k, v in kwargs.items() if k in fit_params and k not in model_params}

    start = time.perf_counter()
    model = hm.Model(case.formula, data, **model_kwargs)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    fit = model.fit(**_sampler_settings(settings), progressbar=False, **fit_kwargs)
    fit_s = time.perf_counter() - start
    attrs = dict(fit.idata.attrs)
    # The Gibbs sampler (method="gibbs") compiles nothing.
    compile_s = float(
        attrs.get("seconds_compile", 0.0 if attrs.get("method") == "gibbs" else "nan")
    )
    sampling_s = float(attrs.get("seconds_sampling", float("nan")))
    posterior = fit.idata["posterior"].to_dataset()
    quality = sampling_quality(reported_variables(posterior))
    return {
        "import_s": import_s,
        "build_s": build_s,
        "compile_s": compile_s,
        "sampling_s": sampling_s,
        "post_s": fit_s - compile_s - sampling_s,
        "fit_s": fit_s,
        **quality,
        "divergences": (
            count_divergences(fit.idata["sample_stats"].to_dataset())
            if "sample_stats" in fit.idata.children
            else 0  # Gibbs sampling: no trajectories, nothing can diverge
        ),
        "notes": {
            # (Gibbs sampling has no parameterisation; asking would run the REML pilot.)
            "parameterization": {} if attrs.get("method") == "gibbs" else model.parameterization,
            "method": attrs.get("method", "full"),
            "collapsed_factor": attrs.get("collapsed_factor", ""),
            "timings": {k: v for k, v in attrs.items() if k.startswith("seconds_")},
        },
    }


# --- hand-written PyMC --------------------------------------------------------------------


def run_handwritten(case: Case, data: pd.DataFrame, *, settings: Mapping) -> dict:
    """The model of :mod:`benchmarks.handwritten`, compiled and sampled by nutpie (numba)."""
    start = time.perf_counter()
    import nutpie
    import pymc  # noqa: F401

    from benchmarks.handwritten import EXCLUDED_PREFIXES, build_model

    import_s = time.perf_counter() - start
    start = time.perf_counter()
    model = build_model(case, data)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    tree = nutpie.sample(
        compiled, **_sampler_settings(settings, seed_name="seed"), progress_bar=False
    )
    sampling_s = time.perf_counter() - start
    posterior = _tree_dataset(tree, "posterior")
    quality = sampling_quality(posterior, exclude_prefixes=EXCLUDED_PREFIXES)
    return {
        "import_s": import_s,
        "build_s": build_s,
        "compile_s": compile_s,
        "sampling_s": sampling_s,
        "post_s": 0.0,
        "fit_s": compile_s + sampling_s,
        **quality,
        "divergences": count_divergences(_tree_dataset(tree, "sample_stats")),
        "notes": {"sampler": "nutpie (numba)"},
    }


# --- bambi --------------------------------------------------------------------------------


def run_bambi(case: Case, data: pd.DataFrame, *, inference_method: str, settings: Mapping) -> dict:
    """bambi's default priors; ``inference_method`` "pymc" (its default) or "nutpie".

    bambi does not time compilation apart from sampling. PyMC stamps the sampling time
    on the posterior; compile time is the rest of the fit call minus bambi's own clean-up
    of the trace (so it includes PyMC's initialisation).
    """
    start = time.perf_counter()
    import bambi
    from bambi.backend import pymc as bambi_backend

    if inference_method == "nutpie":
        import nutpie  # noqa: F401
    import_s = time.perf_counter() - start

    clean_seconds = []
    original_clean = bambi_backend.PyMCModel._clean_results

    def timed_clean(self, *args, **kwargs):
        begin = time.perf_counter()
        try:
            return original_clean(self, *args, **kwargs)
        finally:
            clean_seconds.append(time.perf_counter() - begin)

    bambi_backend.PyMCModel._clean_results = timed_clean

    start = time.perf_counter()
    model = bambi.Model(case.bambi_formula, data)
    model.build()
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    tree = model.fit(
        **_sampler_settings(settings), inference_method=inference_method, progressbar=False
    )
    fit_s = time.perf_counter() - start
    posterior = _tree_dataset(tree, "posterior")
    stats = _tree_dataset(tree, "sample_stats")
    sampling_s = posterior.attrs.get("sampling_time", stats.attrs.get("sampling_time"))
    sampling_s = float("nan") if sampling_s is None else float(sampling_s)
    post_s = sum(clean_seconds)
    quality = sampling_quality(posterior, exclude_suffixes=("_offset",))
    return {
        "import_s": import_s,
        "build_s": build_s,
        "compile_s": fit_s - sampling_s - post_s,
        "sampling_s": sampling_s,
        "post_s": post_s,
        "fit_s": fit_s,
        **quality,
        "divergences": count_divergences(stats),
        "notes": {"bambi": bambi.__version__, "inference_method": inference_method},
    }
