"""Simulation-based calibration of five model structures on a 2-worker Dask LocalCluster.

Run from the repository root (it takes 30-60 minutes on two cores)::

    .venv/bin/python docs/validation/run_sbc.py

For every structure it runs :func:`hiermodels.sbc` (default 200 simulations). It writes
the ECDF plot ``docs/validation/sbc_<structure>.png`` and the ranks
``docs/validation/sbc_<structure>.csv``. Then it times one structure with 1 and with 2
workers. It writes its section of ``docs/validation.md`` between the markers
``<!-- sbc:start -->`` and ``<!-- sbc:end -->``, and appends the markers if they are
missing. The designs are small (150-250 rows) and simulated here with fixed seeds, so
each refit takes about a second.

Options: ``--n-sims``, ``--timing-sims``, ``--structures``, ``--workers``, ``--timing-only``
(rerun the timing and rewrite the section from ``sbc_summary.json``), ``--page-only``
(only rewrite the section from ``sbc_summary.json``) and ``--quick``
(a smoke test: 8 simulations, nothing written unless ``--write``).

To run the same code on a real cluster, pass ``--scheduler tcp://host:8786``. The
script then connects a ``distributed.Client`` to that address instead of starting a
LocalCluster. The workers need hiermodels installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "validation"
PAGE = ROOT / "docs" / "validation.md"
START, END = "<!-- sbc:start -->", "<!-- sbc:end -->"
# Compile caches stay inside the clone, for this process and (as siblings) the workers.
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
os.environ.setdefault("MPLBACKEND", "Agg")

SEED = 20261122
ALPHA = 0.01
SBC_OPTIONS = dict(
    draws=500, tune=500, chains=2, rank_draws=99, group_levels=2, parameterization="auto"
)


# ---------------------------------------------------------------------------- designs
def varying_intercept_data(rng: np.random.Generator) -> pd.DataFrame:
    """30 groups of 3-9 rows (about 180 rows), one predictor."""
    code = np.repeat(np.arange(30), rng.integers(3, 10, size=30))
    x = rng.normal(size=code.size)
    y = 1.0 + 0.5 * x + rng.normal(0, 0.8, 30)[code] + rng.normal(size=code.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{c:02d}" for c in code]})


def correlated_slopes_data(rng: np.random.Generator) -> pd.DataFrame:
    """20 groups of 8 rows (160 rows); intercept and slope vary and correlate."""
    code = np.repeat(np.arange(20), 8)
    x = rng.normal(size=code.size)
    effects = rng.multivariate_normal([0, 0], [[0.64, 0.16], [0.16, 0.25]], size=20)
    y = 1.0 + 0.5 * x + effects[code, 0] + effects[code, 1] * x + rng.normal(size=code.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{c:02d}" for c in code]})


def crossed_data(rng: np.random.Generator) -> pd.DataFrame:
    """150 ratings, each by one of 12 raters of one of 10 items (crossed factors)."""
    n = 150
    rater = rng.integers(0, 12, size=n)
    item = rng.integers(0, 10, size=n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + rng.normal(0, 0.7, 12)[rater] + rng.normal(0, 0.5, 10)[item]
    y = y + rng.normal(size=n)
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "rater": [f"r{i:02d}" for i in rater],
            "item": [f"i{i:02d}" for i in item],
        }
    )


def multiple_membership_data(rng: np.random.Generator) -> pd.DataFrame:
    """200 pupils in 1-3 of 15 schools; weights (shares of time) sum to 1 per pupil.

    A pupil with fewer than three schools repeats the first school with weight 0.
    """
    n, n_schools = 200, 15
    counts = rng.choice([1, 2, 3], size=n, p=[0.45, 0.35, 0.20])
    schools = np.empty((n, 3), dtype=int)
    weights = np.zeros((n, 3))
    for i, k in enumerate(counts):
        chosen = rng.choice(n_schools, size=k, replace=False)
        schools[i] = np.concatenate([chosen, np.repeat(chosen[0], 3 - k)])
        weights[i, :k] = rng.dirichlet(np.full(k, 2.0))
    u = rng.normal(0, 0.8, n_schools)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + (weights * u[schools]).sum(axis=1) + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "x": x})
    for k in range(3):
        frame[f"s{k + 1}"] = [f"s{j:02d}" for j in schools[:, k]]
        frame[f"w{k + 1}"] = weights[:, k]
    return frame


def bernoulli_data(rng: np.random.Generator) -> pd.DataFrame:
    """25 groups of 10 rows (250 rows), a binary response with a logit link."""
    code = np.repeat(np.arange(25), 10)
    x = rng.normal(size=code.size)
    eta = -0.3 + 0.8 * x + rng.normal(0, 0.7, 25)[code]
    y = (rng.uniform(size=code.size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{c:02d}" for c in code]})


STRUCTURES = {
    "varying_intercept": ("y ~ x + (1 | g)", "gaussian", varying_intercept_data),
    "correlated_slopes": ("y ~ x + (1 + x | g)", "gaussian", correlated_slopes_data),
    "crossed": ("y ~ x + (1 | rater) + (1 | item)", "gaussian", crossed_data),
    "multiple_membership": (
        "y ~ 1 + x + (1 | mm(s1, s2, s3, weights=[w1, w2, w3]))",
        "gaussian",
        multiple_membership_data,
    ),
    "bernoulli_glmm": ("y ~ x + (1 | g)", "bernoulli", bernoulli_data),
}


def build_model(name: str):
    import hiermodels as hm

    formula, family, make = STRUCTURES[name]
    data = make(np.random.default_rng([SEED, list(STRUCTURES).index(name)]))
    return hm.Model(formula, data, family=family)


# ---------------------------------------------------------------------------- running
def local_client(n_workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return cluster, Client(cluster)


def run_structure(name: str, client, n_sims: int) -> dict:
    import hiermodels as hm

    model = build_model(name)
    start = time.perf_counter()
    result = hm.sbc(
        model,
        n_sims=n_sims,
        random_seed=SEED + list(STRUCTURES).index(name),
        executor=client,
        **SBC_OPTIONS,
    )
    wall = time.perf_counter() - start
    ecdf = result.uniformity()
    chi2 = result.uniformity(method="chi2")
    sims = result.simulations
    summary = {
        "structure": name,
        "formula": model.formula,
        "family": model.family,
        "parameterization": model.parameterization,
        "rows": model.design.n_obs,
        "n_sims": result.n_sims,
        "parameters": len(result.parameters),
        "min_p_ecdf": float(ecdf["p_value"].min()),
        "worst_ecdf": str(ecdf["p_value"].idxmin()),
        "min_p_chi2": float(chi2["p_value"].min()),
        "worst_chi2": str(chi2["p_value"].idxmin()),
        "pass_ecdf": bool((ecdf["p_bonferroni"] >= ALPHA).all()),
        "pass_chi2": bool((chi2["p_bonferroni"] >= ALPHA).all()),
        "sims_with_divergences": int((sims["n_divergent"] > 0).sum()),
        "divergences": int(sims["n_divergent"].sum()),
        "sims_ess_below_rank_draws": int((sims["ess_bulk_min"] < result.rank_draws).sum()),
        "median_ess_bulk_min": float(sims["ess_bulk_min"].median()),
        "max_r_hat": float(sims["r_hat_max"].max()),
        "seconds": wall,
        "sampling_seconds": float(sims["seconds_sampling"].sum()),
        "compile_seconds": float(sims["seconds_compile"].sum()),
        "workers": int(sims["pid"].nunique()),
    }
    return {"summary": summary, "result": result, "ecdf": ecdf, "chi2": chi2}


def timing(name: str, n_sims: int, repeats: int = 2) -> list[dict]:
    """Wall time of the same SBC run with 1 and with 2 local workers, alternated.

    Each run starts a fresh cluster, so each worker compiles the model once (from a
    warm disk cache). The 1-minute load average before each run is recorded: on a
    shared machine other processes take cores too.
    """
    import hiermodels as hm

    model = build_model(name)
    rows, ranks = [], {}
    for repeat in range(repeats):
        for n_workers in (1, 2):
            load = os.getloadavg()[0]
            cluster, client = local_client(n_workers)
            with cluster, client:
                start = time.perf_counter()
                result = hm.sbc(
                    model, n_sims=n_sims, random_seed=SEED, executor=client, **SBC_OPTIONS
                )
                wall = time.perf_counter() - start
            sims = result.simulations
            rows.append(
                {
                    "workers": n_workers,
                    "repeat": repeat + 1,
                    "n_sims": n_sims,
                    "seconds": wall,
                    "sampling_seconds": float(sims["seconds_sampling"].sum()),
                    "compile_seconds": float(sims["seconds_compile"].sum()),
                    "load_before": load,
                    "load_after": os.getloadavg()[0],
                }
            )
            ranks.setdefault(n_workers, result.ranks)
            print(
                f"timing {name}: {n_workers} worker(s) {wall:.1f} s (load {load:.1f})", flush=True
            )
    same = ranks[1].equals(ranks[2])
    for row in rows:
        row["same_ranks_with_1_and_2_workers"] = bool(same)
    return rows


# ---------------------------------------------------------------------------- the page
def fmt_p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def section(results: dict[str, dict], times: list[dict], settings: dict) -> str:
    lines = [
        START,
        "",
        "## Simulation-based calibration",
        "",
        "Simulation-based calibration (SBC; Talts et al. 2018, Modrák et al. 2023) checks",
        "the whole chain: priors, model code, sampler and summaries. Each simulation draws",
        "the parameters from the prior and a response from the model, on a fixed design.",
        "It refits the model with NUTS and ranks the true value of every parameter among",
        f"{settings['rank_draws']} evenly spaced posterior draws. If the posterior is right,",
        f"each rank is uniform on 0..{settings['rank_draws']}. The ranked parameters are the",
        "intercept, the slopes, `sigma`, every group SD and correlation, and the effects",
        "of two levels per grouping factor. The priors are the defaults, scaled once from",
        "the design's original response. Each refit is parameterised as",
        '`parameterization="auto"` would do it for its simulated response (centred',
        "where the data pin the group effects down, non-centred elsewhere; always",
        "non-centred for the Bernoulli model). Data sets drawn from the prior cover both",
        "regimes, and a single fixed parameterisation leaves some of them badly mixed.",
        "",
        f"Settings: {settings['n_sims']} simulations per structure; refits of "
        f"{settings['chains']} chains x {settings['draws']} draws after {settings['tune']} "
        "tuning steps (nutpie), thinned to "
        f"{settings['rank_draws']} draws. They ran on a Dask `LocalCluster` of "
        f"{settings['workers']} worker processes on {settings['machine']}.",
        "Uniformity is tested per parameter with the ECDF test of Säilynoja et al. (2022),",
        "whose simultaneous 95% band the plots show, and with a chi-square test on 20 bins.",
        "A structure passes when no parameter has a Bonferroni-adjusted p-value (p times",
        f"the number of parameters) below {ALPHA}. Divergent transitions are counted",
        "per simulation. No simulation is dropped.",
        "",
        "| structure | formula | rows | parameters | min p (ECDF) | min p (chi-square) "
        "| passes | simulations with divergences | simulations with ESS < "
        f"{settings['rank_draws']} | wall time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        s = r["summary"]
        passes = "yes" if s["pass_ecdf"] and s["pass_chi2"] else "**no**"
        family = "" if s["family"] == "gaussian" else f" ({s['family']})"
        formula = s["formula"].replace("|", "\\|")  # a pipe would end the table cell
        lines.append(
            f"| {name.replace('_', ' ')} | `{formula}`{family} | {s['rows']} | "
            f"{s['parameters']} | {fmt_p(s['min_p_ecdf'])} (`{s['worst_ecdf']}`) | "
            f"{fmt_p(s['min_p_chi2'])} (`{s['worst_chi2']}`) | {passes} | "
            f"{s['sims_with_divergences']} | {s['sims_ess_below_rank_draws']} | "
            f"{s['seconds'] / 60:.1f} min |"
        )
    failed = [
        n
        for n, r in results.items()
        if not (r["summary"]["pass_ecdf"] and r["summary"]["pass_chi2"])
    ]
    lines += [
        "",
        "All structures pass." if not failed else f"Failing: {', '.join(failed)}.",
        "",
    ]
    if times:
        n = times[0]["n_sims"]
        lines += [
            "### Wall time with 1 and 2 workers",
            "",
            f"The {settings['timing_structure'].replace('_', ' ')} structure, {n} simulations, "
            "on a fresh LocalCluster of 1 and of 2 worker processes (one thread each), "
            "alternated. Each worker compiles the model once, from a warm disk cache. The "
            "machine was shared with other jobs, so the 1-minute load average is given.",
            "",
            "| run | workers | wall time | sampling, summed over simulations "
            "| compiling, summed over workers | load average before / after |",
            "|---|---|---|---|---|---|",
        ]
        for t in times:
            lines.append(
                f"| {t['repeat']} | {t['workers']} | {t['seconds']:.0f} s | "
                f"{t['sampling_seconds']:.0f} s | {t['compile_seconds']:.0f} s | "
                f"{t['load_before']:.1f} / {t['load_after']:.1f} |"
            )
        best = {w: min(t["seconds"] for t in times if t["workers"] == w) for w in (1, 2)}
        lines += [
            "",
            f"Best wall time: {best[1]:.0f} s with 1 worker, {best[2]:.0f} s with 2 "
            f"({best[1] / best[2]:.2f}x). The ranks are "
            + ("identical" if times[0]["same_ranks_with_1_and_2_workers"] else "**not** identical")
            + " with 1 and 2 workers: every simulation has its own seed, whichever worker"
            " runs it.",
            "",
        ]
        load = np.mean([t["load_before"] for t in times])
        if load > settings.get("cores", 2):
            lines += [
                f"These timings were taken while other jobs kept the {settings.get('cores', 2)} "
                f"cores busy (load average {load:.0f}). The second worker then adds no CPU "
                "time: the sampling time summed over simulations doubles with 2 workers, "
                "because each worker runs at half speed. On an idle machine the sampling part "
                "should take about half as long with 2 workers, which was not measured here; "
                "each worker's one-off compilation is not shortened. Run "
                "`run_sbc.py --timing-only` there to measure it.",
                "",
            ]
    lines += ["### Rank ECDFs", ""]
    for name in results:
        lines += [f"![SBC rank ECDFs: {name.replace('_', ' ')}](validation/sbc_{name}.png)", ""]
    lines += [
        "### Running it",
        "",
        "`docs/validation/run_sbc.py` reproduces this section. `tests/sbc/test_sbc.py` runs",
        "a quick version in CI. In your own code:",
        "",
        "```python",
        "from distributed import Client, LocalCluster",
        "import hiermodels as hm",
        "",
        'if __name__ == "__main__":  # worker processes are spawned',
        '    model = hm.Model("y ~ x + (1 | g)", data)',
        "    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster:",
        "        with Client(cluster) as client:",
        "            result = hm.sbc(model, n_sims=200, random_seed=1, executor=client)",
        "    result.uniformity()            # p-values per parameter, Bonferroni-adjusted",
        '    result.plot().savefig("sbc.png")',
        "```",
        "",
        "For a real cluster, connect to its scheduler by address, e.g.",
        '`Client("tcp://scheduler.example.org:8786")`, and pass that client. The workers',
        "need hiermodels installed. `fit.kfold(..., executor=client)` and",
        "`hm.compare_pooling(..., executor=client)` use the same mechanism. Each worker",
        "process compiles in its own PyTensor and numba cache folder. These are slots",
        "next to the PyTensor `base_compiledir`, or in `$HIERMODELS_WORKER_CACHE`.",
        "",
        END,
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    page = PAGE.read_text() if PAGE.exists() else "# Validation\n"
    if START in page and END in page:
        head, rest = page.split(START, 1)
        _, tail = rest.split(END, 1)
        page = head + text + tail
    else:
        page = page.rstrip("\n") + "\n\n" + text + "\n"
    PAGE.write_text(page)


# ---------------------------------------------------------------------------- main
def run_structures(args, write: bool) -> dict[str, dict]:
    """SBC of every structure on one cluster (local, or remote by address)."""
    from distributed import Client

    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
    else:
        cluster, client = local_client(args.workers)
    results = {}
    try:
        for name in args.structures:
            print(f"SBC {name}: {args.n_sims} simulations ...", flush=True)
            results[name] = run_structure(name, client, args.n_sims)
            s = results[name]["summary"]
            print(json.dumps(s, default=str), flush=True)
            print(results[name]["ecdf"].join(results[name]["chi2"], rsuffix="_chi2").round(4))
            if write:
                r = results[name]["result"]
                r.plot(
                    title=f"{name.replace('_', ' ')}: {s['formula']} ({s['family']}), "
                    f"{s['n_sims']} simulations"
                ).savefig(OUT / f"sbc_{name}.png", dpi=80)
                r.ranks.join(r.simulations).to_csv(OUT / f"sbc_{name}.csv")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-sims", type=int, default=200)
    parser.add_argument("--timing-sims", type=int, default=200)
    parser.add_argument("--timing-structure", default="varying_intercept", choices=list(STRUCTURES))
    parser.add_argument(
        "--structures", nargs="*", default=list(STRUCTURES), choices=list(STRUCTURES)
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="rerun only the timing; the structures' results come from sbc_summary.json",
    )
    parser.add_argument(
        "--page-only", action="store_true", help="rewrite the section from sbc_summary.json"
    )
    parser.add_argument("--quick", action="store_true", help="8 simulations, nothing written")
    parser.add_argument("--write", action="store_true", help="write outputs even with --quick")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_sims, args.timing_sims = 8, 8
    write = args.write or not args.quick

    saved = None
    if args.timing_only or args.page_only:
        saved = json.loads((OUT / "sbc_summary.json").read_text())
        results = {n: {"summary": r} for n, r in saved["structures"].items()}
        args.n_sims, args.workers = saved["settings"]["n_sims"], saved["settings"]["workers"]
    else:
        results = run_structures(args, write)
    if args.page_only:
        times = saved["timing"]
    elif args.no_timing or args.scheduler:
        times = []
    else:
        times = timing(args.timing_structure, args.timing_sims)
    settings = {
        **SBC_OPTIONS,
        "n_sims": args.n_sims,
        "workers": args.workers,
        "timing_structure": args.timing_structure,
        "cores": os.cpu_count(),
        "machine": f"{os.cpu_count()} cores ({platform.machine()}, "
        f"Python {platform.python_version()})",
    }
    summary = {
        "settings": settings,
        "structures": {n: r["summary"] for n, r in results.items()},
        "timing": times,
    }
    print(json.dumps(summary, indent=2, default=str), flush=True)
    if write:
        (OUT / "sbc_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        write_section(section(results, times, settings))
    ok = all(r["summary"]["pass_ecdf"] and r["summary"]["pass_chi2"] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
