"""Distributional gaussian models: hiermodels against brms-style hand-written PyMC.

Two cases, each fitted by both tools in one run with the same sampler settings (nutpie,
numba backend, 4 chains x 1000 draws after 1000 tuning steps, 2 cores):

- ``sleepstudy_sigma``: ``Reaction ~ Days + (1 | Subject)`` with ``sigma ~ Days``
  (glmmTMB's ``dispformula = ~ Days``), 180 rows (with ``(Days | Subject)`` the
  hand-written model's LKJ factor fails nutpie's jittered initialisation here: "cannot
  set WRITEABLE flag", so the benchmark keeps the varying intercept);
- ``sim_sigma_group``: ``y ~ x + (1 | g)`` with ``sigma ~ x + (1 | g)``, 50 groups of 40
  rows simulated with seed 16 (log sigma_j = 0.2 x + u_j, u_j ~ N(0, 0.5²)).

The hand-written model is what brms generates, written in PyMC: predictors centred with
the intercept at their means (as brms does for the mean and for sigma), non-centred group
effects (``r = z * sd``),
``sigma = exp(...)`` per row, and hiermodels' default priors. The measure is the minimum
bulk ESS over every reported parameter (fixed effects, SDs, correlations, every group
effect, the sigma formula's coefficients and effects), divided by the sampling seconds
(compile excluded; reported apart).

Run ``python -m benchmarks.distributional`` (about five minutes on two cores); it writes
``benchmarks/distributional.json`` and prints the table that docs/performance.md shows.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.metrics import count_divergences, sampling_quality

SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "cores": 2}
OUT = Path(__file__).resolve().parent / "distributional.json"

CASES = {
    "sleepstudy_sigma": {
        "formula": "Reaction ~ Days + (1 | Subject)",
        "sigma": "~ Days",
        "response": "Reaction",
        "x": "Days",
        "group": "Subject",
        "sigma_group": False,
    },
    "sim_sigma_group": {
        "formula": "y ~ x + (1 | g)",
        "sigma": "~ x + (1 | g)",
        "response": "y",
        "x": "x",
        "group": "g",
        "sigma_group": True,
    },
}


def simulate(seed: int = 16, groups: int = 50, per: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per)
    x = rng.normal(size=groups * per)
    u, v = rng.normal(0, 1.0, groups), rng.normal(0, 0.5, groups)
    y = 2.0 + 0.5 * x + u[g] + rng.normal(0, np.exp(0.2 * x + v[g]))
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{k:02d}" for k in g]})


def load(name: str) -> pd.DataFrame:
    import hiermodels as hm

    return hm.datasets.load("sleepstudy") if name == "sleepstudy_sigma" else simulate()


def handwritten(case: dict, data: pd.DataFrame):
    """The brms-style PyMC model of ``case``."""
    import pymc as pm
    import pytensor.tensor as pt

    y = np.array(data[case["response"]], dtype=float)
    x = np.array(data[case["x"]], dtype=float)
    xc = x - x.mean()
    codes, levels = pd.factorize(data[case["group"]].astype(str), sort=True)
    codes = np.array(codes, dtype=np.int64)
    sd_y, sd_x = float(np.std(y)), float(np.std(x))
    coords = {"level": list(levels)}
    with pm.Model(coords=coords) as model:
        mean_x = float(x.mean())
        xc, codes = pm.Data("xc", xc), pm.Data("codes", codes)
        a = pm.Normal("Intercept_c", float(np.mean(y)), 2.5 * sd_y)
        b = pm.Normal("b", 0.0, 2.5 * sd_y / sd_x)
        mu = a + b * xc
        sd = pm.HalfNormal("sd", sd_y)
        z = pm.Normal("z", 0.0, 1.0, dims="level")
        r = pm.Deterministic("r", z * sd, dims="level")
        mu = mu + r[codes]
        pm.Deterministic("b_Intercept", a - b * mean_x)
        sa = pm.Normal("sigma_Intercept_c", float(np.log(sd_y)), 2.5)
        sb = pm.Normal("sigma_b", 0.0, 2.5 / sd_x)
        log_sigma = sa + sb * xc
        if case["sigma_group"]:
            s_sd = pm.HalfNormal("sd_sigma", 1.0)
            s_z = pm.Normal("z_sigma", 0.0, 1.0, dims="level")
            s_r = pm.Deterministic("r_sigma", s_z * s_sd, dims="level")
            log_sigma = log_sigma + s_r[codes]
        pm.Deterministic("sigma_Intercept", sa - sb * mean_x)
        pm.Normal("y", mu, pt.exp(log_sigma), observed=pm.Data("y_obs", y))
    return model


def run_handwritten(case: dict, data: pd.DataFrame, seed: int) -> dict:
    import nutpie

    model = handwritten(case, data)
    start = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    tree = nutpie.sample(
        compiled,
        draws=SETTINGS["draws"],
        tune=SETTINGS["tune"],
        chains=SETTINGS["chains"],
        cores=SETTINGS["cores"],
        seed=seed,
        progress_bar=False,
    )
    sampling_s = time.perf_counter() - start
    post = tree["posterior"].to_dataset() if hasattr(tree, "children") else tree.posterior
    post = post.drop_vars([v for v in post.data_vars if str(v).endswith("_c")])
    stats = tree["sample_stats"].to_dataset() if hasattr(tree, "children") else tree.sample_stats
    quality = sampling_quality(post, exclude_prefixes=("z", "chol"))
    return {
        "compile_s": compile_s,
        "sampling_s": sampling_s,
        **quality,
        "divergences": count_divergences(stats),
    }


def run_hiermodels(case: dict, data: pd.DataFrame, seed: int) -> dict:
    import hiermodels as hm
    from hiermodels.diagnostics import reported_variables

    model = hm.Model(case["formula"], data, sigma=case["sigma"])
    fit = model.fit(random_seed=seed, progressbar=False, **SETTINGS)
    post = reported_variables(fit.idata["posterior"].to_dataset())
    post = post.drop_vars([v for v in post.data_vars if str(v).endswith("_centered")])
    quality = sampling_quality(post)
    attrs = fit.idata.attrs
    return {
        "compile_s": float(attrs["seconds_compile"]),
        "sampling_s": float(attrs["seconds_sampling"]),
        **quality,
        "divergences": count_divergences(fit.idata["sample_stats"].to_dataset()),
        "parameterization": model.parameterization,
    }


def table(results: dict) -> str:
    lines = [
        "| case | tool | min bulk ESS | sampling s | min bulk ESS/s | compile s | max R-hat "
        "| divergences |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, tools in results.items():
        for tool, r in tools.items():
            ess_s = r["min_ess_bulk"] / r["sampling_s"]
            lines.append(
                f"| {name} | {tool} | {r['min_ess_bulk']:.0f} | {r['sampling_s']:.2f} | "
                f"{ess_s:.0f} | {r['compile_s']:.0f} | {r['max_rhat']:.3f} | {r['divergences']} |"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    seed = int(argv[0]) if argv else 1
    results = {}
    for name, case in CASES.items():
        data = load(name)
        results[name] = {
            "hiermodels": run_hiermodels(case, data, seed),
            "handwritten": run_handwritten(case, data, seed),
        }
        print(name, json.dumps(results[name], default=str), flush=True)
    OUT.write_text(
        json.dumps({"settings": SETTINGS, "seed": seed, "results": results}, indent=2, default=str)
        + "\n"
    )
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
