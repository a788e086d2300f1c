"""Residual AR(1): hiermodels against a brms-style hand-written PyMC model, side by side.

The case is sleepstudy with a varying intercept and AR(1) residuals within subjects,
``Reaction ~ Days + (1 | Subject) + ar(Days, gr = Subject)`` (brms: ``ar(Days, gr =
Subject, cov = TRUE)``). The hand-written model is what brms generates for it, written in
PyMC: predictors centred, non-centred subject effects ``z * sd``, and per subject a
multivariate normal with the Cholesky factor of the dense AR(1) correlation matrix
(brms's ``cholesky_cor_ar1`` and ``normal_time_hom``). Both use hiermodels' default
priors (taken from the hiermodels model), so they sample the same posterior.

All run in this process, one after the other, with the same chains, draws and seeds;
compile time is reported apart. hiermodels adapts a low-rank mass matrix for ``ar()``
models (nutpie's ``adaptation="low_rank"``); the hand-written model runs with nutpie's
default (diagonal) and, as a third row, with the same low-rank adaptation. The score is
the minimum bulk ESS over the parameters (Intercept, the Days slope, the subject SD,
sigma and ar) per second of sampling.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.autocor            # writes benchmarks/autocor_results.json
    .venv/bin/python -m benchmarks.autocor --seeds 3 --draws 1000
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.metrics import count_divergences

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "autocor_results.json"
FORMULA = "Reaction ~ Days + (1 | Subject) + ar(Days, gr = Subject)"
PARAMETERS = ("Intercept", "b", "sd_Subject", "sigma", "ar")


def _prior(name: str, prior, **kwargs):
    import pymc as pm

    return getattr(pm, prior.dist)(name, **prior.params, **kwargs)


def handwritten(data, priors):
    """The brms-style PyMC model (dense AR(1) Cholesky per subject, balanced series)."""
    import pymc as pm
    import pytensor.tensor as pt

    data = data.sort_values(["Subject", "Days"])
    subjects = list(dict.fromkeys(data["Subject"]))
    n_time = data.groupby("Subject").size().iloc[0]
    Y = data["Reaction"].to_numpy(float).reshape(len(subjects), n_time)
    days = data["Days"].to_numpy(float).reshape(len(subjects), n_time)
    centre = days.mean()
    lag = np.abs(np.subtract.outer(np.arange(n_time), np.arange(n_time)))
    with pm.Model(coords={"Subject": subjects}) as model:
        intercept_c = _prior("Intercept_centered", priors["Intercept"])
        b = _prior("b", priors["Days"])
        sd = _prior("sd_Subject", priors["sd|Subject|Intercept"])
        z = pm.Normal("z_Subject", 0.0, 1.0, dims="Subject")
        sigma = _prior("sigma", priors["sigma"])
        ar = _prior("ar", priors["ar"])
        pm.Deterministic("Intercept", intercept_c - b * centre)
        mu = intercept_c + b * (days - centre) + (z * sd)[:, None]
        chol = pt.linalg.cholesky(ar ** pt.as_tensor(lag.astype(float)))
        pm.MvNormal("Reaction", mu=mu, chol=sigma * chol, observed=Y)
    return model


def min_ess(posterior) -> tuple[float, str]:
    from arviz_stats.base import array_stats

    worst, name = np.inf, ""
    for p in PARAMETERS:
        values = posterior[p].values
        values = values.reshape(values.shape[0], values.shape[1], -1)
        for k in range(values.shape[-1]):
            ess = float(array_stats.ess(values[..., k], method="bulk"))
            if ess < worst:
                worst, name = ess, p
    return worst, name


def run_hiermodels(data, *, draws, tune, chains, seed) -> dict:
    import hiermodels as hm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hm.errors.ConvergenceWarning)
        fit = hm.Model(FORMULA, data).fit(
            draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=False
        )
    attrs = fit.idata.attrs
    ess, worst = min_ess(fit.idata["posterior"])
    return {
        "tool": "hiermodels",
        "seconds_compile": float(attrs["seconds_compile"]),
        "seconds_sampling": float(attrs["seconds_sampling"]),
        "min_ess_bulk": ess,
        "worst": worst,
        "ar_mean": float(fit.posterior["ar"].mean()),
        "divergences": count_divergences(fit.idata["sample_stats"]),
    }


def run_handwritten(data, priors, *, draws, tune, chains, seed, adaptation="diag") -> dict:
    import nutpie

    model = handwritten(data, priors)
    start = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    tree = nutpie.sample(
        compiled,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        progress_bar=False,
        adaptation=adaptation,
    )
    sampling_s = time.perf_counter() - start
    ess, worst = min_ess(tree["posterior"])
    return {
        "tool": "hand-written PyMC (brms-style)"
        + ("" if adaptation == "diag" else f", adaptation={adaptation!r}"),
        "seconds_compile": compile_s,
        "seconds_sampling": sampling_s,
        "min_ess_bulk": ess,
        "worst": worst,
        "ar_mean": float(tree["posterior"]["ar"].mean()),
        "divergences": count_divergences(tree["sample_stats"]),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| tool | seed | compile s | sampling s | min bulk ESS (parameter) | min ESS/s | "
        "mean ar | divergences |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rate = r["min_ess_bulk"] / r["seconds_sampling"]
        lines.append(
            f"| {r['tool']} | {r['seed']} | {r['seconds_compile']:.1f} | "
            f"{r['seconds_sampling']:.2f} | {r['min_ess_bulk']:.0f} ({r['worst']}) | "
            f"{rate:.0f} | {r['ar_mean']:.3f} | {r['divergences']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import hiermodels as hm

    data = hm.datasets.load("sleepstudy")
    priors = hm.Model(FORMULA, data).priors
    options = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    rows = []
    for seed in range(1, args.seeds + 1):
        runs = [
            partial(run_hiermodels, data),
            partial(run_handwritten, data, priors),
            partial(run_handwritten, data, priors, adaptation="low_rank"),
        ]
        for run in runs:
            row = run(seed=seed, **options)
            row["seed"] = seed
            rows.append(row)
            print(json.dumps(row), flush=True)
    out = {
        "case": FORMULA,
        "settings": options,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "runs": rows,
    }
    args.results.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
