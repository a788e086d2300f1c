"""The result of an SBC run: ranks, uniformity tests and ECDF plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hiermodels.errors import SpecError
from hiermodels.sbc.uniformity import chi_square_test, ecdf_test, plot_rank_ecdf

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["UNIFORMITY_METHODS", "SBCResult", "UniformityMethod"]

UniformityMethod = Literal["ecdf", "chi2"]
UNIFORMITY_METHODS = ("ecdf", "chi2")


@dataclass(frozen=True, eq=False)
class SBCResult:
    """The ranks of a simulation-based calibration run, with tests and plots.

    Attributes
    ----------
    ranks : pandas.DataFrame
        One row per simulation, one column per parameter. The rank is the number of
        the ``rank_draws`` thinned posterior draws below the true value, from 0 to
        ``rank_draws``.
    truth : pandas.DataFrame
        The true (prior-drawn) values, laid out like ``ranks``.
    simulations : pandas.DataFrame
        Per simulation: ``seed``, ``parameterization`` (of each factor, in the refit),
        ``n_divergent`` (divergent transitions),
        ``ess_bulk_min`` and ``r_hat_max`` over the ranked parameters,
        ``seconds_sampling``, ``seconds_compile`` (the model's compilation, counted for
        the first simulation of each worker process) and ``pid`` (the process that
        refitted it). No simulation is dropped, divergent or not.
    rank_draws : int
        Posterior draws each rank counts over.
    formula, family : str
        The model.
    settings : dict
        The sampler settings of the refits, and the seed.
    seconds : float
        Wall time of the whole run, prior draws included.
    """

    ranks: pd.DataFrame
    truth: pd.DataFrame
    simulations: pd.DataFrame
    rank_draws: int
    formula: str
    family: str
    settings: Mapping[str, object] = field(default_factory=dict)
    seconds: float = float("nan")

    @property
    def n_sims(self) -> int:
        return len(self.ranks)

    @property
    def parameters(self) -> list[str]:
        return list(self.ranks.columns)

    def __repr__(self) -> str:
        divergent = int((self.simulations["n_divergent"] > 0).sum())
        return (
            f"SBCResult of {self.formula!r} ({self.family}): {self.n_sims} simulations, "
            f"{len(self.parameters)} parameters, ranks 0..{self.rank_draws}; "
            f"{divergent} simulations with divergences; {self.seconds:.0f} s"
        )

    def uniformity(
        self, *, method: UniformityMethod = "ecdf", bins: int | None = None
    ) -> pd.DataFrame:
        """Test each parameter's ranks for uniformity.

        Parameters
        ----------
        method
            ``"ecdf"`` (default): the ECDF test of Säilynoja et al. (2022), the one
            whose band :meth:`plot` draws. ``"chi2"``: Pearson's chi-square test on
            ``bins`` bins of rank values.
        bins
            Bins of the chi-square test (default: at most 20, at least 5 expected ranks
            per bin).

        Returns
        -------
        pandas.DataFrame
            One row per parameter: ``statistic``, ``df`` (chi-square only),
            ``p_value``, and ``p_bonferroni`` (the p-value times the number of
            parameters, at most 1). A parameter fails at level ``alpha`` when
            ``p_bonferroni < alpha``.

        Examples
        --------
        >>> result.uniformity().query("p_bonferroni < 0.01")  # doctest: +SKIP
        """
        if method not in UNIFORMITY_METHODS:
            raise SpecError(
                f"Unknown method {method!r}; valid methods are {list(UNIFORMITY_METHODS)}."
            )
        if method == "ecdf" and bins is not None:
            raise SpecError("bins applies to method='chi2' only.")
        n_values = self.rank_draws + 1
        rows = {}
        for name in self.parameters:
            values = self.ranks[name].to_numpy()
            if method == "chi2":
                test = chi_square_test(values, n_values=n_values, bins=bins)
            else:
                test = ecdf_test(values, n_values=n_values)
            rows[name] = {"statistic": test.statistic, "df": test.df, "p_value": test.p_value}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "parameter"
        if method == "ecdf":
            table = table.drop(columns="df")
        table["p_bonferroni"] = np.minimum(1.0, table["p_value"] * len(table))
        return table

    def plot(
        self,
        parameters: Sequence[str] | None = None,
        *,
        prob: float = 0.95,
        columns: int = 4,
        title: str | None = None,
    ) -> Figure:
        """ECDF minus uniform of each parameter's ranks, with a simultaneous band.

        The band holds a uniform ECDF everywhere with probability ``prob``. A curve that
        leaves it has an ECDF test p-value below ``1 - prob``. A curve below zero in
        the middle (a "smile") means the posterior is too wide. A curve above zero
        (a "frown") means it is too narrow. A curve on one side means it is biased.
        Each panel shows its ECDF test p-value.

        Parameters
        ----------
        parameters
            Columns of :attr:`ranks` to plot (default: all).
        prob
            Coverage of the band.
        columns
            Panels per row.
        title
            Figure title (default: the formula and the number of simulations).

        Returns
        -------
        matplotlib.figure.Figure
        """
        names = self.parameters if parameters is None else list(parameters)
        unknown = [n for n in names if n not in self.ranks.columns]
        if unknown:
            raise SpecError(
                f"Unknown parameter(s) {unknown}; the ranked ones are {self.parameters}."
            )
        p_values = self.uniformity()["p_value"]
        return plot_rank_ecdf(
            {n: self.ranks[n].to_numpy() for n in names},
            n_values=self.rank_draws + 1,
            prob=prob,
            p_values=p_values.to_dict(),
            title=title or f"{self.formula} ({self.family}): {self.n_sims} simulations",
            columns=columns,
        )
