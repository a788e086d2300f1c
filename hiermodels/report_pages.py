"""The sections of the HTML reports that ``hiermodels fit``, ``compare-pooling`` and
``demo`` write: each table and figure with a short paragraph that says how to read it.

:mod:`hiermodels.report` holds the HTML pieces; this module decides what a report says.

Examples
--------
>>> print(sampler_words({"sampler": "nutpie", "method": "full", "tune": 500}, chains=4, draws=1000))
4 chains of 1000 draws each, after 500 tuning steps, by NUTS (nutpie), with every parameter sampled.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hiermodels import report
from hiermodels.diagnostics import ESS_MIN_PER_CHAIN, RHAT_MAX, DiagnosticsReport
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.naming import INTERCEPT
from hiermodels.studies.pooling.comparison import shrinkage_explorer

__all__ = ["diagnostics_section", "fit_sections", "pooling_sections", "sampler_words"]

_METHODS = {
    "full": "with every parameter sampled",
    "marginal": "with the {factor} effects integrated out and drawn afterwards",
    "gibbs": "",
}


def sampler_words(attrs: Mapping, *, chains: int, draws: int) -> str:
    """The sampler settings of a fit in one sentence, from its tree's attributes."""
    sampler = attrs.get("sampler", "?")
    method = attrs.get("method", "full")
    how = "by Gibbs sampling" if sampler == "gibbs" else f"by NUTS ({sampler})"
    detail = _METHODS.get(method, "").format(factor=attrs.get("collapsed_factor", ""))
    return (
        f"{chains} chains of {draws} draws each, after {attrs.get('tune', '?')} tuning steps, "
        f"{how}{', ' + detail if detail else ''}."
    )


def _diagnostics_words(diag: DiagnosticsReport) -> list[str]:
    words = []
    if diag.n_chains < 2:
        words.append("R-hat needs two or more chains; this fit has one.")
    elif diag.max_rhat <= RHAT_MAX:
        words.append(
            f"The largest R-hat is {diag.max_rhat:.3f}, below {RHAT_MAX}: the chains agree."
        )
    else:
        words.append(
            f"The largest R-hat is {diag.max_rhat:.3f}, above {RHAT_MAX}: the chains disagree "
            "and the estimates cannot be trusted yet."
        )
    low = min(diag.min_ess_bulk, diag.min_ess_tail)
    need = ESS_MIN_PER_CHAIN * diag.n_chains  # the diagnostics' own rule
    words.append(
        f"The smallest effective sample sizes are {diag.min_ess_bulk:.0f} (bulk) and "
        f"{diag.min_ess_tail:.0f} (tails); "
        + (
            f"above {need}, so means and intervals are stable to their printed digits."
            if low >= need
            else f"below {need}, so intervals are noisy: draw more."
        )
    )
    words.append(
        "No draw ended in a divergence."
        if diag.divergences == 0
        else f"{diag.divergences} draws ended in a divergence: the sampler could not explore "
        "part of the posterior, which may be biased."
    )
    return words


def diagnostics_section(fits: Mapping[str, object]) -> str:
    """One section: a table of the convergence figures per fit and each in plain words."""
    rows, parts = {}, []
    for name, fit in fits.items():
        diag = fit.diagnostics()
        attrs = fit.idata.attrs
        rows[name] = {
            "max R-hat": f"{diag.max_rhat:.3f}",
            "min ESS bulk": f"{diag.min_ess_bulk:.0f}",
            "min ESS tail": f"{diag.min_ess_tail:.0f}",
            "divergences": diag.divergences,
            "chains": diag.n_chains,
            "draws per chain": diag.n_draws,
            "sampler": attrs.get("sampler", ""),
            "sampling seconds": f"{attrs.get('seconds_sampling', np.nan):.1f}",
        }
        lead = f"{name}: " if len(fits) > 1 else ""
        words = [sampler_words(attrs, chains=diag.n_chains, draws=diag.n_draws)]
        words += _diagnostics_words(diag)
        parts.append(report.text(lead + " ".join(words), css="ok" if diag.ok else "advice"))
        parts += [report.text(a, css="advice") for a in diag.advice]
    table = pd.DataFrame(rows).T.rename_axis("model")
    intro = report.paragraph(
        "Before reading any estimate, check that the sampler converged: R-hat compares the "
        f"chains (below {RHAT_MAX} means they agree), the effective sample size (ESS) says "
        f"how many independent draws the chains are worth (aim for {ESS_MIN_PER_CHAIN} per "
        "chain or more), and "
        "divergences flag regions the sampler could not explore."
    )
    return report.section("Diagnostics", intro, report.table(table, digits=3), *parts)


def fit_sections(fit) -> list[str]:
    """The sections of ``hiermodels fit``'s report."""
    diag = fit.diagnostics()
    sections = [
        report.section(
            "Summary",
            report.paragraph(
                "The model as lme4 and brms print it, with posterior means, SDs and "
                "equal-tailed intervals in place of estimates and standard errors."
            ),
            report.text(str(fit.summary())),
        ),
        diagnostics_section({"model": fit}),
        report.section(
            "Trace and rank plots",
            report.paragraph(
                "Trace plots should look like overlapping, fuzzy bands with no trend; rank "
                "plots should be flat histograms, one per chain, if the chains agree."
            ),
            report.figure(fit.plot_trace(), alt="trace plot"),
            report.figure(fit.plot_rank(), alt="rank plot")
            if diag.n_chains > 1
            else report.text("Rank plots compare chains; this fit has one chain.", css="advice"),
        ),
        report.section(
            "Posterior predictive check",
            report.paragraph(
                "Data replicated from the fitted model against the observed data: where they "
                "differ systematically, the model misses a feature of the data."
            ),
            report.figure(fit.plot_ppc(), alt="posterior predictive check"),
        ),
    ]
    for g in fit.design.groups:
        figures = [
            report.figure(
                fit.plot_group_effects(g.name, term=term), alt=f"{g.name} effects: {term}"
            )
            for term in g.terms
        ]
        intro = report.paragraph(
            f"Each {g.name} level's deviation from the population value, with its interval, "
            "sorted. Levels with little data sit near zero: partial pooling shrinks them."
        )
        figures += _fit_explorer(fit, g)
        sections.append(report.section(f"Group effects: {g.name}", intro, *figures))
    return sections


