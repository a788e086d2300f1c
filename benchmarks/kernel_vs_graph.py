"""ESS per sampling second: the compiled kernel against the PyMC graph (issue 18, acc. 2).

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.kernel_vs_graph [--seeds 3] [--cases radon ...]
    .venv/bin/python -m benchmarks.kernel_vs_graph --render   # the table from the JSON

Every gaussian case of :mod:`benchmarks.cases` with one grouping factor samples its
collapsed model (``fit()``'s default) two ways in the same process, with the same seeds
and nutpie's default settings (4 chains x 1000 draws after 1000 tuning steps):

- ``kernel``: the structure-generic compiled kernel (:mod:`hiermodels.kernel_entry`),
  which ``fit()`` uses now;
- ``graph``: PyTensor's numba compilation of the same PyMC model, as before (compiled
  once before the timed runs, so neither side pays a compile in the timings).

It reports the sampling seconds, the minimum bulk ESS over the sampled parameters and
their ratio, per seed and as medians, with the machine's load average. Results go to
``benchmarks/kernel_vs_graph.json``; ``--render`` writes the section of
``docs/performance.md`` between its markers.

``--glmm`` does the same for models on the GLMM kernel (:mod:`hiermodels.kernels.
glmm_density`): correlated varying intercepts and slopes, 50 groups of 30 rows,
simulated per family (:func:`glmm_case`); results in ``kernel_vs_graph_glmm.json`` and
their own section of the page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "kernel_vs_graph.json"
PAGE = HERE.parent / "docs" / "performance.md"
BEGIN, END = "<!-- kernel_vs_graph:begin -->", "<!-- kernel_vs_graph:end -->"
CASE_NAMES = ["radon", "sleepstudy", "hsb82", "oxboys", "alcohol", "sim_N1e3_J100"]
CASE_NAMES += ["sim_N1e4_J1000", "sim_N1e6_J100", "sim_N1e6_J1000"]
GLMM_RESULTS = HERE / "kernel_vs_graph_glmm.json"
GLMM_BEGIN, GLMM_END = "<!-- kernel_vs_graph_glmm:begin -->", "<!-- kernel_vs_graph_glmm:end -->"
GLMM_CASES = ["bernoulli", "poisson", "negative_binomial", "student_t", "cumulative"]


def glmm_case(family: str, seed: int = 1):
    """``y ~ x + (1 + x | g)`` on 50 groups of 30 rows: intercept 0.3, slope 0.8, group
    SDs 0.6 and 0.4 with correlation 0.3, ``x ~ U(-1, 1)``; the response of ``family``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cov = np.array([[0.36, 0.072], [0.072, 0.16]])
    u = rng.multivariate_normal([0.0, 0.0], cov, size=50)
    g = np.repeat(np.arange(50), 30)
    x = rng.uniform(-1, 1, g.size)
    eta = 0.3 + 0.8 * x + u[g, 0] + u[g, 1] * x
    if family == "bernoulli":
        y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    elif family == "poisson":
        y = rng.poisson(np.exp(eta))
    elif family == "negative_binomial":
        y = rng.negative_binomial(3.0, 3.0 / (3.0 + np.exp(eta)))
    elif family == "student_t":
        y = eta + 0.5 * rng.standard_t(4, size=g.size)
    else:  # cumulative: three categories of a logistic latent variable
        y = np.digitize(eta + rng.logistic(size=g.size), [0.0, 1.2])
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{j:02d}" for j in g]})


def _min_bulk_ess(posterior) -> float:
    from arviz_stats import ess

    names = [v for v in posterior.data_vars if not v.startswith("r_")]
    values = ess(posterior[names], method="bulk")
    return float(min(float(values[v].min()) for v in values.data_vars))


def _kernels(case_names: list[str], glmm: bool):
    """Per case: its name, the kernel model and the PyMC model it stands for."""
    import hiermodels as hm
    from benchmarks.cases import CASES, load
    from hiermodels.kernel_entry import compile_collapsed, compile_glmm

    for name in case_names:
        if glmm:
            model = hm.Model("y ~ x + (1 + x | g)", glmm_case(name), family=name)
            yield name, compile_glmm(model.pymc_model, model), model.pymc_model
            continue
        case = CASES[name]
        model = hm.Model(case.formula, load(case))
        factor = model.collapsed_factor()
        pymc_model = model.collapsed_model(factor)
        yield name, compile_collapsed(pymc_model, model.design, model.priors, factor), pymc_model


