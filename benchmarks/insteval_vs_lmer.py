"""InstEval's full posterior against lme4's point estimate (issue 20, acceptance 4).

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.insteval_vs_lmer [--repeats 3] [--no-docs]

Each repeat runs two fresh processes, one after the other:

- ``hiermodels``: ``python -c``: import hiermodels, load InstEval, build
  ``y ~ service + (1 | s) + (1 | d) + (1 | dept:service)`` and ``fit(method="gibbs")``
  with 4 chains x 1000 draws after 1000 warm-up sweeps (``fit`` computes R-hat, bulk and
  tail ESS and MCSE of every parameter), then check max R-hat <= 1.01 and min bulk ESS
  >= 400 over all 4,134 parameters;
- ``lmer``: ``Rscript benchmarks/lme4/insteval_once.R``: R's start-up,
  ``library(lme4)``, reading ``datasets/InstEval.csv`` with the factors of
  ``insteval_time.R``, and the REML fit.

Per process it records the wall time (``subprocess`` start to exit) and the fit's own
seconds (hiermodels: ``fit()``; lmer: ``lmer()``), with the 1-minute load average at the
start. One hiermodels process runs first, uncounted, so that numba's disk cache holds
the compiled sweep (its time is stored as ``warmup``). Results go to
``benchmarks/insteval_vs_lmer.json`` and, unless ``--no-docs``, to the section of
``docs/performance.md`` between the markers of :func:`write_section`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "insteval_vs_lmer.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- insteval-vs-lmer:begin -->", "<!-- insteval-vs-lmer:end -->"
FORMULA = "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "random_seed": 1}

HIERMODELS = f"""
import time
start = time.perf_counter()
import json
import hiermodels as hm
imported = time.perf_counter()
data = hm.datasets.load("InstEval")
model = hm.Model({FORMULA!r}, data)
model.design
built = time.perf_counter()
fit = model.fit(method="gibbs", progressbar=False, **{SETTINGS!r})
fitted = time.perf_counter()
report = fit.diagnostics()
print("HIERMODELS " + json.dumps({{
    "import_s": imported - start, "build_s": built - imported, "fit_s": fitted - built,
    "sampling_s": float(fit.idata.attrs["seconds_sampling"]),
    "script_s": fitted - start, "parameters": len(report.table),
    "max_rhat": report.max_rhat, "min_ess_bulk": report.min_ess_bulk,
    "converged": bool(report.max_rhat <= 1.01 and report.min_ess_bulk >= 400),
}}))
"""


def _load() -> float:
    return os.getloadavg()[0]


def _run(command: list[str], marker: str) -> dict:
    load = _load()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith(marker)]
    if done.returncode or not lines:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"wall_s": wall, "load_start": load, **json.loads(lines[-1][len(marker) :])}


def hiermodels_run() -> dict:
    env_python = sys.executable
    return _run([env_python, "-c", HIERMODELS], "HIERMODELS ")


def lmer_run() -> dict:
    return _run(["Rscript", str(HERE / "lme4" / "insteval_once.R")], "LMER ")


def summary(runs: dict[str, list[dict]]) -> dict:
    """Medians per tool, and the ratios hiermodels / lmer."""
    med = {
        tool: {key: statistics.median(r[key] for r in rows) for key in ("wall_s", "fit_s")}
        for tool, rows in runs.items()
    }
    return {
        **med,
        "ratio_wall": med["hiermodels"]["wall_s"] / med["lmer"]["wall_s"],
        "ratio_fit": med["hiermodels"]["fit_s"] / med["lmer"]["fit_s"],
        "all_converged": all(r["converged"] for r in runs["hiermodels"]),
    }


def section(result: dict) -> list[str]:
    """The docs/performance.md section of a results file."""
    s, runs = result["summary"], result["runs"]
    hm_rows, r_rows = runs["hiermodels"], runs["lmer"]
    lines = [
        "## InstEval: full posterior against lme4's point estimate",
        "",
        "Measured by `benchmarks/insteval_vs_lmer.py` (issue #20, acceptance 4): "
        f"`{FORMULA}` on InstEval's 73,421 rows. Each repeat runs a fresh `python -c` "
        '(import hiermodels, load, build, `fit(method="gibbs")` with 4 chains x 1000 '
        "draws after 1000 warm-up sweeps, whose diagnostics cover all "
        f"{hm_rows[0]['parameters']:,} parameters, and the check max R-hat <= 1.01, min "
        "bulk ESS >= 400) and then a fresh `Rscript benchmarks/lme4/insteval_once.R` "
        "(R's start-up, `library(lme4)`, reading the CSV, `lmer(..., REML = TRUE)`). "
        "*wall*: process start to exit; *fit*: `fit()` against `lmer()` in their "
        f"processes. Medians of {len(hm_rows)}; the 1-minute load average at each start "
        f"is listed. numba's disk cache was warm (one uncounted run first: "
        f"{result['warmup']['wall_s']:.1f} s wall).",
        "",
        "| run | hiermodels wall s | hiermodels fit s (sampling) | max R-hat | min bulk ESS "
        "| lmer wall s | lmer fit s | load avg (hm, R) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, (h, r) in enumerate(zip(hm_rows, r_rows, strict=True), 1):
        lines.append(
            f"| {i} | {h['wall_s']:.1f} | {h['fit_s']:.1f} ({h['sampling_s']:.1f}) | "
            f"{h['max_rhat']:.3f} | {h['min_ess_bulk']:.0f} | {r['wall_s']:.1f} | "
            f"{r['fit_s']:.1f} | {h['load_start']:.1f}, {r['load_start']:.1f} |"
        )
    lines += [
        f"| **median** | **{s['hiermodels']['wall_s']:.1f}** | "
        f"**{s['hiermodels']['fit_s']:.1f}** | | | **{s['lmer']['wall_s']:.1f}** | "
        f"**{s['lmer']['fit_s']:.1f}** | |",
        "",
        f"Ratio hiermodels / lmer: **{s['ratio_wall']:.2f}** in wall time (fresh processes), "
        f"**{s['ratio_fit']:.2f}** for the fits alone. "
        + (
            "Every hiermodels run met R-hat <= 1.01 and bulk ESS >= 400 on every parameter."
            if s["all_converged"]
            else "Not every hiermodels run met R-hat <= 1.01 and bulk ESS >= 400."
        ),
        "",
        "Where hiermodels' seconds go (medians): "
        + ", ".join(
            f"{label} {statistics.median(r[key] for r in hm_rows):.1f} s"
            for label, key in (
                ("`import hiermodels`", "import_s"),
                ("loading and building the model (with the imports it triggers)", "build_s"),
                ("sampling (statistics and the compiled sweeps)", "sampling_s"),
            )
        )
        + f", the rest of `fit()` (mostly the diagnostics of every parameter) "
        f"{statistics.median(r['fit_s'] - r['sampling_s'] for r in hm_rows):.1f} s; "
        f"Python's own start-up and exit make up the rest of the wall time. lmer: "
        f"`library(lme4)` {statistics.median(r['library_s'] for r in r_rows):.1f} s, "
        f"reading the CSV {statistics.median(r['read_s'] for r in r_rows):.1f} s.",
        "",
    ]
    return lines


def write_section(result: dict, path: Path = DOCS) -> None:
    """Put the section between the markers, or append it (with them) at the end."""
    block = "\n".join([BEGIN, *section(result), END])
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--docs-only", action="store_true", help="write the section from --out")
    args = parser.parse_args(argv)
    if args.docs_only:
        write_section(json.loads(args.out.read_text()))
        return
    result = {"formula": FORMULA, "settings": SETTINGS, "warmup": hiermodels_run()}
    print("warm-up", json.dumps(result["warmup"]), flush=True)
    runs: dict[str, list[dict]] = {"hiermodels": [], "lmer": []}
    for _ in range(args.repeats):
        for tool, run in (("hiermodels", hiermodels_run), ("lmer", lmer_run)):
            runs[tool].append(run())
            print(tool, json.dumps(runs[tool][-1]), flush=True)
    result["runs"] = runs
    result["summary"] = summary(runs)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["summary"], indent=1))
    if not args.no_docs:
        write_section(result)


if __name__ == "__main__":
    main()
