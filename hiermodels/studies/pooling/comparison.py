"""Complete, no and partial pooling of one factor, side by side: the study's result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.analysis.loo import CompareMethod, compare, loo
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.linear_predictor import fixed_coefficients, group_contribution
from hiermodels.shrinkage_explorer import ShrinkageExplorer
from hiermodels.studies.pooling.formulas import POOLING, PoolingFormulas
from hiermodels.studies.pooling.summary import PoolingSummary

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from hiermodels.protocols import FitLike

__all__ = ["PoolingComparison", "precision_weighted", "shrinkage_explorer"]


def precision_weighted(fit: FitLike, group: str) -> pd.Series:
    """Analytic partial-pooling estimate of each level's intercept, from posterior means.

    ``(n_j/σ² · ȳ_j + μ/τ²) / (n_j/σ² + 1/τ²)``, the posterior mean of the level's
    intercept given ``σ`` (residual SD), ``τ`` (SD of the varying intercepts of
    ``group``) and ``μ`` (the intercept), each set to its posterior mean. With fixed
    predictors ``ȳ_j`` is the level's mean of ``y - X b`` (``b`` the posterior mean of
    the slopes), less any offset and the posterior-mean effects of other factors. Exact
    for a gaussian random-intercept model with one grouping factor, up to the
    uncertainty in ``σ`` and ``τ``.

    Parameters
    ----------
    fit
        A gaussian :class:`hiermodels.Fit` with a varying intercept of ``group``.
    group
        The grouping factor.

    Returns
    -------
    pandas.Series
        Indexed by level.

    Examples
    --------
    >>> precision_weighted(fit, "county").head()  # doctest: +SKIP
    """
    parts = _level_means(fit, group)
    n, sigma, tau = parts["n"], parts["sigma"], parts["tau"]
    values = (n / sigma**2 * parts["ybar"] + parts["mu"] / tau**2) / (n / sigma**2 + 1 / tau**2)
    return pd.Series(values, index=parts["levels"], name="precision_weighted")


def shrinkage_explorer(fit: FitLike, group: str) -> ShrinkageExplorer:
    """Sliders for τ and σ that move each level of ``group`` between its own mean and μ.

    The levels' own means ``ȳ_j`` and the starting ``μ``, ``τ`` and ``σ`` are those of
    :func:`precision_weighted`, so at the start the explorer shows exactly those
    estimates. Needs a gaussian model with a varying intercept of ``group``.
    """
    parts = _level_means(fit, group)
    frame = pd.DataFrame({"n": parts["n"], "none": parts["ybar"]}, index=parts["levels"])
    return ShrinkageExplorer(
        frame, population=parts["mu"], tau=parts["tau"], sigma=parts["sigma"], group=group
    )


def _level_means(fit: FitLike, group: str) -> dict:
    """Per level: rows ``n`` and mean ``ybar`` of the response less the rest of the model;
    and the posterior means ``mu``, ``tau``, ``sigma`` (see :func:`precision_weighted`)."""
    g = fit.design.group(group)
    collapsible = get_family(fit.spec.family).collapsible and fit.design.row_terms is None
    if not collapsible or naming.INTERCEPT not in g.terms:
        raise SpecError(
            f"The precision-weighted estimate needs a gaussian model with a varying "
            f"intercept of {g.name!r}; this model is {fit.spec.family!r} with varying "
            f"terms {list(g.terms)}."
        )
    if g.codes.shape[1] != 1:
        raise SpecError(f"{g.name!r} is a multiple-membership factor; levels have no own mean.")
    post = fit.posterior
    design = fit.design
    sigma = float(post[naming.SIGMA].mean())
    tau = float(
        post[naming.sd_name(g.name)].sel({naming.term_dim(g.name): naming.INTERCEPT}).mean()
    )
    beta = fixed_coefficients(post, design.fixed.names).mean(axis=(0, 1))
    names = design.fixed.names
    slopes = [i for i, n in enumerate(names) if n != naming.INTERCEPT]
    mu = float(beta[names.index(naming.INTERCEPT)]) if naming.INTERCEPT in names else 0.0
    y = design.y - design.fixed.matrix[:, slopes] @ beta[slopes]
    if design.offset is not None:
        y = y - design.offset
    for other in design.groups:
        if other.name != g.name:
            effects = post[naming.effects_name(other.name)].values.mean(axis=(0, 1))
            y = y - group_contribution(effects, other)
    codes = g.codes[:, 0]
    n = np.bincount(codes, minlength=g.n_levels).astype(float)
    ybar = np.bincount(codes, weights=y, minlength=g.n_levels) / n
    levels = pd.Index(list(g.levels), name=g.name)
    return {"levels": levels, "n": n, "ybar": ybar, "mu": mu, "tau": tau, "sigma": sigma}


class PoolingComparison:
    """Complete, no and partial pooling of one grouping factor, fitted on the same rows.

    Attributes
    ----------
    fits : dict
        ``{"complete": Fit, "none": Fit, "partial": Fit}``.
    formulas : PoolingFormulas
        The formula of each model.
    """

    def __init__(
        self,
        *,
        fits: Mapping[str, object],
        formulas: PoolingFormulas,
        response: str,
        predictors: tuple[str, ...],
        group: str,
        slopes: tuple[str, ...],
    ):
        missing = [k for k in POOLING if k not in fits]
        if missing:
            raise SpecError(f"fits lacks {missing}; it needs the keys {list(POOLING)}.")
        self.fits = dict(fits)
        self.formulas = formulas
        self.response = response
        self.predictors = tuple(predictors)
        self.group = group
        self.slopes = tuple(slopes)
        self._loo_table: pd.DataFrame | None = None
        self._estimates: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        g = self.fits["partial"].design.group(self.group)
        return (
            f"PoolingComparison of {self.group!r} ({g.n_levels} levels, "
            f"{self.fits['partial'].design.n_obs} rows): "
            + "; ".join(f"{k}: {v!r}" for k, v in self.formulas.as_dict().items())
        )

    @property
    def terms(self) -> tuple[str, ...]:
        """Terms with one estimate per level: the intercept and the varying slopes."""
        return (naming.INTERCEPT, *self.slopes)

    def loo_table(self, *, method: CompareMethod = "stacking") -> pd.DataFrame:
        """PSIS-LOO comparison of the three models (``arviz_stats.compare``), best first.

        Columns as :func:`hiermodels.compare` (``elpd``, ``se``, ``p`` = p_loo,
        ``weight`` = stacking weight, ``diag_elpd`` = Pareto-k count above the threshold)
        plus ``pareto_k_warning`` (True when PSIS-LOO is unreliable for the model). The
        no-pooling model often has high Pareto k for levels with one or two rows: their
        rows alone determine their own parameter. No warning is raised; the table says it.
        """
        if self._loo_table is None or method != "stacking":
            elpds = {name: loo(fit, warn=False) for name, fit in self.fits.items()}
            table = compare(elpds, method=method)
            table["pareto_k_warning"] = [bool(elpds[name].warning) for name in table.index]
            if method != "stacking":
                return table
            self._loo_table = table
        return self._loo_table.copy()

    # -------------------------------------------------------------- estimates
    def _column(self, fit, level: str, term: str) -> str:
        names = fit.design.fixed.names
        name = (
            f"{self.group}[{level}]"
            if term == naming.INTERCEPT
            else f"{self.group}[{level}]:{term}"
        )
        if name not in names:  # pragma: no cover - formulaic's naming is fixed
            raise SpecError(f"No coefficient {name!r} in the no-pooling model; it has {names}.")
        return name

    @staticmethod
    def _fixed_draws(fit, name: str) -> np.ndarray:
        post = fit.posterior
        if name == naming.INTERCEPT:
            return post[naming.INTERCEPT].values
        return post[naming.SLOPES].sel({naming.FIXED_DIM: name}).values

    def estimates(self, term: str = naming.INTERCEPT) -> pd.DataFrame:
        """Per level of the group: the no, partial and complete pooling estimates.

        Estimates are posterior means of the level's ``term`` coefficient (its intercept
        by default): ``none`` from the level's own coefficient, ``partial`` the fixed
        effect plus the level's deviation, ``complete`` the common coefficient.

        Columns
        -------
        n
            Rows of the level.
        none, partial, complete
            The three estimates; ``none_sd`` and ``partial_sd`` their posterior SDs.
        population
            The partial model's population mean of the coefficient (its fixed effect):
            the value partial pooling shrinks toward. It differs from ``complete``,
            which weights levels by their rows (radon: 1.49 against 1.36), so a partial
            estimate near ``complete`` need not lie between ``none`` and ``complete``.
        shrinkage
            How far partial pooling pulls the level toward the population mean, in
            [0, 1]: 0 = the level's own estimate (no pooling), 1 = the population mean
            (complete pooling toward it). It is the posterior variance of the level's
            deviation over the posterior mean of the group variance τ², clipped to
            [0, 1]: in the normal model with known variances it equals
            ``σ² / (σ² + n_j τ²)``, the weight of the population mean in the partial
            estimate (a per-level version of Gelman and Pardoe's 2006 pooling factor),
            and it falls with the level's size. Being made from the posterior spread, not from
            the distance between estimates, it is defined for every level (also one whose
            own mean lies near the population mean) and for every family.
        precision_weighted
            For the intercept of a random-intercept model, the analytic partial-pooling
            estimate ``(n_j/σ² · ȳ_j + μ/τ²) / (n_j/σ² + 1/τ²)`` with the posterior means of
            ``σ`` (residual SD), ``τ`` (group SD) and ``μ`` (the intercept) of the
            partial model. With predictors, ``ȳ_j`` is the level's mean of
            ``y - X b`` (the response minus the fixed part without the intercept, ``b``
            at its posterior mean), so the comparison is at the predictors' zero. NaN
            for varying slopes and for non-gaussian families.
        """
        if term not in self.terms:
            raise SpecError(
                f"Unknown term {term!r}; the pooling comparison has estimates for "
                f"{list(self.terms)}."
            )
        if term in self._estimates:
            return self._estimates[term].copy()
        partial, none, complete = self.fits["partial"], self.fits["none"], self.fits["complete"]
        g = partial.design.group(self.group)
        coef = partial.group_coefficients(g.name).xs(term, level="term")
        complete_mean = float(self._fixed_draws(complete, term).mean())
        population = float(self._fixed_draws(partial, term).mean())
        none_draws = {lv: self._fixed_draws(none, self._column(none, lv, term)) for lv in g.levels}
        frame = pd.DataFrame(
            {
                "n": g.level_counts(),
                "none": [none_draws[lv].mean() for lv in g.levels],
                "none_sd": [none_draws[lv].std(ddof=1) for lv in g.levels],
                "partial": coef["mean"].to_numpy(),
                "partial_sd": coef["sd"].to_numpy(),
                "complete": complete_mean,
                "population": population,
            },
            index=pd.Index(list(g.levels), name=self.group),
        )
        frame["shrinkage"] = self._shrinkage(partial, g.name, term)
        frame["precision_weighted"] = self._precision_weighted(term)
        self._estimates[term] = frame
        return frame.copy()

    @staticmethod
    def _shrinkage(partial, group: str, term: str) -> np.ndarray:
        """Var(u_j | y) / E(τ² | y) per level, clipped to [0, 1] (see :meth:`estimates`)."""
        deviation_sd = partial.group_effects(group).xs(term, level="term")["sd"].to_numpy()
        vc = partial.variance_components()
        tau = vc[(vc["kind"] == "sd") & (vc["group"] == group) & (vc["term"] == term)]
        mean_tau2 = float(tau["mean"].iloc[0] ** 2 + tau["sd"].iloc[0] ** 2)
        return np.clip(deviation_sd**2 / mean_tau2, 0.0, 1.0)

    def _precision_weighted(self, term: str) -> np.ndarray:
        fit = self.fits["partial"]
        g = fit.design.group(self.group)
        collapsible = get_family(fit.spec.family).collapsible and fit.design.row_terms is None
        if term != naming.INTERCEPT or self.slopes or not collapsible:
            return np.full(g.n_levels, np.nan)
        return precision_weighted(fit, self.group).to_numpy()

    # -------------------------------------------------------------- figures and text
    def plot_shrinkage(self, term: str = naming.INTERCEPT) -> Figure:
        """Arrows from the no-pooling to the partial-pooling estimate against group size.

        Group size on a log axis, the complete-pooling estimate as a horizontal line (the
        classic radon figure). Returns the matplotlib Figure.
        """
        from hiermodels.plots import plot_shrinkage

        return plot_shrinkage(self.estimates(term), group=self.group, term=term)

    def plot_group_fits(self, groups: Sequence[str] | None = None, *, ncols: int = 4) -> Figure:
        """Small multiples: each level's data (response against the first predictor)
        with the complete, no and partial pooling fits.

        ``groups`` picks the levels; by default :meth:`example_levels`, eight levels
        over the range of group sizes that show shrinkage. Returns the matplotlib Figure.
        """
        from hiermodels.plots import plot_group_fits

        levels = self.example_levels() if groups is None else groups
        return plot_group_fits(self, groups=levels, ncols=ncols)

    def example_levels(self, k: int = 8, term: str = naming.INTERCEPT) -> list[str]:
        """``k`` levels for figures, smallest to largest, that show shrinkage.

        The range of log group size is cut into ``k`` equal bands; from each band comes
        the level whose partial estimate lies farthest from its own (no-pooling)
        estimate, and levels that moved most fill the places of empty bands. So the
        figures show small levels pulled far and large ones that hardly move.
        """
        est = self.estimates(term)
        if len(est) <= k:
            return [str(v) for v in est.sort_values("n", kind="stable").index]
        moved = (est["none"] - est["partial"]).abs().to_numpy()
        log_n = np.log(est["n"].to_numpy(dtype=float))
        edges = np.linspace(log_n.min(), log_n.max(), k + 1)
        band = np.clip(np.searchsorted(edges, log_n, side="right") - 1, 0, k - 1)
        chosen = [
            int(np.flatnonzero(band == b)[np.argmax(moved[band == b])])
            for b in range(k)
            if (band == b).any()
        ]
        rest = [int(i) for i in np.argsort(-moved, kind="stable") if i not in chosen]
        chosen += rest[: k - len(chosen)]
        chosen.sort(key=lambda i: (est["n"].iloc[i], i))
        return [str(est.index[i]) for i in chosen]

    def shrinkage_explorer(self) -> ShrinkageExplorer:
        """Sliders for τ and σ that move each level between its own mean and the
        population mean (shows itself in a notebook; ``.html()`` for a page).

        For a gaussian comparison without varying slopes; see
        :class:`hiermodels.shrinkage_explorer.ShrinkageExplorer`.
        """
        if self.slopes:
            raise SpecError(
                f"The shrinkage explorer shows varying intercepts only; this comparison "
                f"also varies {list(self.slopes)} by {self.group!r}."
            )
        return shrinkage_explorer(self.fits["partial"], self.group)

    def summary(self) -> PoolingSummary:
        """The LOO table and the shrinkage figures, as printable text."""
        return PoolingSummary(self)
