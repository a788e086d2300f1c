"""Benchmark hiermodels against bambi and hand-written PyMC; write docs/performance.md.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.run --quick                  # smoke-test, ~tiny settings
    .venv/bin/python -m benchmarks.run --cases radon sleepstudy --configs hm_auto bambi
    .venv/bin/python -m benchmarks.run --cases 'sim_*' --seeds 5 --merge
    .venv/bin/python -m benchmarks.run --render                 # tables from results.json

Every run (one case, one configuration, one seed) is a fresh Python process, so import
and compile time are what a user pays in a new session. The child prints one JSON line;
this parent adds the wall time, the peak resident memory of the child's process tree
(polled every 0.2 s), the load average before and after, and the status: ``ok``,
``failed`` (with the last line of the error), ``timeout`` or ``out_of_memory`` (killed
above ``--max-rss-gb``). Failed runs stay in the tables.

Configurations are dicts of ``hm.Model`` / ``Model.fit`` keyword arguments (split by
signature in the child). The marginal configurations appear only when ``Model.fit``
accepts ``method``. ``ablate`` switches a hiermodels technique off by replacing the
backend function that applies it (see :mod:`benchmarks.competitors`).

bambi runs with the interpreter of ``benchmarks/.venv-bambi`` (made by
``benchmarks/setup_bambi_venv.py``): bambi 0.21 and its formula parser on top of the
project's own PyMC, so every tool uses the same PyMC, PyTensor, nutpie and numba.

Compile caches: ``--cache warm`` (default) keeps PyTensor's and numba's caches in
``benchmarks/.cache/warm`` and primes them with an untimed short run of the same case and
configuration, so the timed run sees what a user re-running a notebook sees; ``cold``
gives every run an empty cache (a first fit on a fresh machine); ``shared`` keeps the
persistent cache without priming.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cases import CASES, select_cases

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
RESULTS = HERE / "results.json"
BAMBI_PYTHON = HERE / ".venv-bambi" / "bin" / "python"
CACHE_ROOT = HERE / ".cache"
MARKER = "BENCHMARK_RESULT "


@dataclass(frozen=True)
class Config:
    """One way of fitting a case: a tool and its keyword arguments."""

    name: str
    tool: str
    description: str
    kwargs: dict = field(default_factory=dict)
    ablate: tuple[str, ...] = ()


def fit_accepts_method() -> bool:
    """Whether this hiermodels' ``Model.fit`` takes ``method`` (the marginal likelihood)."""
    from hiermodels.model import Model

    return "method" in inspect.signature(Model.fit).parameters


def make_configs(method: bool) -> dict[str, Config]:
    """Every configuration; with ``method`` the marginal ones and ``method="full"`` pins."""
    full = {"method": "full"} if method else {}
    configs = [
        Config("hm_auto", "hiermodels", "hiermodels defaults: every technique on"),
    ]
    if method:
        configs += [
            Config(
                "hm_full",
                "hiermodels",
                "group effects sampled (method='full'), parameterisation auto",
                {"method": "full"},
            ),
            Config(
                "hm_marginal",
                "hiermodels",
                "one factor's effects integrated out (method='marginal')",
                {"method": "marginal"},
            ),
            Config(
                "hm_gibbs",
                "hiermodels",
                "Gibbs sampler for varying intercepts (method='gibbs'), no NUTS",
                {"method": "gibbs"},
            ),
        ]
    configs += [
        Config(
            "hm_non_centered",
            "hiermodels",
            "every factor non-centred",
            {"parameterization": "non_centered", **full},
        ),
        Config(
            "hm_centered",
            "hiermodels",
            "every factor centred",
            {"parameterization": "centered", **full},
        ),
        Config("hm_no_shear", "hiermodels", "shear off", dict(full), ("shear",)),
        Config("hm_no_sum_zero", "hiermodels", "sum-zero split off", dict(full), ("sum_zero",)),
        Config(
            "hm_plain",
            "hiermodels",
            "every technique off: non-centred, no shear, no sum-zero split",
            {"parameterization": "non_centered", **full},
            ("shear", "sum_zero"),
        ),
        Config("handwritten", "handwritten", "hand-written non-centred PyMC, nutpie (numba)"),
        Config(
            "bambi",
            "bambi",
            "bambi 0.21, default sampler (PyMC NUTS)",
            {"inference_method": "pymc"},
        ),
        Config(
            "bambi_nutpie",
            "bambi",
            "bambi 0.21, inference_method='nutpie'",
            {"inference_method": "nutpie"},
        ),
    ]
    return {c.name: c for c in configs}


