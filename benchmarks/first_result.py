"""Time to first result (issue 18, acceptance 1): four models fitted in a fresh process.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.first_result [--repeats 1] [--warm-runs 5]
        [--variants hiermodels pymc bambi]

Each run starts a fresh Python process that imports the library, then builds and fits
(4 chains x 1000 draws after 1000 tuning steps, seed 1) in this order:

1. sleepstudy ``Reaction ~ Days + (Days | Subject)``
2. radon ``log_radon ~ floor + (1 | county)``
3. Hsb82 ``mAch ~ cses + (1 + cses | school)``
4. a Bernoulli GLMM: cbpp with each herd-period's ``size`` animals as 0/1 rows
   (``incidence`` of them 1), ``y ~ period + (1 | herd)``

first with empty PyTensor/numba cache folders (*cold*), then again in a new process with
the folders the cold run filled (*warm*). Per model it records the seconds from the
process start to the model's result (the first includes ``import``) and the model's own
seconds (build + compile + sample). Variants:

- ``hiermodels``: ``hm.Model(formula, data, family=...).fit(...)`` with its defaults.
- ``pymc``: the brms-style hand-written PyMC models of :mod:`benchmarks.handwritten`
  (and a hand-written Bernoulli model), compiled and sampled by nutpie (numba).
- ``bambi``: ``bmb.Model(formula, data, family=...).fit(..., inference_method="nutpie")``
  in ``benchmarks/.venv-bambi`` (made by ``benchmarks/setup_bambi_venv.py``, over the
  project's own PyMC); it runs by default when that venv exists.

Results go to ``benchmarks/first_result.json``; the machine's load averages are stored
with every run, since the wall times depend on them.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "first_result.json"
MARKER = "FIRST_RESULT "
MODELS = [
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian"),
    ("radon", "log_radon ~ floor + (1 | county)", "gaussian"),
    ("Hsb82", "mAch ~ cses + (1 + cses | school)", "gaussian"),
    ("cbpp_bernoulli", "y ~ period + (1 | herd)", "bernoulli"),
]
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4}
#: bambi runs in its own venv over the project's PyMC (benchmarks/setup_bambi_venv.py).
BAMBI_PYTHON = HERE / ".venv-bambi" / "bin" / "python"


def _data(name: str):
    import numpy as np
    import pandas as pd

    import hiermodels as hm

    if name != "cbpp_bernoulli":
        return hm.datasets.load(name)
    cbpp = hm.datasets.load("cbpp")
    rows = []
    for _, r in cbpp.iterrows():
        ones = int(r["incidence"])
        for k in range(int(r["size"])):
            rows.append({"herd": r["herd"], "period": r["period"], "y": int(k < ones)})
    out = pd.DataFrame(rows)
    out["herd"] = out["herd"].astype(str)
    out["period"] = out["period"].astype(str)
    assert out["y"].sum() == cbpp["incidence"].sum() and np.isin(out["y"], [0, 1]).all()
    return out


def _handwritten(name: str, formula: str, data):
    """The hand-written PyMC model (benchmarks.handwritten for the gaussian ones)."""
    import numpy as np
    import pymc as pm

    from benchmarks.cases import CASES, Case, group_codes
    from benchmarks.handwritten import build_model

    if name == "cbpp_bernoulli":
        codes, levels = group_codes(data, "herd")
        X = (data["period"].to_numpy()[:, None] == np.array(["2", "3", "4"])).astype(float)
        with pm.Model(coords={"herd": levels, "fixed": ["p2", "p3", "p4"]}) as model:
            intercept = pm.Normal("Intercept", 0.0, 2.5)
            b = pm.Normal("b", 0.0, 2.5, dims="fixed")
            sd = pm.HalfNormal("sd_herd", 1.0)
            z = pm.Normal("z_herd", 0.0, 1.0, dims="herd")
            eta = intercept + pm.Data("X", X) @ b + (z * sd)[pm.Data("idx", codes)]
            pm.Bernoulli("y", logit_p=eta, observed=data["y"].to_numpy())
        return model
    if name == "Hsb82":
        case = Case(
            "hsb82_correlated",
            formula,
            formula,
            "correlated_slopes",
            "mAch",
            ("cses",),
            ("school",),
            slope="cses",
            dataset="Hsb82",
        )
    else:
        case = CASES[name]
    return build_model(case, data)


def _worker(variant: str) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.WARNING)
    if variant == "bambi":  # the bambi venv (benchmarks/setup_bambi_venv.py)
        import bambi as bmb
    else:
        import hiermodels as hm
    if variant == "pymc":
        import nutpie
    out: dict = {"import_s": time.perf_counter() - _START, "models": {}}
    for name, formula, family in MODELS:
        start = time.perf_counter()
        data = _data(name)
        if variant == "hiermodels":
            fit = hm.Model(formula, data, family=family).fit(
                **SETTINGS, random_seed=1, progressbar=False
            )
            attrs = fit.idata.attrs
            extra = {"compile_s": attrs.get("seconds_compile"), "method": attrs.get("method")}
        elif variant == "bambi":
            bmb.Model(formula, data, family=family).fit(
                **SETTINGS, inference_method="nutpie", random_seed=1
            )
            extra = {}
        else:
            model = _handwritten(name, formula, data)
            t = time.perf_counter()
            compiled = nutpie.compile_pymc_model(model)
            compile_s = time.perf_counter() - t
            nutpie.sample(compiled, **SETTINGS, seed=1, progress_bar=False)
            extra = {"compile_s": compile_s}
        end = time.perf_counter()
        out["models"][name] = {"own_s": end - start, "since_start_s": end - _START, **extra}
    return out


def _run(variant: str, cache: Path, timeout: float) -> dict:
    import subprocess

    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env["PYTHONPATH"] = str(ROOT)
    # A user's Python keeps the bytecode of imported modules; this sandbox's environment
    # switches that off, which would add every module's compile to each import.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    row = {"variant": variant, "load_start": list(os.getloadavg())}
    python = str(BAMBI_PYTHON) if variant == "bambi" else sys.executable
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, "-m", "benchmarks.first_result", "--worker", variant],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {**row, "status": "timeout"}
    row["wall_s"] = time.perf_counter() - started
    row["load_end"] = list(os.getloadavg())
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
    if proc.returncode == 0 and lines:
        return {**row, **json.loads(lines[-1][len(MARKER) :]), "status": "ok"}
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return {**row, "status": "failed", "error": errors[-1][:300] if errors else "no output"}


def summary(runs: list[dict]) -> dict:
    """Medians per variant and cache: the first model since the process start, and each
    later model's own seconds."""
    out: dict = {}
    for row in runs:
        if row.get("status") != "ok":
            continue
        key = f"{row['variant']} {row['cache']}"
        for i, (name, _, _) in enumerate(MODELS):
            m = row["models"][name]
            value = m["since_start_s"] if i == 0 else m["own_s"]
            out.setdefault(key, {}).setdefault(name, []).append(value)
    return {
        key: {name: {"median_s": statistics.median(v), "runs": len(v)} for name, v in d.items()}
        for key, d in out.items()
    }


