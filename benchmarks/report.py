"""Render benchmark results as docs/performance.md and docs/performance_scaling.png.

Everything in the page is generated from ``benchmarks/results.json`` and
``benchmarks/compile_time.json``, except the commentary, which is read from
``benchmarks/performance_notes.md`` so that re-running the benchmark keeps it.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from benchmarks.cases import CASES

__all__ = ["write"]

HERE = Path(__file__).resolve().parent
NOTES = HERE / "performance_notes.md"
PLOT_NAME = "performance_scaling.png"

CACHE_MEANING = {
    "warm": "PyTensor/numba caches primed by an untimed short run of the same case and "
    "configuration",
    "cold": "empty PyTensor/numba caches for every run",
    "shared": "one persistent PyTensor/numba cache for all runs, filled by earlier runs "
    "(the `--quick` smoke test of the same cases ran first)",
}

#: The configuration shown for each tool in the "where the time goes" table.
DEFAULTS = ("hm_auto", "handwritten", "bambi", "bambi_nutpie")


def _median(rows: list[dict], field: str) -> float | None:
    values = [r[field] for r in rows if isinstance(r.get(field), int | float)]
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else None


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 10:
        return f"{value:.2f}" if value < 1 else f"{value:.1f}"
    return f"{value:.0f}"


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _rhat(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _groups(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        out.setdefault((row["case"], row["config"]), []).append(row)
    return out


def _status(rows: list[dict]) -> str:
    ok = [r for r in rows if r.get("status") == "ok"]
    if len(ok) == len(rows):
        return "ok" if len(rows) == 1 else f"ok ({len(rows)} seeds)"
    failed = [r for r in rows if r.get("status") != "ok"]
    first = failed[0]
    label = first.get("status", "?")
    text = f"{label}: {first.get('error', '')}".replace("|", "/")
    if len(rows) > 1:
        text = f"{len(ok)}/{len(rows)} ok; {text}"
    return text


def _total(row: dict) -> float | None:
    parts = [row.get(k) for k in ("import_s", "build_s", "fit_s")]
    if any(not isinstance(p, int | float) for p in parts):
        return None
    return sum(parts)


def _note(row: dict) -> str:
    notes = row.get("notes") or {}
    if row.get("tool") == "hiermodels":
        if notes.get("method") == "gibbs":
            return "Gibbs sampler: no NUTS, no parameterisation to choose"
        text = ", ".join(f"{g}: {p}" for g, p in (notes.get("parameterization") or {}).items())
        if notes.get("collapsed_factor"):
            text += f"; {notes['collapsed_factor']} integrated out"
        return text
    if row.get("tool") == "bambi":
        return CASES[row["case"]].bambi_note if row["case"] in CASES else ""
    return ""


def _case_heading(case: str, rows: list[dict]) -> str:
    spec = CASES.get(case)
    n_rows = _median(rows, "n_rows")
    size = f", {n_rows:,.0f} rows" if n_rows else ""
    formula = f" `{spec.formula}`" if spec else ""
    return f"### {case}:{formula}{size}"


def _case_table(rows_by_config: dict[str, list[dict]], configs: dict) -> list[str]:
    lines = [
        "| configuration | status | build s | compile s | sampling s | total s | min ESS bulk "
        "| min ESS tail | ESS/s | divergences | max R-hat | peak RSS MB | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = [c for c in configs if c in rows_by_config] + sorted(
        c for c in rows_by_config if c not in configs
    )
    for name in order:
        rows = rows_by_config[name]
        ok = [r for r in rows if r.get("status") == "ok"]
        for r in ok:
            r["total_s"] = _total(r)
        note = _note(ok[0]) if ok else ""
        cells = [
            f"`{name}`",
            _status(rows),
            _seconds(_median(ok, "build_s")),
            _seconds(_median(ok, "compile_s")),
            _seconds(_median(ok, "sampling_s")),
            _seconds(_median(ok, "total_s")),
            _count(_median(ok, "min_ess_bulk")),
            _count(_median(ok, "min_ess_tail")),
            _count(_median(ok, "ess_per_s")),
            _count(_median(ok, "divergences")),
            _rhat(_median(ok, "max_rhat")),
            _count(_median(rows, "peak_rss_mb")),
            note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _time_table(groups: dict[tuple[str, str], list[dict]]) -> list[str]:
    lines = [
        "| case | configuration | import s | build s | compile s | sampling s "
        "| post-processing s | total s | compile share |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (case, config), rows in groups.items():
        if config not in DEFAULTS:
            continue
        ok = [r for r in rows if r.get("status") == "ok"]
        if not ok:
            lines.append(f"| {case} | `{config}` | {_status(rows)} | | | | | | |")
            continue
        for r in ok:
            r["total_s"] = _total(r)
        total = _median(ok, "total_s")
        compile_s = _median(ok, "compile_s")
        share = f"{100 * compile_s / total:.0f}%" if total and compile_s is not None else ""
        cells = [
            case,
            f"`{config}`",
            *(
                _seconds(_median(ok, k))
                for k in ("import_s", "build_s", "compile_s", "sampling_s", "post_s", "total_s")
            ),
            share,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _scaling(groups: dict[tuple[str, str], list[dict]], docs: Path) -> list[str]:
    """Log-log plot and table of cost against N for the simulated cases."""
    points: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
    table = [
        "| configuration | J | N | status | sampling s | total s | min ESS bulk | ESS/s "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (case, config), rows in sorted(
        groups.items(),
        key=lambda kv: (kv[0][1], CASES[kv[0][0]].n_groups or 0, CASES[kv[0][0]].n_rows or 0),
    ):
        spec = CASES.get(case)
        if spec is None or not spec.simulated or spec.simulation != "slopes":
            continue
        ok = [r for r in rows if r.get("status") == "ok"]
        for r in ok:
            r["total_s"] = _total(r)
        n_rows = int(_median(rows, "n_rows") or spec.n_rows)
        sampling, total = _median(ok, "sampling_s"), _median(ok, "total_s")
        table.append(
            f"| `{config}` | {spec.n_groups:,} | {n_rows:,} | {_status(rows)} | "
            f"{_seconds(sampling)} | {_seconds(total)} | {_count(_median(ok, 'min_ess_bulk'))} "
            f"| {_count(_median(ok, 'ess_per_s'))} | {_count(_median(rows, 'peak_rss_mb'))} |"
        )
        if sampling is not None and total is not None:
            points.setdefault((config, spec.n_groups), []).append((n_rows, sampling, total))
    if not points:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True)
    for (config, n_groups), pts in sorted(points.items()):
        pts.sort()
        n = [p[0] for p in pts]
        style = "-" if n_groups == 100 else "--"
        for ax, column in zip(axes, (1, 2)):
            ax.plot(n, [p[column] for p in pts], style, marker="o", label=f"{config}, J={n_groups}")
    for ax, title in zip(axes, ("sampling seconds", "total seconds (import + build + fit)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows N")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left")
    fig.suptitle("y ~ x + (x | g), simulated: cost against N (solid J = 100, dashed J = 1,000)")
    fig.tight_layout()
    fig.savefig(docs / PLOT_NAME, dpi=110)
    plt.close(fig)
    return [f"![Cost against N]({PLOT_NAME})", "", *table]


def _compile_section(study: dict | None) -> list[str]:
    if not study or not study.get("runs"):
        return []
    from benchmarks.compile_time import VARIANTS, conclusion

    lines = [
        "## Time to first result: where compile time goes",
        "",
        f"Measured by `benchmarks/compile_time.py` on `{study.get('case', 'sleepstudy')}`. Every "
        "row is a fresh process; *cold* means empty PyTensor and numba cache folders, "
        "*warm* means the same model was compiled into those folders by an earlier process. "
        "First result = import + build + compile + sampling "
        f"({study.get('draws')} draws after {study.get('tune')} tuning steps, "
        f"{study.get('chains')} chains) + post-processing, i.e. from `python` to a table. "
        "Medians over the repeats; load average is the 1-minute mean at the start of each run.",
        "",
        "| variant | repeats | import s | build s | compile s | sampling s | first result s "
        "| load avg | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    by_variant: dict[str, list[dict]] = {}
    for row in study["runs"]:
        by_variant.setdefault(row["variant"], []).append(row)
    for name in [v for v in VARIANTS if v in by_variant]:
        rows = by_variant[name]
        ok = [r for r in rows if r.get("status") == "ok"]
        load = [r["load_start"][0] for r in rows if r.get("load_start")]
        cells = [
            f"{name}: {VARIANTS[name]['description']}",
            str(len(rows)),
            *(
                _seconds(_median(ok, k))
                for k in ("import_s", "build_s", "compile_s", "sampling_s", "first_result_s")
            ),
            f"{statistics.median(load):.1f}" if load else "",
            _status(rows),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", conclusion(study), ""]
    return lines


def _setup(results: dict) -> list[str]:
    runs = results.get("runs", [])
    m = results.get("machine", {})
    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items() if v)
    settings = sorted(
        {
            (
                r.get("draws"),
                r.get("tune"),
                r.get("chains"),
                r.get("cores"),
                r.get("cache"),
                r.get("quick"),
            )
            for r in runs
        }
    )
    loads = [
        x
        for r in runs
        for x in (r.get("load_start", [None])[0], r.get("load_end", [None])[0])
        if x is not None
    ]
    lines = [
        f"- Machine: {m.get('processor', '?')}, {m.get('cpus', '?')} CPUs, "
        f"{m.get('memory_gb', '?')} GB, {m.get('platform', '?')}; Python {m.get('python', '?')}.",
        f"- Software: {versions} (hiermodels commit {m.get('commit', '?')}).",
    ]
    for draws, tune, chains, cores, cache, quick in settings:
        lines.append(
            f"- Settings: {chains} chains x {draws} draws after {tune} tuning steps, "
            f"{cores} chains in parallel, compile cache `{cache}`: {CACHE_MEANING.get(cache, '')}"
            + (" (QUICK SMOKE TEST, not a benchmark)" if quick else "")
            + "."
        )
    if loads:
        lines.append(
            f"- Load average (1 min) at the start and end of the runs: {min(loads):.1f} to "
            f"{max(loads):.1f} on {m.get('cpus', '?')} CPUs. The machine was shared with "
            "other jobs, so seconds are noisy; ESS and R-hat are not."
        )
    return lines


def write(
    results: dict,
    configs: dict,
    docs: Path,
    *,
    compile_study: dict | None = None,
    first_result: dict | None = None,
) -> None:
    """Write ``performance.md`` (and the scaling PNG when there are simulated cases)."""
    docs.mkdir(parents=True, exist_ok=True)
    runs = results.get("runs", [])
    groups = _groups(runs)
    lines = [
        "# Performance",
        "",
        "<!-- Generated by `benchmarks/run.py` from `benchmarks/results.json`; the commentary "
        "comes from `benchmarks/performance_notes.md`. Do not edit by hand. -->",
        "",
        "hiermodels against [bambi](https://bambinos.github.io/bambi/) and a hand-written "
        "non-centred PyMC model, on the same data and sampler settings. Each run is a fresh "
        "Python process. *Compile* is the time to turn the PyMC model into the sampler's "
        "functions; *total* is import + build + the whole `fit` call. min ESS is the smallest "
        "effective sample size over every reported parameter, group effects included; ESS/s "
        "divides the min bulk ESS by the sampling seconds. Peak RSS is the resident memory of "
        "the run's process tree.",
        "",
        "Configurations:",
        "",
    ]
    used = {r["config"] for r in runs}
    for c in configs.values():
        if c.name in used:
            extra = f" `{c.kwargs}`" if c.kwargs else ""
            extra += f", ablated: {', '.join(c.ablate)}" if c.ablate else ""
            lines.append(f"- `{c.name}`: {c.description}{extra}")
    lines += ["", "## Setup", "", *_setup(results), ""]
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").strip(), ""]
    lines += ["## Results by case", ""]
    by_case: dict[str, dict[str, list[dict]]] = {}
    for (case, config), rows in groups.items():
        by_case.setdefault(case, {})[config] = rows
    for case in [c for c in CASES if c in by_case] + sorted(set(by_case) - set(CASES)):
        rows_by_config = by_case[case]
        all_rows = [r for rs in rows_by_config.values() for r in rs]
        lines += [_case_heading(case, all_rows), "", *_case_table(rows_by_config, configs), ""]
    lines += [
        "## Where the time goes",
        "",
        "Default configuration of each tool. Post-processing is everything the fit call "
        "does after sampling: for hiermodels the pointwise log-likelihood, the diagnostics "
        "and, when a factor is integrated out, the conditional draws of its effects; for "
        "bambi its clean-up of the trace. bambi does not time compilation apart from "
        "sampling: its compile column is the fit call minus PyMC's sampling time and the "
        "clean-up, so it includes PyMC's initialisation.",
        "",
        *_time_table(groups),
        "",
    ]
    scaling = _scaling(groups, docs)
    if scaling:
        lines += ["## Cost against N", "", *scaling, ""]
    from benchmarks.first_result import section

    lines += section(first_result)
    lines += _compile_section(compile_study)
    from benchmarks import distributed

    if distributed.RESULTS.exists():
        lines += distributed.section(json.loads(distributed.RESULTS.read_text()), docs)
    (docs / "performance.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
