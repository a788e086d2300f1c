"""The printable summary of a pooling study: LOO table and shrinkage in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PoolingSummary"]


def _share_between(estimates: pd.DataFrame, target: str) -> float:
    """Share of levels whose partial estimate lies between ``none`` and ``target``."""
    low = np.minimum(estimates["none"], estimates[target])
    high = np.maximum(estimates["none"], estimates[target])
    return float(((estimates["partial"] >= low) & (estimates["partial"] <= high)).mean())


class PoolingSummary:
    """Printable summary of a :class:`PoolingComparison`: LOO table and shrinkage."""

    def __init__(self, comparison: PoolingComparison):  # noqa: F821 - a string: no cycle
        self.comparison = comparison
        self.loo_table = comparison.loo_table()
        self.estimates = comparison.estimates()
        est = self.estimates
        gap = (est["none"] - est["partial"]).abs()
        #: Correlation of log(n) with |none - partial|; NaN when every level has the
        #: same size (or the gaps are all equal), where it is undefined.
        self.correlation = _correlation(np.log(est["n"].to_numpy(dtype=float)), gap.to_numpy())
        #: Share of levels whose partial estimate lies between their own (no-pooling)
        #: estimate and the population mean, which partial pooling shrinks toward.
        self.between_population = _share_between(est, "population")

    def __str__(self) -> str:
        c = self.comparison
        partial = c.fits["partial"]
        g = partial.design.group(c.group)
        lines = [
            f"Pooling comparison of {c.group!r}: {g.n_levels} levels, {partial.design.n_obs} rows",
            *(f"  {name:<9}{formula}" for name, formula in c.formulas.as_dict().items()),
            "",
            "PSIS-LOO, best first:",
        ]
        cols = ["elpd", "se", "elpd_diff", "dse", "p", "weight", "diag_elpd"]
        table = self.loo_table[cols].copy()
        lines += [
            "  " + row
            for row in table.to_string(
                float_format=lambda v: f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
            ).splitlines()
        ]
        if self.loo_table["pareto_k_warning"].any():
            bad = list(self.loo_table.index[self.loo_table["pareto_k_warning"]])
            lines.append(f"  PSIS-LOO is unreliable for {bad} (high Pareto k): see fit.kfold().")
        est = self.estimates
        sizes = pd.cut(
            est["n"], [0, 2, 5, 10, 25, np.inf], labels=["1-2", "3-5", "6-10", "11-25", ">25"]
        )
        median = est.groupby(sizes, observed=True)["shrinkage"].median()
        lines += [
            "",
            f"Shrinkage of the {c.group} intercepts toward the population mean "
            f"{est['population'].iloc[0]:.3g}",
            "(0 = the level's own estimate, 1 = the population mean; Var(u_j) / E(tau^2)):",
            "  median by group size: " + ", ".join(f"n {k}: {v:.2f}" for k, v in median.items()),
            f"  correlation of log(n) with |none - partial|: {self._correlation_text()}",
            f"  partial estimate between its own and the population mean: "
            f"{self.between_population:.1%} of levels",
        ]
        vc = partial.variance_components()
        sd = vc[vc["kind"] == "sd"]
        lines.append(
            "  partial-pooling SDs: "
            + ", ".join(
                f"{r.group}{'/' + r.term if r.term and r.term != 'Intercept' else ''} {r.mean:.3g}"
                for r in sd.itertuples()
            )
        )
        return "\n".join(lines)

    def _correlation_text(self) -> str:
        if not np.isnan(self.correlation):
            return f"{self.correlation:.2f}"
        sizes = np.unique(self.estimates["n"])
        if len(sizes) == 1:
            return f"undefined (every level has {sizes[0]} rows)"
        return "undefined (every level moved by the same amount)"

    __repr__ = __str__


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN (without a warning) when either has no spread."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])