def measure(case_names: list[str], seeds: int, glmm: bool = False) -> list[dict]:
    from hiermodels.sampling import compiled_for, nutpie_sample

    rows = []
    for name, kernel, pymc_model in _kernels(case_names, glmm):
        ways = {"kernel": kernel.compiled, "graph": compiled_for(pymc_model)}
        for seed in range(1, seeds + 1):
            for way, compiled in ways.items():
                load_before = os.getloadavg()[0]
                start = time.perf_counter()
                tree = nutpie_sample(
                    compiled,
                    draws=1000,
                    tune=1000,
                    chains=4,
                    cores=None,
                    seed=seed,
                    target_accept=None,
                    sampler_kwargs=None,
                    progressbar=False,
                )
                seconds = time.perf_counter() - start
                if way == "kernel":  # the same variables as the graph's draws
                    tree = kernel.complete(tree)
                ess_min = _min_bulk_ess(tree["posterior"].to_dataset())
                row = {"case": name, "way": way, "seed": seed, "sampling_s": seconds}
                row.update({"min_bulk_ess": ess_min, "ess_per_s": ess_min / seconds})
                row["load"] = load_before
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


_INTRO = [
    "`python -m benchmarks.kernel_vs_graph`: each single-factor gaussian case's collapsed",
    "model sampled by nutpie in one process, through the structure-generic kernel",
    "(`fit()`'s path now) and through PyTensor's numba compilation of the same PyMC",
    "model (the path before), seeds 1-3, 4 x 1000 draws; medians over the seeds.",
]
_GLMM_INTRO = [
    "`python -m benchmarks.kernel_vs_graph --glmm`: `y ~ x + (1 + x | g)` (50 groups of 30",
    "rows, simulated per family) sampled by nutpie in one process, through the GLMM kernel",
    "(`fit()`'s path now) and through PyTensor's numba compilation of the same PyMC model,",
    "seeds 1-3, 4 x 1000 draws; medians over the seeds.",
]


def render(rows: list[dict], glmm: bool = False) -> str:
    lines = [
        GLMM_BEGIN if glmm else BEGIN,
        "## "
        + ("GLMM kernel" if glmm else "Compiled kernel")
        + " against the PyMC graph (ESS per sampling second)",
        "",
        *(_GLMM_INTRO if glmm else _INTRO),
        "",
        "| case | kernel s | graph s | kernel min ESS | graph min ESS "
        "| kernel ESS/s | graph ESS/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in dict.fromkeys(r["case"] for r in rows):
        med = {}
        for way in ("kernel", "graph"):
            sel = [r for r in rows if r["case"] == name and r["way"] == way]
            med[way] = {
                k: statistics.median(r[k] for r in sel)
                for k in ("sampling_s", "min_bulk_ess", "ess_per_s")
            }
        k, g = med["kernel"], med["graph"]
        lines.append(
            f"| {name} | {k['sampling_s']:.2f} | {g['sampling_s']:.2f} | "
            f"{k['min_bulk_ess']:.0f} | {g['min_bulk_ess']:.0f} | {k['ess_per_s']:.0f} | "
            f"{g['ess_per_s']:.0f} | {k['ess_per_s'] / g['ess_per_s']:.2f} |"
        )
    loads = [r["load"] for r in rows]
    lines += ["", f"Load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}."]
    lines.append(GLMM_END if glmm else END)
    return "\n".join(lines)


def write_page(section: str, glmm: bool = False) -> None:
    begin, end = (GLMM_BEGIN, GLMM_END) if glmm else (BEGIN, END)
    text = PAGE.read_text()
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PAGE.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--cases", nargs="+", default=CASE_NAMES)
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--glmm", action="store_true", help="the GLMM kernel's cases")
    args = parser.parse_args()
    results = GLMM_RESULTS if args.glmm else RESULTS
    cases = (GLMM_CASES if args.cases == CASE_NAMES else args.cases) if args.glmm else args.cases
    if not args.render:
        results.write_text(json.dumps(measure(cases, args.seeds, args.glmm), indent=1) + "\n")
    write_page(render(json.loads(results.read_text()), args.glmm), args.glmm)


if __name__ == "__main__":
    main()
