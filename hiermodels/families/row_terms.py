"""Row terms of the response, ``y | se(s)``, ``cens(c)``, ``weights(w)``, over any family.

The three brms additions that change each row's likelihood, applied the way brms applies
them (``stan_log_lik_cens``, ``stan_log_lik_weights``, ``stan_log_lik_add_se``):

- ``se(s)`` (gaussian): row ``i`` is ``Normal(eta_i, s_i)``; there is no residual SD.
  With ``se(s, sigma=True)`` it is ``Normal(eta_i, sqrt(s_i² + sigma²))``.
- ``cens(c)``: an uncensored row (code 0) takes the log density; a left-censored row
  (-1) ``log P(Y <= y)``; a right-censored row (1) ``log P(Y > y)``; an
  interval-censored row (2) ``log P(y < Y <= y2)``. For counts these are brms's (Stan's)
  conventions: "right-censored at 5" means ``Y > 5``, i.e. ``Y >= 6``, and an interval
  is open on the left; write ``y - 1`` for "at least ``y``". A family takes part
  through two hooks, :meth:`~hiermodels.families.Family.pymc_distribution` and
  :meth:`~hiermodels.families.Family.log_cdf`.
- ``weights(w)``: each row's log density (censored or not) times ``w_i``.

The pointwise log-likelihood (LOO, k-fold) holds these same terms, weights included, as
in brms; a weighted row is then not a draw of the model, so LOO's predictive reading
holds only for weights 1 (treat weighted LOO as a relative score). Response draws
(posterior predictive, ``predict(kind="response")``) are those of the uncensored model
(as brms draws them) with the row's known SD for ``se()``; weights do not change them.

Examples
--------
>>> import numpy as np
>>> from hiermodels.families import get_family
>>> rows = RowTerms(cens=np.array([0, 1]))
>>> ll = row_log_likelihood(get_family("gaussian"), "identity", eta=np.zeros((1, 1, 2)),
...                         y=np.array([0.0, 0.0]), trials=None,
...                         aux={"sigma": np.ones((1, 1))}, rows=rows)
>>> np.round(ll, 4)  # log density, then log P(Y > 0) = log 0.5
array([[[-0.9189, -0.6931]]])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from hiermodels.errors import SpecError
from hiermodels.families.base import Family

__all__ = [
    "CENS_CODES",
    "RowTerms",
    "family_parameters",
    "parameter_draws",
    "pymc_row_likelihood",
    "row_draws",
    "row_log_likelihood",
]

#: brms's censoring codes and the words it accepts for them.
CENS_CODES: Mapping[int, str] = {-1: "left", 0: "none", 1: "right", 2: "interval"}


@dataclass(frozen=True, eq=False)
class RowTerms:
    """Per-row arrays of the additions: known SDs, censoring codes and bounds, weights.

    ``cens`` holds the integer codes of :data:`CENS_CODES`; ``y2`` the upper bounds of
    interval-censored rows (``NaN`` in the others).
    """

    se: np.ndarray | None = None
    se_sigma: bool = False
    cens: np.ndarray | None = None
    y2: np.ndarray | None = None
    weights: np.ndarray | None = None

    def take(self, index: np.ndarray) -> RowTerms:
        """The row terms of the rows ``index``."""

        def pick(a):
            return None if a is None else a[index]

        return replace(
            self,
            se=pick(self.se),
            cens=pick(self.cens),
            y2=pick(self.y2),
            weights=pick(self.weights),
        )


def family_parameters(family: Family, rows: RowTerms | None) -> tuple[str, ...]:
    """The family's parameters in this model: ``se(s)`` without ``sigma=True`` has no
    residual SD ``sigma``."""
    if rows is not None and rows.se is not None and not rows.se_sigma:
        return tuple(p for p in family.parameters if p != "sigma")
    return family.parameters


def parameter_draws(family: Family, rows: RowTerms | None, posterior) -> dict[str, np.ndarray]:
    """The draws of the model's family parameters (:func:`family_parameters`): the
    family's own (:meth:`~hiermodels.families.Family.parameter_draws`, which holds an
    ordinal family's thresholds too) unless ``se()`` fixes sigma."""
    if rows is None or rows.se is None:
        return family.parameter_draws(posterior)
    return {p: posterior[p].values for p in family_parameters(family, rows)}


