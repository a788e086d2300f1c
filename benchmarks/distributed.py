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
        **{
            f"sd_g[{t}]": post["sd_g"].sel({naming.term_dim("g"): t})
            for t in ("Intercept", "x")
        },
    }
    return {k: float((v.mean() - TRUTH[k]) / v.std()) for k, v in values.items()}


def fit_once(files: int) -> dict:
    """One size, in this process (called in a fresh process by :func:`fit`)."""
    import dask
    from distributed import Client, LocalCluster

    import hiermodels as hm
    from hiermodels.convergence import convergence_table

    paths = sorted(DATA.glob("part-*.parquet"))[:files]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit="4GB", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dask.config.set({"dataframe.convert-string": False})
        start = time.perf_counter()
        model = hm.Model.from_parquet([str(p) for p in paths], FORMULA, client=client)
        reduction = time.perf_counter() - start
        workers = client.run(_peak_mb)
    start = time.perf_counter()
    fit = model.fit(progressbar=False, **SETTINGS)
    sampling = time.perf_counter() - start
    names = [n for n in fit.posterior.data_vars if not n.startswith("r_")]
    flat = np.concatenate(
        [fit.posterior[n].values.reshape(4, SETTINGS["draws"], -1) for n in names], axis=2
    )
    table = convergence_table(flat)
    return {
        "rows": model.design.n_obs,
        "partitions": files,
        "reduction_seconds": round(reduction, 1),
        "fit_seconds": round(sampling, 1),
        "sampling_seconds": round(float(fit.idata.attrs.get("seconds_sampling", np.nan)), 2),
        "peak_worker_mb": {k: round(v) for k, v in workers.items()},
        "peak_client_mb": round(_peak_mb()),
        "max_r_hat": round(float(np.max(table["r_hat"])), 4),
        "min_ess_bulk": round(float(np.min(table["ess_bulk"]))),
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
    stored[key] = value
    RESULTS.write_text(json.dumps(stored, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["write", "fit", "fit-once", "equality"])
    parser.add_argument("values", nargs="*", type=float)
    args = parser.parse_args(argv)
    if args.step == "write":
        write(int(args.values[0]) if args.values else 100_000_000)
    elif args.step == "fit-once":
        print("RESULT " + json.dumps(fit_once(int(args.values[0]))), flush=True)
    elif args.step == "fit":
        sizes = [int(v) for v in args.values] or [10**6, 10**7, 10**8]
        _store("fits", fit(sizes))
    else:
        result = equality()
        print(json.dumps(result))
        _store("equality", result)


if __name__ == "__main__":
    main()
