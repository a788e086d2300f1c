"""Write the agreement matrix into ``docs/validation.md``.

Fits every case of :mod:`agreement` with the settings and seed the test
``tests/test_agreement_matrix.py`` uses, compares each fixed effect and variance
component with lme4, and replaces the text between ``<!-- agreement:start -->`` and
``<!-- agreement:end -->`` in ``docs/validation.md`` with the tables. Run from the
repository root (takes several minutes; compiling each model costs 10-30 s)::

    .venv/bin/python tests/reference/agreement_table.py

Examples
--------
>>> start, end = "<!-- agreement:start -->", "<!-- agreement:end -->"
>>> replace_between_markers(f"a\\n{start}\\nold\\n{end}\\nb", "new")
'a\\n<!-- agreement:start -->\\nnew\\n<!-- agreement:end -->\\nb'
>>> format_number(0.000123456), format_number(251.405104848)
('0.0001235', '251.4')
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "validation.md"
START = "<!-- agreement:start -->"
END = "<!-- agreement:end -->"


def replace_between_markers(text: str, body: str) -> str:
    """Put ``body`` between the agreement markers of ``text`` (each marker exactly once)."""
    for marker in (START, END):
        if text.count(marker) != 1:
            raise ValueError(f"{DOC} must hold the marker {marker!r} exactly once")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{body.strip()}\n{END}{tail}"


def format_number(value: float) -> str:
    """Four significant digits, without exponent notation for ordinary magnitudes."""
    return f"{value:.4g}"


def _code(text: str) -> str:
    # mkdocs tables leave a | inside a code span alone; an escaped \| would show the backslash
    return f"`{text}`"


def matrix_table(rows: list[dict]) -> str:
    lines = [
        "| case | data set | formula | lme4 | fixed effects | components "
        "| max \\|z\\| fixed | max \\|z\\| components | max R-hat | min bulk ESS | pass |",
        "|---|---|---|---|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['dataset']} | {_code(r['formula'])} | `{r['lme4']}` "
            f"| {r['n_fixed']} | {r['n_components']} | {r['max_abs_z_fixed']:.2f} "
            f"| {r['max_abs_z_components']:.2f} | {r['max_rhat']:.3f} "
            f"| {r['min_ess_bulk']:.0f} | {'yes' if r['passed'] else '**no**'} |"
        )
    return "\n".join(lines)


def parameter_table(comparisons: pd.DataFrame) -> str:
    lines = [
        "| case | parameter | lme4 | posterior mean | posterior SD | z | tolerance |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in comparisons.itertuples():
        z = f"{r.z:+.2f}" if r.passed else f"**{r.z:+.2f}**"
        lines.append(
            f"| {r.case} | {_code(r.parameter)} | {format_number(r.lme4)} "
            f"| {format_number(r.posterior_mean)} | {format_number(r.posterior_sd)} "
            f"| {z} | {r.tolerance:g} |"
        )
    return "\n".join(lines)


def section(rows: list[dict], comparisons: pd.DataFrame) -> str:
    import agreement

    settings = agreement.SAMPLING
    cases = [r["case"] for r in rows]
    datasets = sorted({r["dataset"] for r in rows}, key=str.lower)
    fixed = comparisons[comparisons["kind"] == "fixef"]
    components = comparisons[comparisons["kind"] != "fixef"]
    worst_fixed = fixed.loc[fixed["z"].abs().idxmax()]
    worst_component = components.loc[components["z"].abs().idxmax()]
    n_passed = sum(r["passed"] for r in rows)
    packages = ", ".join(f"{p} {version(p)}" for p in ("hiermodels", "pymc", "nutpie"))
    return "\n".join(
        [
            f"{n_passed} of {len(cases)} cases pass, on {len(datasets)} data sets "
            f"({', '.join(datasets)}): {len(fixed)} fixed effects and {len(components)} "
            "variance components compared. The largest fixed-effect |z| is "
            f"{abs(worst_fixed['z']):.2f} ({worst_fixed['case']}, "
            f"`{worst_fixed['parameter']}`); the largest component |z| is "
            f"{abs(worst_component['z']):.2f} ({worst_component['case']}, "
            f"`{worst_component['parameter']}`).",
            "",
            f"Fitted with {packages}: {settings['chains']} chains x {settings['draws']} draws "
            f"after {settings['tune']} tuning steps, seed {settings['random_seed']}, default "
            "priors, parameterisation `auto` (Pastes with `target_accept=0.95`). lme4 numbers: "
            "`tests/reference/lme4_reference.csv`.",
            "",
            "### Matrix",
            "",
            matrix_table(rows),
            "",
            "### Every parameter",
            "",
            "z = (posterior mean − lme4 estimate) / posterior SD.",
            "",
            parameter_table(comparisons),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doc", type=Path, default=DOC, help="page to update")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    # compile caches inside the clone, as in the test suite (sets environment variables)
    runpy.run_path(str(ROOT / "conftest.py"))
    import agreement

    rows, comparisons = [], []
    for case in agreement.CASES:
        fit = agreement.fit_case(case)
        comparison = agreement.compare(case, fit)
        rows.append(agreement.matrix_row(case, comparison, fit))
        comparisons.append(comparison)
        print(f"{case}: {rows[-1]}", flush=True)
    body = section(rows, pd.concat(comparisons, ignore_index=True))
    args.doc.write_text(replace_between_markers(args.doc.read_text(), body))
    print(f"wrote the agreement section of {args.doc}")
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