def check_family(family: Family, rows: RowTerms) -> None:
    """Refuse ``se()`` without a normal response (a :attr:`~Family.collapsible` family),
    ``cens()`` without the hooks."""
    if rows.se is not None and (not family.collapsible or "sigma" not in family.parameters):
        raise SpecError(
            f"se() gives a known measurement SD of a normal response: it needs "
            f"family='gaussian', not {family.name!r}."
        )
    if rows.cens is not None and not family.supports_censoring:
        raise family._no_censoring()


# ---------------------------------------------------------------------- NumPy
def _scale(rows: RowTerms, aux: Mapping[str, np.ndarray], index) -> np.ndarray:
    se = rows.se[index]
    if not rows.se_sigma:
        return se
    return np.sqrt(se**2 + np.asarray(aux["sigma"])[..., None] ** 2)


def _numpy_piece(family, link, rows, aux, trials, what: str, index, eta, y):
    """One of log density / log CDF / log survival of the rows ``index``."""
    if rows.se is not None:
        from scipy import stats

        method = {"density": "logpdf", "cdf": "logcdf", "survival": "logsf"}[what]
        return getattr(stats.norm, method)(y, loc=eta, scale=_scale(rows, aux, index))
    kwargs = {"eta": eta, "y": y, "trials": None if trials is None else trials[index], "aux": aux}
    if what == "density":
        return family.log_likelihood(link, **kwargs)
    return family.log_cdf(link, **kwargs) if what == "cdf" else family.log_survival(link, **kwargs)


