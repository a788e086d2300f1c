"""Benchmark hiermodels configurations, each in a fresh process; write docs/performance.md.

Usage::

    .venv/bin/python benchmarks/run.py [--seeds 1] [--cases radon sleepstudy ...]

Every configuration runs in its own Python process (so compile time includes a cold
process, as a notebook user sees it), with 4 chains x 1000 draws after 1000 tuning steps.
Metrics: build and compile seconds, sampling seconds, min bulk/tail ESS over all
parameters (group effects included), min bulk ESS per sampling second, divergences,
max R-hat and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "radon": ("radon", "log_radon ~ floor + (1 | county)"),
    "sleepstudy": ("sleepstudy", "Reaction ~ Days + (Days | Subject)"),
    "hsb82": ("Hsb82", "mAch ~ meanses + cses + (1 + cses || school)"),
    "penicillin": ("Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
    "oxboys": ("Oxboys", "height ~ age + (age | Subject)"),
}
CONFIGS = ["auto", "non_centered", "centered"]

WORKER = textwrap.dedent(
    """
    import json, resource, sys, time, warnings
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import hiermodels as hm
    dataset, formula, parameterization, seed = sys.argv[1:5]
    model = hm.Model(formula, hm.datasets.load(dataset), parameterization=parameterization)
    build = time.perf_counter() - start
    fit = model.fit(draws=1000, tune=1000, chains=4, cores=2, random_seed=int(seed),
                    progressbar=False)
    report = fit.diagnostics()
    attrs = fit.idata.attrs
    print(json.dumps({
        "build_s": build,
        "compile_s": attrs["seconds_compile"],
        "sampling_s": attrs["seconds_sampling"],
        "min_ess_bulk": report.min_ess_bulk,
        "min_ess_tail": report.min_ess_tail,
        "divergences": report.divergences,
        "max_rhat": report.max_rhat,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "chosen": model.parameterization,
    }))
    """
)


def run_one(case: str, config: str, seed: int) -> dict:
    dataset, formula = CASES[case]
    out = subprocess.run(
        [sys.executable, "-c", WORKER, dataset, formula, config, str(seed)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["ess_per_s"] = result["min_ess_bulk"] / max(result["sampling_s"], 1e-9)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--configs", nargs="*", default=CONFIGS)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()
    rows = []
    for case in args.cases:
        for config in args.configs:
            for seed in range(1, args.seeds + 1):
                result = run_one(case, config, seed)
                rows.append({"case": case, "config": config, "seed": seed, **result})
                print(json.dumps(rows[-1]), flush=True)
    lines = [
        "# Performance",
        "",
        "Measured by `benchmarks/run.py` on this project's 2-core machine: each configuration "
        "in a fresh process, 4 chains x 1000 draws after 1000 tuning steps, nutpie with "
        "numba. ESS/s is the minimum bulk ESS over all parameters (group effects included) "
        "per second of sampling.",
        "",
        "| case | parameterisation | chosen | compile s | sampling s | min ESS bulk "
        "| min ESS tail | ESS/s | divergences | max R-hat | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['config']} | error: {r['error']} |")
            continue
        chosen = ", ".join(f"{k}: {v}" for k, v in r["chosen"].items())
        lines.append(
            f"| {r['case']} | {r['config']} | {chosen} | {r['compile_s']:.1f} | "
            f"{r['sampling_s']:.1f} | {r['min_ess_bulk']:.0f} | {r['min_ess_tail']:.0f} | "
            f"{r['ess_per_s']:.0f} | {r['divergences']} | {r['max_rhat']:.3f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
