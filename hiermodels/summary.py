"""The printed summary of a fit, laid out like lme4's ``summary(lmer(...))``.

Examples
--------
>>> import pandas as pd
>>> from hiermodels.summary import format_number
>>> format_number(0.000123), format_number(251.4051)
('0.000123', '251.41')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from hiermodels.analysis.distributional import distributional_table
from hiermodels.design.smooths import is_smooth_group
from hiermodels.diagnostics import DiagnosticsReport
from hiermodels.families import get_family
from hiermodels.options import PROB, interval_columns
from hiermodels.tables import autocor_table

__all__ = ["Summary", "format_number", "summarize"]


def format_number(value: float, digits: int = 5) -> str:
    """Format with ``digits`` significant figures, without exponent for usual sizes."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    if magnitude < -4 or magnitude > 9:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{min(decimals, 6)}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"


def _rhat_text(value: float) -> str:
    return "NA" if math.isnan(value) else f"{value:.3f}"


def _ess_text(value: float) -> str:
    return "NA" if math.isnan(value) else f"{value:.0f}"


def _table(rows: list[list[str]], header: list[str], align: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(len(header))]

    def fmt(row):
        cells = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        return " " + "  ".join(cells).rstrip()

    return [fmt(header)] + [fmt(r) for r in rows]


@dataclass
class Summary:
    """A fit's summary; ``print(fit.summary())`` shows it, its fields hold the tables."""

    formula: str
    family: str
    link: str
    n_obs: int
    levels: dict[str, int]
    variance_components: pd.DataFrame
    fixed_effects: pd.DataFrame
    diagnostics: DiagnosticsReport
    sampler: str
    chains: int
    draws: int
    prob: float
    family_parameters: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Factor -> the data2 name of its known covariance (``gr(g, cov=K)``).
    known_covariances: dict[str, str] = field(default_factory=dict)
    #: brms's "Correlation Structures" block: ``ar[1]`` of ``ar()``; empty without it.
    correlation: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Per distributional formula (``"sigma ~ Days"``, its link), its coefficients and SDs.
    distributional: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)

    def _interval_cols(self) -> tuple[str, str]:
        return interval_columns(self.prob)

    def random_effects_lines(self) -> list[str]:
        lo, hi = self._interval_cols()
        vc = self.variance_components
        sds = vc[vc["kind"] == "sd"]
        cors = vc[vc["kind"] == "cor"]
        rows = []
        for group, block in sds.groupby("group", sort=False):
            terms = list(block["term"])
            for i, (_, r) in enumerate(block.iterrows()):
                corr = []
                for other in terms[:i]:
                    match = cors[(cors["group"] == group) & (cors["term"] == f"{other}:{r.term}")]
                    corr.append(format_number(match["mean"].iloc[0], 2) if len(match) else "")
                rows.append(
                    [
                        group if i == 0 else "",
                        r.term,
                        format_number(r["mean"]),
                        format_number(r["sd"], 3),
                        f"[{format_number(r[lo], 4)}, {format_number(r[hi], 4)}]",
                        " ".join(f"{c:>5}" for c in corr),
                    ]
                )
        has_corr = any(row[-1].strip() for row in rows)
        header = [
            "Groups",
            "Name",
            "Std.Dev.",
            "Est.Error",
            f"{round(self.prob * 100)}% ETI",
            "Corr",
        ]
        if not has_corr:
            return _table([r[:-1] for r in rows], header[:-1], ["l", "l", "r", "r", "l"])
        return _table(rows, header, ["l", "l", "r", "r", "l", "l"])

    def fixed_effects_lines(self) -> list[str]:
        return self._estimate_lines(self.fixed_effects)

    def _estimate_lines(self, table: pd.DataFrame) -> list[str]:
        """Estimate, error, interval, ESS and R-hat per row of a describe_draws table."""
        lo, hi = self._interval_cols()
        rows = [
            [
                name,
                format_number(r["mean"]),
                format_number(r["sd"], 3),
                format_number(r[lo], 4),
                format_number(r[hi], 4),
                _ess_text(r["ess_bulk"]),
                _rhat_text(r["r_hat"]),
            ]
            for name, r in table.iterrows()
        ]
        p = round(self.prob * 100)
        header = ["", "Estimate", "Est.Error", f"l-{p}% ETI", f"u-{p}% ETI", "ESS bulk", "R-hat"]
        return _table(rows, header, ["l", "r", "r", "r", "r", "r", "r"])

    def smooth_lines(self) -> list[str]:
        """brms's "Smooth Terms" block, the SD of each smooth; empty without smooths."""
        vc = self.variance_components
        sds = vc[vc["kind"] == "sds"]
        if sds.empty:
            return []
        names = [
            f"sds({r.group})" + ("" if r.term == "Intercept" else f"[{r.term}]")
            for r in sds.itertuples()
        ]
        return ["", "Smooth terms:", *self._estimate_lines(sds.set_index(pd.Index(names)))]

    def family_parameter_lines(self) -> list[str]:
        """brms's "Further Distributional Parameters" block; empty when there are none."""
        if self.family_parameters.empty:
            return []
        lines = self._estimate_lines(self.family_parameters)
        # What each parameter means is the family's to say.
        meanings = get_family(self.family).parameter_meanings
        notes = [
            f"  {name}: {meanings[name]}"
            for name in self.family_parameters.index
            if name in meanings
        ]
        return ["", "Further distributional parameters:", *lines, *notes]

    def distributional_lines(self) -> list[str]:
        """One block per distributional formula: link-scale coefficients, then group SDs."""
        lines = []
        for (formula, link), table in self.distributional.items():
            lines += ["", f"Distributional parameter {formula} (link = {link}):"]
            lines += self._estimate_lines(table)
        return lines

    def __str__(self) -> str:
        kind = get_family(self.family).model_kind
        groups = ";  ".join(f"{name}, {n}" for name, n in self.levels.items())
        sampler_label = "Gibbs sampling" if self.sampler == "gibbs" else f"NUTS ({self.sampler})"
        lines = [
            f"Bayesian {kind} mixed model fit by {sampler_label} [hiermodels]",
            f"Formula: {self.formula}",
            f"Family: {self.family} (link = {self.link})",
            f"Draws: {self.chains} chain{'s' if self.chains != 1 else ''} x {self.draws} "
            "(posterior mean, sd and "
            f"{round(self.prob * 100)}% equal-tailed intervals)",
            "",
            "Random effects:",
            *self.random_effects_lines(),
            f"Number of obs: {self.n_obs}" + (f", groups:  {groups}" if groups else ""),
            *[
                f"Levels of {g} correlated as data2[{k!r}]: effects ~ N(0, Std.Dev.^2 {k})"
                for g, k in self.known_covariances.items()
            ],
            *self.smooth_lines(),
            "",
            "Fixed effects:",
            *self.fixed_effects_lines(),
            *self.family_parameter_lines(),
            *(
                ["", "Correlation structures:", *self._estimate_lines(self.correlation)]
                if not self.correlation.empty
                else []
            ),
            *self.distributional_lines(),
            "",
            "Diagnostics: " + self.diagnostics.line(),
            *[f"  {a}" for a in (self.diagnostics.advice or ["All diagnostics look fine."])],
        ]
        return "\n".join(lines)

    __repr__ = __str__