def _log_diff_exp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(exp(a) - exp(b))`` for ``a > b``."""
    return a + np.log(-np.expm1(b - a))


def row_log_likelihood(
    family: Family,
    link: str,
    *,
    eta: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray | None,
    aux: Mapping[str, np.ndarray],
    rows: RowTerms | None,
) -> np.ndarray:
    """Log-likelihood of each row per draw (chain, draw, rows), with the row terms."""
    if rows is None:
        return family.log_likelihood(link, eta=eta, y=y, trials=trials, aux=aux)
    eta = np.broadcast_to(eta, (*eta.shape[:-1], len(y)))
    out = np.empty(eta.shape)
    codes = np.zeros(len(y), dtype=int) if rows.cens is None else rows.cens

    def piece(what, index, bound):
        return _numpy_piece(family, link, rows, aux, trials, what, index, eta[..., index], bound)

    for code, what in ((0, "density"), (-1, "cdf"), (1, "survival")):
        index = np.flatnonzero(codes == code)
        if index.size:
            out[..., index] = piece(what, index, y[index])
    index = np.flatnonzero(codes == 2)
    if index.size:
        lower, upper = y[index], rows.y2[index]
        # P(y < Y <= y2) from the CDFs below the mean, from the survival above it.
        with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken
            by_cdf = _log_diff_exp(piece("cdf", index, upper), piece("cdf", index, lower))
            by_sf = _log_diff_exp(piece("survival", index, lower), piece("survival", index, upper))
        out[..., index] = np.where(eta[..., index] > lower, by_cdf, by_sf)
    if rows.weights is not None:
        out = out * rows.weights
    return out


def row_draws(
    family: Family,
    mean: np.ndarray,
    aux: Mapping[str, np.ndarray],
    *,
    trials: np.ndarray | None,
    rng: np.random.Generator,
    rows: RowTerms | None,
) -> np.ndarray:
    """Response draws: uncensored, as brms draws them; ``se()`` rows with their known SD."""
    if rows is not None and rows.se is not None:
        return rng.normal(mean, _scale(rows, aux, slice(None)))
    return family.draw_response(mean, aux, trials=trials, rng=rng)


# ---------------------------------------------------------------------- PyMC
def _pt_log_cdf(dist, value, *, upper: bool = False):
    """PyMC's ``logcdf`` (``logccdf`` with ``upper``) of ``dist`` at ``value``; for a
    normal, the same formula with ``sqrt(2)`` in float64. PyMC's ``normal_lcdf`` divides
    by ``pt.sqrt(2.0)``, which PyTensor computes in float32 (it autocasts the literal):
    ``z / sqrt(2)`` is off by 4e-8 relative, the log-cdf by up to 3e-8 near ``|z| = 1``
    (measured against SciPy). The GLMM kernel's censored rows
    (:mod:`hiermodels.kernels.glmm_censored`) equal this one."""
    import pymc as pm
    import pytensor.tensor as pt
    from pytensor.tensor.random.basic import NormalRV

    if not isinstance(dist.owner.op, NormalRV):
        return (pm.logccdf if upper else pm.logcdf)(dist, value)
    mu, sigma = dist.owner.inputs[-2:]
    z = (mu - value) / sigma if upper else (value - mu) / sigma
    root2 = pt.constant(np.sqrt(2.0), dtype="float64")
    return pt.switch(
        pt.lt(z, -1.0),
        pt.log(pt.erfcx(-z / root2) / 2.0) - pt.sqr(z) / 2.0,
        pt.log1p(-pt.erfc(z / root2) / 2.0),
    )


def _pt_log_ccdf(dist, value):
    return _pt_log_cdf(dist, value, upper=True)


def _pt_log_diff_exp(a, b):
    import pytensor.tensor as pt

    return a + pt.log1mexp(b - a)


def pymc_row_likelihood(
    family: Family,
    name: str,
    *,
    eta,
    link: str,
    aux: Mapping,
    observed,
    trials,
    dims,
    rows,
    refit_weights=None,
):
    """The observed variable with the row terms (the family's own without them).

    ``refit_weights`` (a tensor, one per row) multiplies each row's log density on top
    of the row terms: 0/1 weights in a data container select a refit's training rows.
    The likelihood is then a ``pm.Potential`` (no observed variable) unless the model
    has row terms.
    """
    import pymc as pm
    import pytensor.tensor as pt

    if rows is None and refit_weights is None:
        return family.pymc_likelihood(
            name, eta=eta, link=link, aux=aux, observed=observed, trials=trials, dims=dims
        )
    if rows is None:
        # The family's own variable, made in a scratch model (so not registered as
        # observed), weighted into a Potential: every family has this hook.
        with pm.Model(model=None):
            rv = family.pymc_likelihood(
                name, eta=eta, link=link, aux=aux, observed=observed, trials=trials, dims=None
            )
        return pm.Potential(f"{name}_weighted", (refit_weights * pm.logp(rv, observed)).sum())
    check_family(family, rows)
    names = list(aux)

    def base(eta_part, aux_part, index):
        if rows.se is None:
            part_trials = None if trials is None else trials[index]
            return family.pymc_distribution(
                eta=eta_part, link=link, aux=aux_part, trials=part_trials
            )
        se = pt.as_tensor(rows.se[index])
        sigma = pt.sqrt(se**2 + aux_part["sigma"] ** 2) if rows.se_sigma else se
        return pm.Normal.dist(mu=eta_part, sigma=sigma)

    if rows.cens is None and rows.weights is None and refit_weights is None:
        se = pt.as_tensor(rows.se)
        sigma = pt.sqrt(se**2 + aux["sigma"] ** 2) if rows.se_sigma else se
        return pm.Normal(name, mu=eta, sigma=sigma, observed=observed, dims=dims)
    n = len(np.asarray(observed.get_value() if hasattr(observed, "get_value") else observed))
    codes = np.zeros(n, dtype=int) if rows.cens is None else rows.cens

    def logp(value, e, *a):
        aux_part = dict(zip(names, a))
        out = pt.zeros(n)
        for code, fn in ((0, pm.logp), (-1, _pt_log_cdf), (1, _pt_log_ccdf)):
            index = np.flatnonzero(codes == code)
            if index.size:
                dist = base(e[index], aux_part, index)
                out = pt.set_subtensor(out[index], fn(dist, value[index]))
        index = np.flatnonzero(codes == 2)
        if index.size:
            dist = base(e[index], aux_part, index)
            lower, upper = value[index], pt.as_tensor(rows.y2[index])
            by_cdf = _pt_log_diff_exp(_pt_log_cdf(dist, upper), _pt_log_cdf(dist, lower))
            by_sf = _pt_log_diff_exp(_pt_log_ccdf(dist, lower), _pt_log_ccdf(dist, upper))
            out = pt.set_subtensor(out[index], pt.switch(e[index] > lower, by_cdf, by_sf))
        if rows.weights is not None:
            out = out * pt.as_tensor(rows.weights)
        if refit_weights is not None:
            out = out * refit_weights
        return out

    every = np.arange(n)
    return pm.CustomDist(
        name,
        eta,
        *aux.values(),
        dist=lambda e, *rest: base(e, dict(zip(names, rest[:-1])), every),
        logp=logp,
        observed=observed,
        dims=dims,
    )