def _fit_explorer(fit, group) -> list[str]:
    """The shrinkage explorer of a gaussian model's varying intercept (nothing for
    other models: it moves intercepts only, by the normal model's weights)."""
    gaussian = get_family(fit.spec.family).collapsible and fit.design.row_terms is None
    if not gaussian or tuple(group.terms) != (INTERCEPT,) or group.codes.shape[1] != 1:
        return []
    return [
        report.paragraph(
            f"The shrinkage explorer: each {group.name} level's own mean (hollow) and its "
            "partial-pooling estimate (filled), against its rows. Move the sliders for the "
            "group SD tau and the residual SD sigma: with a small tau every level is pulled "
            "to the population mean, with a large one every level keeps its own mean."
        ),
        shrinkage_explorer(fit, group.name).html(),
    ]


def _tidy_loo(table: pd.DataFrame) -> pd.DataFrame:
    frame = table[["elpd", "se", "elpd_diff", "dse", "p", "weight"]].copy()
    frame.columns = ["elpd", "SE", "difference", "SE of difference", "p_loo", "weight"]
    frame["PSIS-LOO reliable"] = np.where(table["pareto_k_warning"], "no (high Pareto k)", "yes")
    frame.index.name = "model"
    return frame


def _tidy_estimates(est: pd.DataFrame, group: str) -> pd.DataFrame:
    names = {
        "n": "rows",
        "none": "own (no pooling)",
        "none_sd": "own SD",
        "partial": "partial pooling",
        "partial_sd": "partial SD",
        "shrinkage": "shrinkage",
        "precision_weighted": "precision-weighted",
    }
    frame = est.sort_values("n", kind="stable")[[c for c in names if c in est]]
    constant = [c for c in ("complete", "population") if c in frame]  # in the paragraph
    frame = frame.drop(columns=constant).dropna(axis=1, how="all").rename(columns=names)
    frame.index.name = group
    return frame


def pooling_sections(comparison) -> list[str]:
    """The sections of the pooling report (``compare-pooling``, ``demo``)."""
    partial = comparison.fits["partial"]
    g = partial.design.group(comparison.group)
    est = comparison.estimates()
    group = comparison.group
    formulas = "; ".join(f"{k}: {v}" for k, v in comparison.formulas.as_dict().items())
    sections = [
        report.section(
            "What was fitted",
            report.paragraph(
                f"The same {partial.design.n_obs} rows, three ways. Complete pooling ignores "
                f"{group}; no pooling gives each of its {g.n_levels} levels its own "
                "estimate; partial pooling (the multilevel model) lets the levels' "
                "estimates share a population distribution, so that levels with few rows "
                f"borrow strength from the others. Formulas: {formulas}."
            ),
            report.text(str(comparison.summary())),
        ),
        diagnostics_section(comparison.fits),
        report.section(
            "Which model predicts best",
            report.paragraph(
                "PSIS-LOO estimates how well each model predicts a left-out row (elpd: "
                "higher is better). A difference of more than about twice its SE is clear; "
                "the weights are the stacking weights of the three models."
            ),
            report.table(_tidy_loo(comparison.loo_table()), digits=2),
        ),
        report.section(
            "Shrinkage",
            report.paragraph(
                f"Each arrow goes from a {group} level's own estimate to its partial-pooling "
                "estimate. Small levels move far toward the population mean, large ones "
                "hardly move: the shrinkage column below (0 = own estimate, 1 = population "
                "mean) falls with size."
            ),
            report.figure(comparison.plot_shrinkage(), alt="shrinkage plot"),
            *_explorer(comparison),
        ),
        report.section(
            "Fits per group",
            report.paragraph(
                f"Eight {group} levels from small to large, in each size band the one that "
                "moved most: its rows and the three fitted lines, with the partial-pooling "
                "line's interval."
            ),
            report.figure(comparison.plot_group_fits(), alt="group fits"),
        ),
        report.section(
            "Estimates per group",
            report.paragraph(
                "Posterior means per level, smallest levels first. Shrinkage is the "
                "posterior variance of the level's deviation over the mean group variance: "
                "0 = its own estimate, 1 = the population mean "
                f"({est['population'].iloc[0]:.3g}; complete pooling gives every level "
                f"{est['complete'].iloc[0]:.3g}, which weights levels by their rows)."
            ),
            report.table(_tidy_estimates(est, group), digits=3),
        ),
    ]
    return sections


def _explorer(comparison) -> list[str]:
    try:
        explorer = comparison.shrinkage_explorer()
    except SpecError as err:
        return [report.paragraph(f"(No shrinkage explorer: {err})")]
    return [
        report.paragraph(
            "Move the sliders to see what the group SD tau and the residual SD sigma do: "
            "with a small tau every level is pulled to the population mean, with a large "
            "one every level keeps its own estimate."
        ),
        explorer.html(),
    ]