# --- one run --------------------------------------------------------------------------------


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _cache_env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache_dir / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_process(
    interpreter: Path, spec: dict, *, env: dict, timeout: float, max_rss_gb: float
) -> dict:
    """Run the worker; return its result plus status, wall time, peak RSS and load."""
    load_start = os.getloadavg()
    start = time.perf_counter()
    child = subprocess.Popen(
        [str(interpreter), "-m", "benchmarks.worker", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    process = psutil.Process(child.pid)
    peak = 0
    status = None
    # Drain the pipes in threads so a chatty child cannot block on a full pipe.
    import threading

    chunks: dict[str, list[str]] = {"out": [], "err": []}
    readers = [
        threading.Thread(target=lambda s=child.stdout, k="out": chunks[k].append(s.read())),
        threading.Thread(target=lambda s=child.stderr, k="err": chunks[k].append(s.read())),
    ]
    for reader in readers:
        reader.start()
    while child.poll() is None:
        try:
            peak = max(peak, _tree_rss(process))
        except psutil.NoSuchProcess:
            break
        if time.perf_counter() - start > timeout:
            status = "timeout"
        elif peak > max_rss_gb * 2**30:
            status = "out_of_memory"
        if status:
            os.killpg(child.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    child.wait()
    for reader in readers:
        reader.join()
    wall = time.perf_counter() - start
    stdout, stderr = "".join(chunks["out"]), "".join(chunks["err"])
    row: dict = {
        "wall_s": wall,
        "peak_rss_mb": peak / 2**20,
        "load_start": list(load_start),
        "load_end": list(os.getloadavg()),
    }
    lines = [ln for ln in stdout.splitlines() if ln.startswith(MARKER)]
    if status is None and child.returncode == 0 and lines:
        row.update(json.loads(lines[-1][len(MARKER) :]))
        row["status"] = "ok"
        bulk, sampling = row.get("min_ess_bulk"), row.get("sampling_s")
        if bulk is not None and sampling and sampling > 0:
            row["ess_per_s"] = bulk / sampling
        return row
    if status is None:
        status = "failed"
        errors = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        row["error"] = errors[-1][:300] if errors else f"exit code {child.returncode}"
    elif status == "timeout":
        row["error"] = f"no result within {timeout:.0f} s"
    else:
        row["error"] = f"killed above {max_rss_gb:g} GB resident memory"
    row["status"] = status
    return row


#: (case, configuration) pairs whose warm cache this invocation has primed already.
_PRIMED: set[tuple[str, str]] = set()


def run_config(case: str, config: Config, seed: int, args) -> dict:
    """One timed run (under ``--cache warm``, after an untimed priming run the first time
    this invocation meets the case and configuration)."""
    base = {
        "tool": config.tool,
        "case": case,
        "kwargs": config.kwargs,
        "ablate": list(config.ablate),
        "quick": args.quick,
        "cores": args.cores,
    }
    spec = {**base, "draws": args.draws, "tune": args.tune, "chains": args.chains, "seed": seed}
    row = {
        "case": case,
        "config": config.name,
        "tool": config.tool,
        "seed": seed,
        "kwargs": config.kwargs,
        "ablate": list(config.ablate),
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "cores": args.cores,
        "quick": args.quick,
        "cache": args.cache,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    interpreter = Path(sys.executable)
    if config.tool == "bambi":
        if not BAMBI_PYTHON.exists():
            return {
                **row,
                "status": "skipped",
                "error": "no bambi interpreter: run benchmarks/setup_bambi_venv.py",
            }
        interpreter = BAMBI_PYTHON
    CACHE_ROOT.mkdir(exist_ok=True)
    if args.cache == "cold":
        cache_dir = Path(tempfile.mkdtemp(prefix="cold-", dir=CACHE_ROOT))
    else:
        cache_dir = CACHE_ROOT / args.cache
    env = _cache_env(cache_dir)
    try:
        if args.cache == "warm" and (case, config.name) not in _PRIMED:
            prime = {**base, "draws": 10, "tune": 10, "chains": 1, "seed": seed}
            primed = run_process(
                interpreter, prime, env=env, timeout=args.timeout, max_rss_gb=args.max_rss_gb
            )
            row["prime_wall_s"] = primed["wall_s"]
            _PRIMED.add((case, config.name))
        row.update(
            run_process(
                interpreter, spec, env=env, timeout=args.timeout, max_rss_gb=args.max_rss_gb
            )
        )
    finally:
        if args.cache == "cold":
            shutil.rmtree(cache_dir, ignore_errors=True)
    return row


# --- results --------------------------------------------------------------------------------


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _bambi_version() -> str | None:
    if not BAMBI_PYTHON.exists():
        return None
    out = subprocess.run(
        [str(BAMBI_PYTHON), "-c", "import importlib.metadata as m; print(m.version('bambi'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None


def machine() -> dict:
    """What the numbers were measured on."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "commit": commit,
        "versions": {
            p: _version(p)
            for p in ("hiermodels", "pymc", "pytensor", "nutpie", "numba", "arviz-stats", "jax")
        }
        | {"bambi": _bambi_version()},
    }


def key(row: dict) -> tuple:
    return (row["case"], row["config"], row["seed"])


def load_results(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"machine": {}, "runs": []}


def save_results(path: Path, results: dict) -> None:
    path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")


# --- command line ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        default=["*"],
        help=f"case names or globs (default: all): {', '.join(CASES)}",
    )
    parser.add_argument(
        "--configs", nargs="+", default=None, help="configuration names (default: all; see --list)"
    )
    parser.add_argument("--seeds", type=int, default=1, help="seeds 1..N per case and config")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument(
        "--cores",
        type=int,
        default=os.cpu_count() or 1,
        help="chains run in parallel (default: the CPU count)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        default=12.0,
        help="kill a run whose process tree holds more memory",
    )
    parser.add_argument("--cache", choices=["warm", "cold", "shared"], default="warm")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 30 draws, 30 tuning steps, 2 chains, small data; "
        "results go to a scratch folder, not to docs/",
    )
    parser.add_argument(
        "--merge", action="store_true", help="replace only the rows measured now; keep the others"
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only render docs/performance.md from the results file",
    )
    parser.add_argument("--results", type=Path, default=None, help="results file")
    parser.add_argument("--docs", type=Path, default=None, help="folder for the markdown and PNG")
    parser.add_argument("--list", action="store_true", help="list cases and configurations")
    args = parser.parse_args(argv)
    if args.quick:
        args.draws, args.tune, args.chains = 30, 30, 2
        scratch = Path(tempfile.gettempdir()) / "hiermodels-benchmarks-quick"
        scratch.mkdir(exist_ok=True)
        args.results = args.results or scratch / "results.json"
        args.docs = args.docs or scratch
    args.results = args.results or RESULTS
    args.docs = args.docs or ROOT / "docs"
    return args


def main(argv=None) -> None:
    from benchmarks import report

    args = parse_args(argv)
    configs = make_configs(fit_accepts_method())
    if args.list:
        print("cases:", ", ".join(CASES))
        for c in configs.values():
            print(f"{c.name:16s} {c.description}  kwargs={c.kwargs} ablate={list(c.ablate)}")
        return
    results = load_results(args.results)
    if not args.render:
        cases = select_cases(args.cases)
        names = args.configs or list(configs)
        unknown = [n for n in names if n not in configs]
        if unknown:
            raise SystemExit(f"Unknown config(s) {unknown}; valid configs are {list(configs)}.")
        runs = results["runs"] if args.merge else []
        results = {"machine": machine(), "runs": runs}
        for case in cases:
            for name in names:
                for seed in range(1, args.seeds + 1):
                    row = run_config(case, configs[name], seed, args)
                    results["runs"] = [r for r in results["runs"] if key(r) != key(row)]
                    results["runs"].append(row)
                    save_results(args.results, results)
                    brief = {
                        k: row.get(k)
                        for k in (
                            "case",
                            "config",
                            "seed",
                            "status",
                            "compile_s",
                            "sampling_s",
                            "min_ess_bulk",
                            "divergences",
                            "max_rhat",
                            "peak_rss_mb",
                            "error",
                        )
                    }
                    print(json.dumps(brief), flush=True)
    compile_study = load_results(HERE / "compile_time.json") if not args.quick else None
    first = load_results(HERE / "first_result.json") if not args.quick else None
    report.write(results, configs, args.docs, compile_study=compile_study, first_result=first)
    print(f"wrote {args.results} and {args.docs / 'performance.md'}")


if __name__ == "__main__":
    main()
