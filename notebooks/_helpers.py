"""What the teaching notebooks share: display settings and the R-comparison tables.

Each notebook imports from here instead of copying it (``from _helpers import ...``).
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import pandas as pd

__all__ = ["label", "posterior", "r_estimates", "setup"]


def setup() -> None:
    """Figures at 110 dpi, tables at three decimals; PyTensor's no-BLAS notice silenced
    (hiermodels samples with numba, which does not use that BLAS)."""
    matplotlib.rcParams["figure.dpi"] = 110
    matplotlib.rcParams["savefig.dpi"] = 110
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    pd.set_option("display.precision", 3)
    pd.set_option("display.width", 110)


def label(kind: str, group: str, term: str) -> str:
    """One name per parameter, the same for hiermodels' tables and R's numbers."""
    term = re.sub(r"\[T\.(.*?)\]", r"[\1]", term)  # formulaic's sex[T.M] -> sex[M]
    if kind in ("fixef", "fixed"):
        return term
    if kind == "sigma" or group == "Residual":
        return "sigma"
    if kind == "sd":
        return f"sd({term} | {group})"
    first, second = term.split(":", 1)
    return f"cor({first}, {second} | {group})"


def posterior(fit) -> pd.DataFrame:
    """Posterior mean and SD of each fixed effect, group SD, correlation and sigma."""
    fixed = fit.fixed_effects()
    rows = [(label("fixed", "", term), r["mean"], r["sd"]) for term, r in fixed.iterrows()]
    rows += [
        (label(r.kind, r.group, r.term), r.mean, r.sd)
        for r in fit.variance_components().itertuples()
    ]
    return pd.DataFrame(rows, columns=["parameter", "mean", "sd"]).set_index("parameter")


def r_estimates(path, case: str, package: str | None = None) -> pd.Series:
    """R's point estimates for one case of a reference CSV, labelled like posterior()."""
    ref = pd.read_csv(path).fillna({"group": "", "term": ""})
    keep = (ref["case"] == case) & ref["kind"].isin(["fixef", "sd", "cor", "sigma"])
    if package is not None:
        keep &= ref["package"] == package
    ref = ref[keep]
    index = [label(k, g, t) for k, g, t in zip(ref["kind"], ref["group"], ref["term"])]
    return pd.Series(ref["estimate"].to_numpy(dtype=float), index=index)