def summarize(fit, *, prob: float = PROB) -> Summary:
    """A printable summary in the layout of lme4's ``summary(lmer(...))``.

    Examples
    --------
    >>> print(fit.summary())  # doctest: +ELLIPSIS
    Bayesian linear mixed model fit by Gibbs sampling [hiermodels]
    Formula: Reaction ~ 1 + Days + (1 | Subject)
    ...
    """
    post = fit.idata["posterior"]
    return Summary(
        formula="; ".join([fit.formula, *(p.formula.text for p in fit.design.distributional)]),
        family=get_family(fit.spec.family).name,
        link=fit.spec.link,
        n_obs=fit.design.n_obs,
        levels={g.name: g.n_levels for g in fit.design.groups if not is_smooth_group(g)},
        variance_components=fit.variance_components(prob=prob),
        fixed_effects=fit.fixed_effects(prob=prob),
        family_parameters=fit.family_parameters(prob=prob),
        correlation=autocor_table(fit, prob=prob),
        distributional={
            (p.formula.text, p.link): distributional_table(fit, p.parameter, prob=prob)
            for p in fit.design.distributional
        },
        diagnostics=fit.diagnostics(),
        sampler=str(fit.idata.attrs.get("sampler", "")),
        chains=int(post.sizes["chain"]),
        draws=int(post.sizes["draw"]),
        prob=prob,
        known_covariances={
            g.name: g.covariance.name for g in fit.design.groups if g.covariance is not None
        },
    )
