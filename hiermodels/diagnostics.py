"""Convergence diagnostics in one report, with plain-words advice.

Examples
--------
>>> import numpy as np, xarray as xr
>>> rng = np.random.default_rng(0)
>>> post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(4, 500)))})
>>> stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 500), bool))})
>>> report = diagnose(xr.DataTree.from_dict({"posterior": post, "sample_stats": stats}))
>>> report.ok
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from hiermodels import naming
from hiermodels.convergence import convergence_table, energy_bfmi
from hiermodels.options import PROB, check_prob, interval_columns

__all__ = [
    "DiagnosticsReport",
    "describe_draws",
    "diagnose",
    "reported_variables",
]

RHAT_MAX = 1.01
#: R-hat compares chains (split halves of one chain do not reveal chains stuck apart).
MIN_CHAINS_RHAT = 2
ESS_MIN_PER_CHAIN = 100
BFMI_MIN = 0.3


def reported_variables(posterior: xr.Dataset) -> xr.Dataset:
    """The posterior without raw offsets and Cholesky factors, and with each correlation
    matrix reduced to its upper triangle (a ``pair`` dimension such as "Intercept:Days")."""
    out = {}
    for name, da in posterior.data_vars.items():
        if name.startswith(("z_", "zbar_", "w_", "chol_")) or name in (
            naming.CENTERED_INTERCEPT,
            naming.CENTERED_SLOPES,
            naming.CENTERED_COEFFICIENTS,
        ):
            continue
        if name.startswith("cor_"):
            # the stored name's key (cor_<level_dim>), and its own term dimensions: the
            # factor's name as written is not recoverable here (a factor "level" is
            # stored as "level__level", whose term dim is "level__level__term")
            group = name[len("cor_") :]
            a = da.dims[-2]
            terms = list(da[a].values)
            pairs = [(i, j) for i in range(len(terms)) for j in range(i + 1, len(terms))]
            if not pairs:
                continue
            values = np.stack([da.values[..., i, j] for i, j in pairs], axis=-1)
            labels = [f"{terms[i]}:{terms[j]}" for i, j in pairs]
            dim = f"{group}__pair"
            out[name] = xr.DataArray(
                values,
                dims=(*da.dims[:2], dim),
                coords={dim: labels, **{d: da[d] for d in da.dims[:2]}},
            )
            continue
        out[name] = da
    return xr.Dataset(out)


#: The convergence columns of :func:`describe_draws` (what :func:`diagnose` needs).
CONVERGENCE_COLUMNS = ("r_hat", "ess_bulk", "ess_tail", "mcse_mean")


def describe_draws(
    da: xr.DataArray, *, prob: float = PROB, only_convergence: bool = False
) -> pd.DataFrame:
    """Mean, sd, ETI, ESS, R-hat and MCSE of a variable, one row per element.

    The index holds the labels of the non-sample dimensions (a MultiIndex when there
    are several). ``only_convergence`` computes just :data:`CONVERGENCE_COLUMNS`.
    """
    columns = {}
    if not only_convergence:
        import arviz_stats as azs  # in functions: 1.5 s of start-up a fit does not need

        check_prob(prob)
        eti = azs.eti(da, prob=prob)
        lower, upper = interval_columns(prob)
        columns = {
            "mean": da.mean(naming.CHAIN_DRAW),
            "sd": da.std(naming.CHAIN_DRAW, ddof=1),
            lower: eti.sel(ci_bound="lower", drop=True),
            upper: eti.sel(ci_bound="upper", drop=True),
        }
    columns |= _convergence_columns(da)
    dims = [d for d in da.dims if d not in naming.CHAIN_DRAW]
    if not dims:
        return pd.DataFrame({k: [float(v.values)] for k, v in columns.items()}, index=[da.name])
    frame = xr.Dataset(
        {k: v.drop_vars([c for c in v.coords if c not in dims]) for k, v in columns.items()}
    ).to_dataframe()
    frame = frame[list(columns)]
    if isinstance(frame.index, pd.MultiIndex):
        # keep the coordinate order of the DataArray, not lexical order
        order = pd.MultiIndex.from_product([list(da[d].values) for d in dims])
        frame = frame.reorder_levels(dims).reindex(order)
    return frame


def _convergence_columns(da: xr.DataArray) -> dict[str, xr.DataArray]:
    """ESS, R-hat and MCSE per element: vectorised (:mod:`hiermodels.convergence`), or
    ArviZ for the cases that module leaves to it (few draws, missing values)."""
    dims = [d for d in da.dims if d not in naming.CHAIN_DRAW]
    ordered = da.transpose(*naming.CHAIN_DRAW, *dims)
    table = convergence_table(ordered.values.reshape(*ordered.shape[:2], -1))
    if table is None:
        import arviz_stats as azs

        return {
            "ess_bulk": azs.ess(da, method="bulk"),
            "ess_tail": azs.ess(da, method="tail"),
            "r_hat": azs.rhat(da),
            "mcse_mean": azs.mcse(da),
        }
    template = ordered.isel(chain=0, draw=0, drop=True)
    return {
        key: template.copy(data=table[key].reshape(template.shape))
        for key in ("ess_bulk", "ess_tail", "r_hat", "mcse_mean")
    }


@dataclass
class DiagnosticsReport:
    """R-hat, ESS and MCSE per parameter, sampler statistics, and advice in plain words."""

    table: pd.DataFrame
    n_draws: int
    n_chains: int
    divergences: int
    treedepth_saturated: int
    bfmi: list[float]
    advice: list[str] = field(default_factory=list)

    @property
    def max_rhat(self) -> float:
        """The largest R-hat; NaN with one chain (R-hat compares chains)."""
        return _extreme(self.table, "r_hat", max)

    @property
    def min_ess_bulk(self) -> float:
        return _extreme(self.table, "ess_bulk", min)

    @property
    def min_ess_tail(self) -> float:
        return _extreme(self.table, "ess_tail", min)

    @property
    def ok(self) -> bool:
        return not self.advice

    def line(self) -> str:
        """One line: max R-hat, min bulk/tail ESS and divergences."""
        total = self.n_draws * self.n_chains
        rhat = (
            "R-hat not available (needs 2 or more chains)"
            if self.n_chains < MIN_CHAINS_RHAT
            else f"max R-hat {self.max_rhat:.3f}"
        )
        return (
            f"{rhat}, min ESS bulk {self.min_ess_bulk:.0f}, "
            f"min ESS tail {self.min_ess_tail:.0f}, divergences {self.divergences} of {total}"
        )

    def __str__(self) -> str:
        lines = ["Sampling diagnostics", "  " + self.line()]
        if self.bfmi:
            lines.append("  BFMI per chain: " + ", ".join(f"{b:.2f}" for b in self.bfmi))
        if self.treedepth_saturated:
            lines.append(f"  draws at maximum tree depth: {self.treedepth_saturated}")
        lines += ["  " + a for a in (self.advice or ["All diagnostics look fine."])]
        return "\n".join(lines)

    __repr__ = __str__


def _stat(stats: xr.Dataset, *names: str) -> xr.DataArray | None:
    for name in names:
        if name in stats:
            return stats[name]
    return None


def diagnose(idata: xr.DataTree, *, display: Mapping[str, str] | None = None) -> DiagnosticsReport:
    """Build the diagnostics report of a fitted DataTree.

    ``display`` maps stored variable names to the names shown in the table and the
    advice (:func:`hiermodels.naming.display_names`); others are shown as stored.
    """
    display = display or {}
    posterior = reported_variables(idata["posterior"].to_dataset())
    frames = []
    for name, da in posterior.data_vars.items():
        frame = describe_draws(da, only_convergence=True)
        label = display.get(name, name)
        frame.index = [
            label if len(da.dims) == 2 else f"{label}[{_index_label(i)}]" for i in frame.index
        ]
        frames.append(frame[list(CONVERGENCE_COLUMNS)])
    table = pd.concat(frames) if frames else pd.DataFrame(columns=list(CONVERGENCE_COLUMNS))
    n_chains = idata["posterior"].sizes["chain"]
    n_draws = idata["posterior"].sizes["draw"]
    stats = idata["sample_stats"].to_dataset() if "sample_stats" in idata.children else None
    divergences = saturated = 0
    bfmi: list[float] = []
    if stats is not None:
        div = _stat(stats, "diverging")
        divergences = int(div.sum()) if div is not None else 0
        sat = _stat(stats, "maxdepth_reached", "reached_max_treedepth")
        saturated = int(sat.sum()) if sat is not None else 0
        if "energy" in stats:
            energy = stats["energy"].transpose(*naming.CHAIN_DRAW).values
            bfmi = [float(v) for v in energy_bfmi(energy)]
    advice = _advice(table, n_chains, divergences, saturated, bfmi)
    return DiagnosticsReport(table, n_draws, n_chains, divergences, saturated, bfmi, advice)


def _extreme(table: pd.DataFrame, column: str, pick) -> float:
    """``pick`` (max or min) of a column, ignoring NaN; NaN if every value is NaN."""
    values = table[column].dropna()
    return float(pick(values)) if len(values) else float("nan")


def _index_label(index) -> str:
    return ", ".join(map(str, index)) if isinstance(index, tuple) else str(index)


def _advice(table, n_chains, divergences, saturated, bfmi) -> list[str]:
    advice = []
    if n_chains < MIN_CHAINS_RHAT:
        advice.append(
            f"R-hat needs two or more chains; this fit has {n_chains}, so whether the "
            "sampler converged is not checked. Fit with chains=4 (at least 2)."
        )
    if len(table):
        rhat = table["r_hat"]
        if (rhat > RHAT_MAX).any():
            worst = rhat.idxmax()
            advice.append(
                f"R-hat above {RHAT_MAX} for {int((rhat > RHAT_MAX).sum())} parameters "
                f"(worst: {worst}, {rhat.max():.3f}): the chains disagree. Run more tuning "
                "and draws, or simplify the model."
            )
        ess = table[["ess_bulk", "ess_tail"]].min(axis=1)
        need = ESS_MIN_PER_CHAIN * n_chains
        if (ess < need).any():
            advice.append(
                f"Effective sample size below {need} for {int((ess < need).sum())} parameters "
                f"(lowest: {ess.idxmin()}, {ess.min():.0f}): intervals and tail estimates are "
                "noisy. Draw more samples."
            )
    if divergences:
        advice.append(
            f"{divergences} divergent transitions: the sampler met curvature it could not "
            "follow, so the posterior may be biased. Raise target_accept (e.g. 0.95) or "
            "reparameterise."
        )
    if saturated:
        advice.append(
            f"{saturated} draws hit the maximum tree depth: sampling is slow and may be "
            "incomplete. Check for weakly identified parameters."
        )
    low = [round(b, 2) for b in bfmi if b < BFMI_MIN]
    if low:
        advice.append(
            f"Low energy BFMI ({low}, below {BFMI_MIN}): the sampler explores the tails "
            "poorly. Consider stronger priors or a different parameterisation."
        )
    return advice