TARGETS = "warm <= 3 s per model; cold <= 25 s for the first model, <= 5 s for later ones"


def section(study: dict | None) -> list[str]:
    """The docs/performance.md section of a results file (medians per variant and cache)."""
    if not study or not study.get("summary"):
        return []
    names = [name for name, _, _ in MODELS]
    lines = [
        "## Time to first result: four models in a fresh process",
        "",
        "Measured by `benchmarks/first_result.py`: a fresh Python process imports the "
        "library, then builds and fits (4 chains x 1000 draws after 1000 tuning steps) "
        + ", ".join(f"{n} `{f}`" for n, f, _ in MODELS)
        + ". *cold*: empty PyTensor/numba cache folders; *warm*: a new process on the "
        "folders that the cold process filled. The first model's seconds count from the "
        "process start (import included); each later model's are its own (build, compile, "
        f"sample). Medians over the runs. Targets of issue #18: {TARGETS}. "
        f"{study.get('bambi', '')}.",
        "",
        "| variant, cache | runs | " + " | ".join(f"{n} s" for n in names) + " | load avg |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    loads: dict[str, list[float]] = {}
    for row in study.get("runs", []):
        if row.get("load_start"):
            loads.setdefault(f"{row['variant']} {row['cache']}", []).append(row["load_start"][0])
    for key, models in study["summary"].items():
        runs = max(m["runs"] for m in models.values())
        cells = [f"{models[n]['median_s']:.1f}" if n in models else "" for n in names]
        load = loads.get(key, [])
        avg = f"{statistics.median(load):.1f}" if load else ""
        lines.append(f"| {key} | {runs} | " + " | ".join(cells) + f" | {avg} |")
    return [*lines, ""]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    default = ["hiermodels", "pymc"] + (["bambi"] if BAMBI_PYTHON.exists() else [])
    parser.add_argument("--variants", nargs="+", default=default)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--warm-runs",
        type=int,
        default=1,
        help="warm processes after each cold one (the same cache folder)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.worker:
        print(MARKER + json.dumps(_worker(args.worker)), flush=True)
        return
    bambi_note = (
        "bambi 0.21 (inference_method='nutpie') runs in benchmarks/.venv-bambi"
        if "bambi" in args.variants
        else "bambi was not run (make benchmarks/.venv-bambi with setup_bambi_venv.py)"
    )
    runs = []
    for repeat in range(args.repeats):
        for variant in args.variants:
            with tempfile.TemporaryDirectory(prefix="hm-first-") as folder:
                for cache in ("cold", *["warm"] * args.warm_runs):
                    row = _run(variant, Path(folder), args.timeout)
                    runs.append({**row, "cache": cache, "repeat": repeat})
                    print(json.dumps(runs[-1]), flush=True)
            result = {"settings": SETTINGS, "bambi": bambi_note, "runs": runs}
            result["summary"] = summary(runs)
            args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
