"""A gaussian multilevel model on 10^8 rows in Parquet partitions (issue 20, acceptance 1-3).

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.distributed write [--rows 100000000]
    .venv/bin/python -m benchmarks.distributed fit [--rows 1e6 1e7 1e8]
    .venv/bin/python -m benchmarks.distributed equality

``write`` simulates the data set into ``benchmarks/.data/sim/part-*.parquet`` (10^6 rows
per file, 10^4 groups, gitignored): ``y = 2 + 0.5 x + c_effect + u0[g] + u1[g] x + e``
with ``x ~ N(0, 1)``, ``c`` categorical with three levels (effects 0, 0.3, -0.4),
``(u0, u1) ~ N(0, diag(0.8, 0.3)^2)`` and ``e ~ N(0, 1.5^2)``.

``fit`` runs, per size (the first 1, 10 or 100 files), one fresh Python process that
starts a 2-worker ``LocalCluster`` (1 thread and a 4 GB memory limit per worker), builds
``hm.Model.from_parquet(path, "y ~ x + c + (x | g)")`` (the reduction), fits it
(4 chains x 1000 draws) and records: wall seconds of the reduction and of the fit, the
peak resident memory of each worker and of the client process, R-hat and bulk ESS of
every parameter, and each population parameter's error against the truth in posterior
SDs.

``equality`` takes the first 10^6 rows into memory and compares the statistics and the
posterior (same seed) of the in-memory model with those of the same rows as a Dask
DataFrame of 10 partitions.

Results go to ``benchmarks/distributed.json``; ``docs/performance.md`` shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "sim"
RESULTS = HERE / "distributed.json"
FORMULA = "y ~ x + c + (x | g)"
ROWS_PER_FILE = 1_000_000
GROUPS = 10_000
TRUTH = {
    "Intercept": 2.0,
    "x": 0.5,
    "c[B]": 0.3,
    "c[C]": -0.4,
    "sd_g[Intercept]": 0.8,
    "sd_g[x]": 0.3,
    "sigma": 1.5,
}
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "random_seed": 20}


def write(rows: int) -> None:
    """Simulate ``rows`` rows into Parquet files of 10^6 rows each."""
    import pandas as pd

    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    u = rng.normal(0.0, [0.8, 0.3], size=(GROUPS, 2))
    start = time.perf_counter()
    for part in range(rows // ROWS_PER_FILE):
        n = ROWS_PER_FILE
        g = rng.integers(0, GROUPS, n)
        x = rng.normal(size=n)
        c = rng.integers(0, 3, n)
        y = 2.0 + 0.5 * x + np.array([0.0, 0.3, -0.4])[c] + u[g, 0] + u[g, 1] * x
        y += rng.normal(0.0, 1.5, n)
        frame = pd.DataFrame(
            {"y": y, "x": x, "c": np.array(["A", "B", "C"])[c], "g": g.astype(np.int32)}
        )
        frame.to_parquet(DATA / f"part-{part:04d}.parquet", index=False)
    print(f"wrote {rows:,} rows in {time.perf_counter() - start:.1f} s to {DATA}")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _errors_in_sd(fit) -> dict[str, float]:
    """(posterior mean - truth) / posterior SD of the population parameters."""
    from hiermodels import naming

    post = fit.posterior
    values = {
        "Intercept": post["Intercept"],
        "sigma": post["sigma"],
        **{t: post["b"].sel({naming.FIXED_DIM: t}) for t in ("x", "c[B]", "c[C]")},
        **{f"sd_g[{t}]": post["sd_g"].sel({naming.term_dim("g"): t}) for t in ("Intercept", "x")},
    }
    return {k: float((v.mean() - TRUTH[k]) / v.std()) for k, v in values.items()}


def fit_once(files: int) -> dict:
    """One size, in this process (called in a fresh process by :func:`fit`)."""
    from distributed import Client, LocalCluster

    import hiermodels as hm

    paths = sorted(DATA.glob("part-*.parquet"))[:files]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="4GB", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        model = hm.Model.from_parquet([str(p) for p in paths], FORMULA, client=client)
        reduction = time.perf_counter() - start
        workers = client.run(_peak_mb)
    start = time.perf_counter()
    fit = model.fit(progressbar=False, **SETTINGS)
    sampling = time.perf_counter() - start
    report = fit.diagnostics()  # every parameter, the 2 x 10^4 group effects included
    return {
        "rows": model.design.n_obs,
        "partitions": files,
        "reduction_seconds": round(reduction, 1),
        "fit_seconds": round(sampling, 1),
        "sampling_seconds": round(float(fit.idata.attrs.get("seconds_sampling", np.nan)), 2),
        "peak_worker_mb": {k: round(v) for k, v in workers.items()},
        "peak_client_mb": round(_peak_mb()),
        "max_r_hat": round(float(report.max_rhat), 4),
        "min_ess_bulk": round(float(report.min_ess_bulk)),
        "parameters": len(report.table),
        "divergences": report.divergences,
        "error_in_posterior_sd": {k: round(v, 2) for k, v in _errors_in_sd(fit).items()},
        "load_before": os.getloadavg(),
    }


def equality() -> dict:
    """Statistics and posterior of 10^6 rows, in memory and as 10 Dask partitions."""
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    import hiermodels as hm
    from hiermodels.collapsed import collapsed_statistics

    df = pd.read_parquet(sorted(DATA.glob("part-*.parquet"))[0])
    memory = hm.Model(FORMULA, df)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        dask_model = hm.Model(FORMULA, dd.from_pandas(df, npartitions=10, sort=False))
    a, b = (collapsed_statistics(m.design, "g") for m in (memory, dask_model))
    relative = {
        k: float(
            np.max(np.abs(np.asarray(getattr(a, k)) - np.asarray(getattr(b, k))))
            / max(float(np.max(np.abs(getattr(a, k)))), 1e-300)
        )
        for k in ("ZtZ", "ZtF", "Zty", "FtF", "Fty", "yty")
    }
    fits = [m.fit(progressbar=False, **SETTINGS) for m in (memory, dask_model)]
    in_sd = {
        name: float(
            np.max(np.abs(fits[1].posterior[name].values - draws.values)) / float(draws.std())
        )
        for name, draws in fits[0].posterior.data_vars.items()
    }
    return {
        "rows": len(df),
        "max_relative_difference_of_statistics": max(relative.values()),
        "max_draw_difference_in_posterior_sd": max(in_sd.values()),
        "priors_equal": memory.priors == dask_model.priors,
    }


def fit(sizes: list[int]) -> list[dict]:
    """Each size in a fresh process; the results, also written to the JSON file."""
    results = []
    for rows in sizes:
        files = max(1, rows // ROWS_PER_FILE)
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.distributed", "fit-once", str(files)],
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE.parent,
        )
        line = [row for row in out.stdout.splitlines() if row.startswith("RESULT ")][-1]
        result = json.loads(line[len("RESULT ") :])
        result["process_seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def _store(key: str, value) -> None:
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if key == "fits":  # one entry per size: a new run of a size replaces the old one
        sizes = {r["rows"] for r in value}
        value = sorted(
            [r for r in stored.get("fits", []) if r["rows"] not in sizes] + value,
            key=lambda r: r["rows"],
        )
    stored[key] = value
    RESULTS.write_text(json.dumps(stored, indent=1) + "\n")


HEADING = "## Data beyond one machine (Dask)"


def plot(results: dict, docs: Path) -> str | None:
    """The scaling figure (reduction and sampling seconds against rows); its file name."""
    fits = results.get("fits", [])
    if len(fits) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r["rows"] for r in fits]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key, label in [
        ("reduction_seconds", "reduction (2 workers)"),
        ("sampling_seconds", "sampling (NUTS, 4 x 2000 iterations)"),
        ("process_seconds", "fresh process, all steps"),
    ]:
        ax.plot(rows, [r[key] for r in fits], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows")
    ax.set_ylabel("wall seconds")
    ax.set_title(f"y ~ x + c + (x | g), {GROUPS:,} groups")
    ax.legend(fontsize=8)
    fig.tight_layout()
    name = "performance_distributed.png"
    fig.savefig(docs / name, dpi=110)
    plt.close(fig)
    return name


def section(results: dict, docs: Path) -> list[str]:
    """The docs/performance.md section of ``benchmarks/distributed.json``."""
    fits = results.get("fits", [])
    if not fits:
        return []
    lines = [
        HEADING,
        "",
        "`python -m benchmarks.distributed write` simulates 10⁸ rows in 100 Parquet files "
        f"(10⁶ rows each, {GROUPS:,} groups, `{FORMULA}`, `c` with three levels); "
        "`... fit` fits the first 1, 10 and 100 files, each in a fresh process with a "
        "2-worker `LocalCluster` (1 thread and a 4 GB memory limit per worker), 4 chains x "
        "1000 draws after 1000 tuning steps. *Reduction*: `hm.Model.from_parquet` (both "
        "passes over the partitions); *fit*: compile, sampling, exact draws of the 2 x "
        f"{GROUPS:,} group effects and the diagnostics of every parameter; *process*: the "
        "whole fresh process (import and cluster start included). Peak memory is the "
        "resident set of each process. Errors are (posterior mean - truth) / posterior SD.",
        "",
        "| rows | reduction s | sampling s | fit s | process s | peak MB, workers | "
        "peak MB, client | max R-hat | min bulk ESS | max abs error (SD) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in fits:
        worst = max(abs(v) for v in r["error_in_posterior_sd"].values())
        lines.append(
            f"| {r['rows']:,} | {r['reduction_seconds']} | {r['sampling_seconds']} | "
            f"{r['fit_seconds']} | {r['process_seconds']} | "
            f"{', '.join(str(v) for v in r['peak_worker_mb'].values())} | "
            f"{r['peak_client_mb']} | {r['max_r_hat']} | {r['min_ess_bulk']} | {worst:.2f} |"
        )
    name = plot(results, docs)
    if name:
        lines += ["", f"![Wall seconds against rows]({name})"]
    eq = results.get("equality")
    if eq:
        lines += [
            "",
            f"Equality (`... equality`): {eq['rows']:,} rows in memory against the same rows "
            "as 10 Dask partitions: the statistics differ by "
            f"{eq['max_relative_difference_of_statistics']:.1e} (relative), the priors are "
            f"{'equal' if eq['priors_equal'] else 'NOT equal'}, and the draws of every "
            "parameter (same seed, 4 x 1000) differ by at most "
            f"{eq['max_draw_difference_in_posterior_sd']:.1e} posterior SD.",
        ]
    return [*lines, ""]


def render(docs: Path = HERE.parent / "docs") -> None:
    """Replace (or append) this section of ``docs/performance.md``."""
    results = json.loads(RESULTS.read_text())
    path = docs / "performance.md"
    text = path.read_text(encoding="utf-8")
    new = "\n".join(section(results, docs))
    if HEADING in text:
        start = text.index(HEADING)
        rest = text[start + len(HEADING) :]
        end = rest.find("\n## ")
        text = text[:start] + new + ("" if end < 0 else rest[end + 1 :])
    else:
        text = text.rstrip() + "\n\n" + new
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["write", "fit", "fit-once", "equality", "render"])
    parser.add_argument("values", nargs="*", type=float)
    args = parser.parse_args(argv)
    if args.step == "write":
        write(int(args.values[0]) if args.values else 100_000_000)
    elif args.step == "fit-once":
        print("RESULT " + json.dumps(fit_once(int(args.values[0]))), flush=True)
    elif args.step == "fit":
        sizes = [int(v) for v in args.values] or [10**6, 10**7, 10**8]
        _store("fits", fit(sizes))
    elif args.step == "equality":
        result = equality()
        print(json.dumps(result))
        _store("equality", result)
    else:
        render()


if __name__ == "__main__":
    main()
