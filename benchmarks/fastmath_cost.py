"""What compiling without fast-math costs: log density and gradient evaluations per second.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.fastmath_cost [--repeats 7] [--calls 300]

hiermodels compiles the sampler's numba code without fast-math (``sampling.strict_float``)
so that the same seed gives the same draws from a cold and a warm compile cache. This
script compiles the joint log density and gradient of each model twice in one process,
with PyTensor's fast-math flags and without, then times ``calls`` evaluations of each,
alternating the two ``repeats`` times so that load on the machine hits both alike. It
reports the median microseconds per evaluation, their ratio, and the largest difference
between the two functions' outputs at the same point. Results go to
``benchmarks/fastmath_cost.json``; ``--render`` prints the Markdown table of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "fastmath_cost.json"


def _student_t_data():
    """50 groups of 30 rows, correlated intercepts and slopes, t(4) residuals."""
    import pandas as pd

    rng = np.random.default_rng(15)
    groups, per_group = 50, 30
    cov = np.array([[0.36, 0.072], [0.072, 0.16]])
    u = rng.multivariate_normal([0, 0], cov, size=groups)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.uniform(-1, 1, g.size)
    y = 0.3 + 0.8 * x + u[g, 0] + u[g, 1] * x + 0.5 * rng.standard_t(4, g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{j:02d}" for j in g]})


def _models():
    import hiermodels as hm

    sleep = hm.datasets.load("sleepstudy")
    radon = hm.datasets.load("radon")
    hsb = hm.datasets.load("Hsb82")
    cbpp = hm.datasets.load("cbpp")
    return {
        "sleepstudy (Days | Subject)": hm.Model("Reaction ~ Days + (Days | Subject)", sleep),
        "radon (1 | county), every effect sampled": hm.Model(
            "log_radon ~ floor + (1 | county)", radon
        ),
        "Hsb82 cses*sector + meanses + (cses | school)": hm.Model(
            "mAch ~ cses*sector + meanses + (cses | school)", hsb
        ),
        "cbpp binomial (1 | herd)": hm.Model(
            "incidence | trials(size) ~ period + (1 | herd)", cbpp, family="binomial"
        ),
        "simulated Student-t (1 + x | g), 1,500 rows": hm.Model(
            "y ~ x + (1 + x | g)", _student_t_data(), family="student_t"
        ),
    }


def _compiled(model, fastmath: bool):
    import pytensor

    pm_model = model.pymc_model
    with pytensor.config.change_flags(numba__fastmath=fastmath):
        logp = pm_model.logp()
        grads = pytensor.grad(logp, pm_model.value_vars)
        return pytensor.function(pm_model.value_vars, [logp, *grads], mode="NUMBA")


def measure(repeats: int, calls: int) -> list[dict]:
    rows = []
    for name, model in _models().items():
        fns = {flag: _compiled(model, flag) for flag in (True, False)}
        point = model.pymc_model.initial_point()
        values = [point[v.name] + 0.1 for v in model.pymc_model.value_vars]
        outputs = {flag: fn(*values) for flag, fn in fns.items()}
        diff = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(outputs[True], outputs[False])
        )
        micro = {True: [], False: []}
        for _ in range(repeats):
            for flag, fn in fns.items():
                start = time.perf_counter()
                for _ in range(calls):
                    fn(*values)
                micro[flag].append((time.perf_counter() - start) / calls * 1e6)
        fast, strict = statistics.median(micro[True]), statistics.median(micro[False])
        rows.append(
            {
                "model": name,
                "fastmath_us": fast,
                "strict_us": strict,
                "ratio": strict / fast,
                "max_abs_difference": diff,
            }
        )
        print(rows[-1], flush=True)
    return rows


def render(rows: list[dict]) -> str:
    lines = [
        "| model | fast-math µs | strict µs | strict / fast-math | max output difference |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        name = r["model"].replace("|", "\\|")
        lines.append(
            f"| {name} | {r['fastmath_us']:.1f} | {r['strict_us']:.1f} | "
            f"{r['ratio']:.2f} | {r['max_abs_difference']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--render", action="store_true", help="print the table and stop")
    args = parser.parse_args()
    if args.render:
        print(render(json.loads(OUT.read_text())["rows"]))
        return
    warnings.simplefilter("ignore")
    load = Path("/proc/loadavg").read_text().split()[0]
    rows = measure(args.repeats, args.calls)
    OUT.write_text(json.dumps({"load_average_at_start": float(load), "rows": rows}, indent=1))
    print(render(rows))


if __name__ == "__main__":
    main()
