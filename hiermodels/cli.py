"""The ``hiermodels`` command: fit a model, compare pooling, or run the radon demo.

Every run writes a saved fit (or fits) and a self-contained ``report.html``. Bad paths,
columns, formulas or option values end with a one-line message and exit code 2, without a
traceback, and leave no output folder behind.

Examples
--------
>>> main(["fit", "no-such-file.csv", "y ~ x"])  # prints "hiermodels: no such file: ..."
2
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from hiermodels.errors import HiermodelsError
from hiermodels.version import __version__

__all__ = ["main"]

EXIT_USAGE = 2


class _UsageError(Exception):
    """A problem with the command line or the files it names."""


def _read_csv(path: str) -> pd.DataFrame:
    file = Path(path)
    if not file.is_file():
        raise _UsageError(f"no such file: {path!r}")
    try:
        return pd.read_csv(file)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise _UsageError(f"cannot read {path!r} as CSV: {err}") from None


@contextlib.contextmanager
def _out_dir(path: str) -> Iterator[Path]:
    """Create the output folder; remove the folders it made if the run then fails."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise _UsageError(f"--out {path!r} exists and is not a folder")
    created = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise _UsageError(f"cannot create the output folder {path!r}: {reason}") from None
    try:
        yield out
    except BaseException:
        for folder in created:  # deepest first; only empty folders go
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _run_fit(args) -> Path:
    import hiermodels as hm
    from hiermodels import report
    from hiermodels.report_pages import fit_sections

    data = _read_csv(args.data)
    model = hm.Model(args.formula, data, family=args.family, missing=args.missing)
    with _out_dir(args.out) as out:
        print(f"Fitting {model.formula!r} ({model.family}) on {model.design.n_obs} rows ...")
        fit = model.fit(
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            progressbar=True,
        )
        fit.save(out / "fit.zip", overwrite=True)
        path = report.write_report(
            out / "report.html", f"hiermodels: {model.formula}", fit_sections(fit)
        )
    print(f"Wrote {out / 'fit.zip'} and {path}")
    return path


def _pooling_report(comparison, out: Path, title: str) -> Path:
    from hiermodels import report
    from hiermodels.report_pages import pooling_sections

    sections = pooling_sections(comparison)
    for name, fit in comparison.fits.items():
        fit.save(out / f"fit_{name}.zip", overwrite=True)
    return report.write_report(out / "report.html", title, sections)


def _run_compare_pooling(args) -> Path:
    import hiermodels as hm

    data = _read_csv(args.data)
    with _out_dir(args.out) as out:
        print(f"Fitting complete, no and partial pooling of {args.group!r} ...")
        comparison = hm.compare_pooling(
            data,
            response=args.response,
            predictors=tuple(args.predictors),
            group=args.group,
            family=args.family,
            missing=args.missing,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            progressbar=True,
        )
        path = _pooling_report(comparison, out, f"hiermodels: pooling of {args.group}")
    print(f"Wrote {path}")
    return path


def _run_demo(args) -> Path:
    import hiermodels as hm

    radon = hm.datasets.load("radon")
    with _out_dir(args.out) as out:
        print(
            "Radon in 85 Minnesota counties (Gelman & Hill 2007): complete, no and partial "
            "pooling of log_radon ~ floor by county ..."
        )
        comparison = hm.compare_pooling(
            radon,
            response="log_radon",
            predictors=("floor",),
            group="county",
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            progressbar=True,
        )
        print(comparison.summary())
        path = _pooling_report(comparison, out, "hiermodels demo: partial pooling of radon")
    print(f"Wrote {path}")
    return path


def _count(minimum: int):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


#: Python-API wording in error messages, and what a command-line user types instead.
_CLI_WORDING = {"pass missing='drop'": "pass --missing drop"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hiermodels", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"hiermodels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def sampling(p):
        p.add_argument("--draws", type=_count(1), default=1000, help="draws per chain (1000)")
        p.add_argument("--tune", type=_count(0), default=1000, help="tuning steps per chain (1000)")
        p.add_argument("--chains", type=_count(1), default=4, help="chains (4)")
        p.add_argument("--seed", type=_count(0), default=1, help="random seed (1)")

    def missing(p):
        p.add_argument(
            "--missing",
            choices=("error", "drop"),
            default="error",
            help="rows with missing values in used columns: stop with an error (default) "
            "or drop them",
        )

    fit = sub.add_parser("fit", help="fit a formula to a CSV file and write a report")
    fit.add_argument("data", help="CSV file")
    fit.add_argument("formula", help='formula, e.g. "y ~ x + (1 | g)"')
    fit.add_argument("--family", default="gaussian")
    fit.add_argument("--out", default="hiermodels-report", help="output folder")
    missing(fit)
    sampling(fit)

    pool = sub.add_parser("compare-pooling", help="complete vs no vs partial pooling")
    pool.add_argument("data", help="CSV file")
    pool.add_argument("--response", required=True)
    pool.add_argument("--group", required=True)
    pool.add_argument("--predictors", nargs="*", default=[])
    pool.add_argument("--family", default="gaussian")
    pool.add_argument("--out", default="hiermodels-report", help="output folder")
    missing(pool)
    sampling(pool)

    demo = sub.add_parser("demo", help="the radon pooling comparison on the shipped data")
    demo.add_argument("--out", default="hiermodels-demo", help="output folder")
    sampling(demo)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line each, without the Python source line they came from."""
    text = str(message).replace("\n", "\n  ")
    print(f"hiermodels: {category.__name__}: {text}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 2 bad input)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    runners = {"fit": _run_fit, "compare-pooling": _run_compare_pooling, "demo": _run_demo}
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            # PyTensor's C backend says it found no BLAS; hiermodels samples with numba.
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            runners[args.command](args)
    except (_UsageError, HiermodelsError) as err:
        message = str(err)
        for api, cli in _CLI_WORDING.items():
            message = message.replace(api, cli)
        print(f"hiermodels: {message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
