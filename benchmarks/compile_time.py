"""Time to first result on a small model: where build and compile time go, per backend.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.compile_time [--repeats 2] [--variants ...]

On sleepstudy ``Reaction ~ Days + (Days | Subject)`` every variant runs in a fresh
process, first with empty PyTensor/numba (and JAX) cache folders (*cold*), then again
with the folders the cold run filled (*warm*). Variants:

- ``hm_fit``: hiermodels end to end, ``hm.Model(...).fit()`` with its defaults (nutpie,
  numba backend, the marginal method when the installed hiermodels has it).
- ``hm_fit_pymc``: the same with ``fit(sampler="pymc")``: PyMC's own NUTS (numba).
- ``nutpie_numba``: ``nutpie.compile_pymc_model(model.pymc_model)`` (numba backend), then
  ``nutpie.sample``; the PyMC model is the one hiermodels builds, every effect sampled.
- ``nutpie_frozen``: the same with ``freeze_model=True`` (data and dims become
  compile-time constants).
- ``nutpie_jax``: the same with ``backend="jax", gradient_backend="jax"``; *warm* uses
  JAX's persistent compilation cache.
- ``pymc_numba`` / ``pymc_c``: PyMC's own NUTS, ``pm.sample(backend="numba" | "c")``.
  PyMC does not report compile time; it is the call minus PyMC's own sampling time.

Results go to ``benchmarks/compile_time.json``; ``benchmarks/run.py --render`` puts them
in docs/performance.md.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "compile_time.json"
MARKER = "COMPILE_RESULT "
CASE = "sleepstudy"
FORMULA = "Reaction ~ Days + (Days | Subject)"

VARIANTS: dict[str, dict] = {
    "hm_fit cold": {
        "kind": "hm_fit",
        "cache": "cold",
        "description": "hm.Model(...).fit() defaults (nutpie, numba), empty caches",
    },
    "hm_fit warm": {
        "kind": "hm_fit",
        "cache": "warm",
        "description": "the same, caches filled by an earlier process",
    },
    "hm_fit_pymc cold": {
        "kind": "hm_fit_pymc",
        "cache": "cold",
        "description": "hm.Model(...).fit(sampler='pymc'): PyMC's NUTS, numba, empty caches",
    },
    "hm_fit_pymc warm": {
        "kind": "hm_fit_pymc",
        "cache": "warm",
        "description": "the same, warm caches",
    },
    "nutpie_numba cold": {
        "kind": "nutpie_numba",
        "cache": "cold",
        "description": "nutpie, numba backend, empty caches",
    },
    "nutpie_numba warm": {
        "kind": "nutpie_numba",
        "cache": "warm",
        "description": "nutpie, numba backend, warm caches",
    },
    "nutpie_frozen cold": {
        "kind": "nutpie_frozen",
        "cache": "cold",
        "description": "nutpie, numba, freeze_model=True (data as constants), empty caches",
    },
    "nutpie_frozen warm": {
        "kind": "nutpie_frozen",
        "cache": "warm",
        "description": "the same, warm caches",
    },
    "nutpie_jax cold": {
        "kind": "nutpie_jax",
        "cache": "cold",
        "description": "nutpie, jax backend and jax gradients, empty caches",
    },
    "nutpie_jax warm": {
        "kind": "nutpie_jax",
        "cache": "warm",
        "description": "the same with JAX's persistent compilation cache",
    },
    "pymc_numba cold": {
        "kind": "pymc_numba",
        "cache": "cold",
        "description": "PyMC's NUTS, numba backend, empty caches",
    },
    "pymc_numba warm": {
        "kind": "pymc_numba",
        "cache": "warm",
        "description": "PyMC's NUTS, numba backend, warm caches",
    },
    "pymc_c cold": {
        "kind": "pymc_c",
        "cache": "cold",
        "description": "PyMC's NUTS, C backend, empty caches",
    },
    "pymc_c warm": {
        "kind": "pymc_c",
        "cache": "warm",
        "description": "PyMC's NUTS, C backend, warm caches",
    },
}


# --- worker (runs in the fresh process) ----------------------------------------------------


def _worker(spec: dict) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.WARNING)
    kind = spec["kind"]
    settings = {k: spec[k] for k in ("draws", "tune", "chains")}
    out: dict = {}
    start = time.perf_counter()
    import hiermodels as hm
    import hiermodels.model

    if kind.startswith("nutpie") or kind == "hm_fit":
        import nutpie
    if kind == "nutpie_jax":
        import jax  # noqa: F401
    import pymc as pm

    out["import_s"] = time.perf_counter() - start
    data = hm.datasets.load(CASE)
    start = time.perf_counter()
    model = hm.Model(FORMULA, data)
    out["build_s"] = time.perf_counter() - start
    if kind in ("hm_fit", "hm_fit_pymc"):
        sampler = "pymc" if kind == "hm_fit_pymc" else "nutpie"
        start = time.perf_counter()
        fit = model.fit(
            **settings, cores=spec["cores"], sampler=sampler, random_seed=1, progressbar=False
        )
        out["fit_s"] = time.perf_counter() - start
        attrs = fit.idata.attrs
        if sampler == "nutpie":
            out["compile_s"] = attrs["seconds_compile"]
            out["sampling_s"] = attrs["seconds_sampling"]
        else:
            sampling = fit.idata["posterior"].attrs.get("sampling_time")
            out["sampling_s"] = float(sampling) if sampling is not None else float("nan")
            out["compile_s"] = attrs["seconds_compile+sampling"] - out["sampling_s"]
        out["method"] = attrs.get("method", "full")
    elif kind.startswith("nutpie"):
        options = {
            "nutpie_numba": {},
            "nutpie_frozen": {"freeze_model": True},
            "nutpie_jax": {"backend": "jax", "gradient_backend": "jax"},
        }[kind]
        start = time.perf_counter()
        compiled = nutpie.compile_pymc_model(model.pymc_model, **options)
        out["compile_s"] = time.perf_counter() - start
        start = time.perf_counter()
        nutpie.sample(compiled, **settings, cores=spec["cores"], seed=1, progress_bar=False)
        out["sampling_s"] = time.perf_counter() - start
    else:
        backend = "numba" if kind == "pymc_numba" else "c"
        start = time.perf_counter()
        tree = pm.sample(
            **settings,
            cores=min(spec["cores"], settings["chains"]),
            random_seed=1,
            progressbar=False,
            model=model.pymc_model,
            backend=backend,
            compute_convergence_checks=False,
        )
        call = time.perf_counter() - start
        sampling = tree["posterior"].attrs.get("sampling_time")
        out["sampling_s"] = float(sampling) if sampling is not None else float("nan")
        out["compile_s"] = call - out["sampling_s"]
    out["first_result_s"] = time.perf_counter() - _START
    return out


# --- parent -----------------------------------------------------------------------------


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env["JAX_COMPILATION_CACHE_DIR"] = str(cache / "jax")
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(spec: dict, cache: Path, timeout: float) -> dict:
    import subprocess

    row = {"load_start": list(os.getloadavg())}
    started = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.compile_time", "--worker", json.dumps(spec)],
            cwd=ROOT,
            env=_env(cache),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {**row, "status": "timeout", "error": f"no result within {timeout:.0f} s"}
    row["wall_s"] = time.perf_counter() - started
    row["load_end"] = list(os.getloadavg())
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(MARKER)]
    if out.returncode == 0 and lines:
        return {**row, **json.loads(lines[-1][len(MARKER) :]), "status": "ok"}
    errors = [ln for ln in out.stderr.splitlines() if ln.strip()]
    return {
        **row,
        "status": "failed",
        "error": errors[-1][:300] if errors else f"exit code {out.returncode}",
    }


def conclusion(study: dict) -> str:
    """One paragraph: the fastest time to first result and how it compares to the default."""
    medians = {}
    for name in VARIANTS:
        values = [
            r["first_result_s"]
            for r in study["runs"]
            if r["variant"] == name and r.get("status") == "ok"
        ]
        if values:
            medians[name] = statistics.median(values)
    if not medians:
        return "No variant finished."
    best = min(medians, key=medians.get)
    parts = [f"Fastest time to first result: **{best}**, {medians[best]:.0f} s."]
    for default in ("hm_fit cold", "hm_fit warm"):
        if default in medians and default != best:
            gap = medians[default] - medians[best]
            parts.append(
                f"The current default ({default}) takes {medians[default]:.0f} s, "
                f"{gap:.0f} s ({medians[default] / medians[best]:.1f}x) longer."
            )
    pairs = [
        ("hm_fit", "hm_fit_pymc"),
        ("nutpie_numba", "nutpie_jax"),
        ("nutpie_numba", "nutpie_frozen"),
        ("pymc_numba", "pymc_c"),
    ]
    for cache in ("cold", "warm"):
        for a, b in pairs:
            x, y = medians.get(f"{a} {cache}"), medians.get(f"{b} {cache}")
            if x and y:
                faster, slower = (a, b) if x < y else (b, a)
                parts.append(
                    f"{cache.capitalize()}: {faster} {min(x, y):.0f} s against {slower} "
                    f"{max(x, y):.0f} s."
                )
    return " ".join(parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--variants",
        nargs="+",
        default=None,
        help="kinds to run: hm_fit nutpie_numba nutpie_jax pymc_numba pymc_c",
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--merge", action="store_true", help="keep rows of other variants")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.worker:
        print(MARKER + json.dumps(_worker(json.loads(args.worker))), flush=True)
        return
    kinds = args.variants or sorted(
        {v["kind"] for v in VARIANTS.values()}, key=[v["kind"] for v in VARIANTS.values()].index
    )
    study = {
        "case": f"{CASE} `{FORMULA}`",
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "cores": args.cores,
        "runs": [],
    }
    if args.merge and args.out.exists():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        study["runs"] = [r for r in previous["runs"] if r["kind"] not in kinds]
    (HERE / ".cache").mkdir(exist_ok=True)
    for repeat in range(1, args.repeats + 1):
        for kind in kinds:
            cache = Path(tempfile.mkdtemp(prefix=f"compile-{kind}-", dir=HERE / ".cache"))
            try:
                for temperature in ("cold", "warm"):
                    spec = {
                        "kind": kind,
                        "draws": args.draws,
                        "tune": args.tune,
                        "chains": args.chains,
                        "cores": args.cores,
                    }
                    if temperature == "warm" and study["runs"][-1].get("status") == "timeout":
                        # The cold run left no complete cache; a warm run would time out too.
                        row = {"status": "skipped", "error": "the cold run timed out"}
                    else:
                        row = _run(spec, cache, args.timeout)
                    row.update({"variant": f"{kind} {temperature}", "kind": kind, "repeat": repeat})
                    study["runs"].append(row)
                    args.out.write_text(json.dumps(study, indent=1) + "\n", encoding="utf-8")
                    print(
                        json.dumps(
                            {
                                k: row.get(k)
                                for k in (
                                    "variant",
                                    "repeat",
                                    "status",
                                    "import_s",
                                    "build_s",
                                    "compile_s",
                                    "sampling_s",
                                    "first_result_s",
                                    "load_start",
                                    "error",
                                )
                            }
                        ),
                        flush=True,
                    )
            finally:
                shutil.rmtree(cache, ignore_errors=True)
    print(conclusion(study))


if __name__ == "__main__":
    main()
