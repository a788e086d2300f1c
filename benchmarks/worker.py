"""One benchmark run in this (fresh) process: ``python -m benchmarks.worker '<json>'``.

The JSON names the tool, the case, the configuration and the sampler settings; the
worker prints one line ``BENCHMARK_RESULT {...}`` with the timings and the sampling
quality (see :mod:`benchmarks.competitors`). Warnings are silenced: a benchmark reports
divergences and R-hat itself. Peak memory and load average are measured by the parent.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

MARKER = "BENCHMARK_RESULT "


def main(spec: dict) -> dict:
    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.WARNING)
    from benchmarks import competitors
    from benchmarks.cases import CASES, load

    case = CASES[spec["case"]]
    start = time.perf_counter()
    data = load(case, quick=spec["quick"])
    data_s = time.perf_counter() - start
    settings = {k: spec[k] for k in ("draws", "tune", "chains", "cores", "seed")}
    tool = spec["tool"]
    if tool == "hiermodels":
        result = competitors.run_hiermodels(
            case, data, kwargs=spec["kwargs"], ablate=spec["ablate"], settings=settings
        )
    elif tool == "handwritten":
        result = competitors.run_handwritten(case, data, settings=settings)
    elif tool == "bambi":
        result = competitors.run_bambi(
            case, data, inference_method=spec["kwargs"]["inference_method"], settings=settings
        )
    else:
        raise ValueError(f"unknown tool {tool!r}; valid tools are hiermodels, handwritten, bambi")
    result["n_rows"] = len(data)
    result["data_s"] = data_s
    result["process_s"] = time.perf_counter() - _START
    return result


if __name__ == "__main__":
    outcome = main(json.loads(sys.argv[1]))
    print(MARKER + json.dumps(outcome), flush=True)
