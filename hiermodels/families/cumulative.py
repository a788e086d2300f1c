"""The cumulative (ordinal) family: an ordered response with ``K`` categories.

A latent variable ``y* = eta + e``, ``e`` standard logistic (logit link) or standard
normal (probit), falls into category ``k`` (``k = 1..K``) between two of ``K - 1``
ordered thresholds ``c_1 < ... < c_{K-1}``::

    P(y <= k) = F(c_k - eta),    P(y = k) = F(c_k - eta) - F(c_{k-1} - eta),

with ``c_0 = -inf`` and ``c_K = +inf`` (brms ``cumulative``, ordinal's ``clmm``, MASS's
``polr``). The linear predictor has no intercept: the thresholds take its place. They
are named ``Intercept[1]``, ..., ``Intercept[K-1]`` like brms, are sampled with an
ordered transform, and have the default prior ``StudentT(nu=3, mu=0, sigma=2.5)``
(brms's ``student_t(3, 0, 2.5)``), set at the means of the fixed predictors as brms
does; the prior keys are ``"Intercept"`` (every threshold) and ``"Intercept[k]"``
(one). A positive coefficient moves the response to higher categories.

The response
------------
- An **ordered** pandas ``Categorical``: the categories in their declared order
  (``series.cat.categories``); every category must occur in the data.
- Integers (or floats holding integers): the categories are the integers from the
  smallest to the largest value, in increasing order; every integer in between must
  occur. ``K = 2`` is refused: a binary response is ``family="bernoulli"`` (with the
  same link it is the same model, its intercept being minus the one threshold).

The model codes the categories ``0..K-1`` in that order (``fit.design.y``, the
``observed_data``, the prior and posterior predictive draws);
``fit.design.categories`` holds the labels. ``fit.predict(kind="mean")`` gives the
probability of each category on an extra dimension ``category`` labelled with them,
and ``fit.predict(kind="response")`` draws the labels themselves.

The variance partition (ICC, R²) is on the latent scale: the residual variance is that
of ``e``, ``π²/3`` (logit) or ``1`` (probit).

Examples
--------
>>> import numpy as np
>>> ll = CUMULATIVE.log_likelihood("logit", eta=np.zeros((1, 1, 3)), y=np.array([0.0, 1, 2]),
...                                trials=None, aux={"Intercept": np.array([[[-1.0, 1.0]]])})
>>> np.round(np.exp(ll), 4)
array([[[0.2689, 0.4621, 0.2689]]])
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hiermodels.errors import DataError
from hiermodels.families.base import Family
from hiermodels.families.links import LATENT_VARIANCE, inverse_link
from hiermodels.naming import INTERCEPT
from hiermodels.spec.priors import Prior

__all__ = ["CUMULATIVE", "Cumulative", "cumulative_log_likelihood", "cumulative_probabilities"]

_LOG2 = math.log(2.0)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends (Maechler 2012)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -_LOG2, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _log_interval(link: str, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """``log(F(upper) - F(lower))`` for ``lower < upper`` (either may be infinite)."""
    if link == "logit":
        # F(u) - F(l) = F(u) F(-l) (1 - exp(l - u)) for the logistic F
        return -np.logaddexp(0.0, -upper) - np.logaddexp(0.0, lower) + _log1mexp(lower - upper)
    from scipy.special import log_ndtr

    # In the right tail use the upper tail probabilities, which keep their digits there.
    right = lower > 0
    with np.errstate(invalid="ignore"):
        a = np.where(right, log_ndtr(-lower), log_ndtr(upper))
        b = np.where(right, log_ndtr(-upper), log_ndtr(lower))
        return a + _log1mexp(b - a)


def _codes(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).astype(np.int64)


def cumulative_log_likelihood(
    link: str, eta: np.ndarray, y: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """Log probability of the category codes ``y`` (rows) per draw.

    ``eta`` has shape (..., rows); ``thresholds`` (..., K - 1), ordered.
    """
    c = np.asarray(thresholds, dtype=float)
    inf = np.full((*c.shape[:-1], 1), np.inf)
    padded = np.concatenate([-inf, c, inf], axis=-1)
    k = _codes(y)
    lower = padded[..., k] - eta
    upper = padded[..., k + 1] - eta
    return _log_interval(link, lower, upper)


def cumulative_probabilities(link: str, eta: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Probability of each category, shape (..., rows, K), from ``eta`` (..., rows) and
    ``thresholds`` (..., K - 1)."""
    return _row_probabilities(link, eta, np.asarray(thresholds, dtype=float)[..., None, :])


def _row_probabilities(link: str, eta: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Category probabilities (..., K) from ``eta`` (...) and thresholds broadcasting
    against it on a trailing axis."""
    cdf = inverse_link(link, c - np.asarray(eta)[..., None])
    zeros = np.zeros((*cdf.shape[:-1], 1))
    cum = np.concatenate([zeros, cdf, zeros + 1.0], axis=-1)
    return np.clip(np.diff(cum, axis=-1), 0.0, 1.0)


def _draw_categories(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category code per row of ``probs`` (..., K) by the inverse CDF."""
    u = rng.random(probs.shape[:-1])
    below = np.cumsum(probs, axis=-1)[..., :-1] < u[..., None]
    return below.sum(axis=-1).astype(np.int64)


def _log_prob_tensor(link: str, y, eta, cutpoints):
    """The log probability of codes ``y`` in PyTensor; every branch stays finite."""
    import pytensor.tensor as pt
    from pymc.distributions.dist_math import normal_lcdf

    k = pt.cast(y, "int64")
    n_cut = cutpoints.shape[-1]
    # Finite stand-ins for c_0 = -inf and c_K = +inf keep the unused branches of the
    # switches (and so the gradients) finite. PyMC may hand the cutpoints with leading
    # batch axes of length 1: gather along the last axis after broadcasting to the rows.
    lows = pt.concatenate([cutpoints[..., :1] - 1.0, cutpoints], axis=-1)
    highs = pt.concatenate([cutpoints, cutpoints[..., -1:] + 1.0], axis=-1)

    def gather(table):
        table = pt.broadcast_to(table, (*eta.shape, n_cut + 1))
        return pt.take_along_axis(table, k[..., None], axis=-1)[..., 0]

    low = gather(lows) - eta
    high = gather(highs) - eta
    if link == "logit":
        first = -pt.softplus(-high)
        last = -pt.softplus(low)
        middle = first + last + pt.log1mexp(low - high)
    else:

        def lcdf(x):
            return normal_lcdf(0.0, 1.0, x)

        first = lcdf(high)
        last = lcdf(-low)
        right = pt.gt(low, 0.0)
        a = pt.switch(right, lcdf(-low), lcdf(high))
        b = pt.switch(right, lcdf(-high), lcdf(low))
        middle = a + pt.log1mexp(b - a)
    return pt.switch(pt.eq(k, 0), first, pt.switch(pt.eq(k, n_cut), last, middle))


class Cumulative(Family):
    """An ordered categorical response: ``K - 1`` thresholds on a latent scale."""

    name = "cumulative"
    links = ("logit", "probit")
    support = "ordinal"
    response_scale = False
    has_intercept = False
    thresholds = True
    category_dim = "category"

    # ------------------------------------------------------------------ priors, data
    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        if parameter == "threshold":
            return Prior("StudentT", nu=3.0, mu=0.0, sigma=2.5)
        return super().default_prior(parameter, scale=scale)

    def encode_response(self, series: pd.Series, expr: str):
        """Codes ``0..K-1`` and labels of an ordered Categorical or of integers."""
        index = series.index
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = series.cat.categories
            if not series.cat.ordered:
                raise DataError(
                    f"The response {expr!r} is an unordered Categorical with categories "
                    f"{list(categories)}; family 'cumulative' needs their order. Make it "
                    "ordered, e.g. data[col] = data[col].cat.as_ordered() (that order), or "
                    "pd.Categorical(values, categories=[lowest, ..., highest], ordered=True)."
                )
            codes = series.cat.codes.to_numpy()
            self._check_missing(codes < 0, expr, index)
            counts = np.bincount(codes, minlength=len(categories))
            unused = [categories[i] for i in np.flatnonzero(counts == 0)]
            if unused:
                raise DataError(
                    f"The ordered response {expr!r} has categories without rows: {unused} "
                    f"(of {list(categories)}). Each category needs rows for its thresholds; "
                    "drop them (data[col].cat.remove_unused_categories()) or merge them."
                )
            labels = tuple(categories.tolist())
            return self._checked_k(codes.astype(float), labels, expr)
        # Any other response comes as finite floats that check_response found integer.
        values = series.to_numpy(dtype=float)
        present = np.unique(values)
        low, high = int(present[0]), int(present[-1])
        n_missing = high - low + 1 - len(present)
        if n_missing:
            # the first missing integers, without listing the whole range
            gaps: list[int] = []
            for i in np.flatnonzero(np.diff(present) > 1):
                start, stop = int(present[i]) + 1, int(present[i + 1])
                gaps += range(start, min(stop, start + 10 - len(gaps)))
                if len(gaps) >= 10:
                    break
            raise DataError(
                f"The ordinal response {expr!r} runs from {low} to {high} but has no rows "
                f"with {n_missing} value(s) in between (first: {gaps}); every category in "
                "between needs rows. Recode the response, or pass an ordered Categorical "
                "of the categories that occur."
            )
        labels = tuple(range(low, high + 1))
        return self._checked_k(values - low, labels, expr)

    def check_response(self, values: np.ndarray, expr: str, index: pd.Index) -> None:
        bad = values != np.round(values)
        if bad.any():
            raise DataError(
                f"The ordinal response {expr!r} must hold integers (or be an ordered "
                f"Categorical); {int(bad.sum())} rows do not (first rows: "
                f"{index[bad][:5].tolist()}, values {values[bad][:5].tolist()})."
            )

    @staticmethod
    def _check_missing(missing: np.ndarray, expr: str, index: pd.Index) -> None:
        if missing.any():
            raise DataError(
                f"The response {expr!r} is missing in {int(missing.sum())} rows (first rows: "
                f"{index[missing][:5].tolist()})."
            )

    def _checked_k(self, codes: np.ndarray, labels: tuple, expr: str):
        if len(labels) < 3:
            raise DataError(
                f"The ordinal response {expr!r} has {len(labels)} categories {list(labels)}; "
                "family 'cumulative' needs at least 3. For two categories use "
                "family='bernoulli' (same link, one threshold = minus its intercept)."
            )
        return codes, labels

    def parameter_draws(self, posterior) -> dict[str, np.ndarray]:
        return {INTERCEPT: posterior[INTERCEPT].values}

    # ------------------------------------------------------------------ behaviours
    def pymc_likelihood(self, name, *, eta, link, aux, observed, trials, dims):
        import pymc as pm

        def logp(value, eta, cutpoints):
            return _log_prob_tensor(link, value, eta, cutpoints)

        def random(eta, cutpoints, rng=None, size=None):
            eta = np.broadcast_to(eta, size) if size is not None else np.asarray(eta)
            probs = _row_probabilities(link, eta, np.sort(cutpoints, axis=-1))
            return _draw_categories(probs, rng).astype(float)

        return pm.CustomDist(
            name,
            eta,
            aux[INTERCEPT],
            logp=logp,
            random=random,
            signature="(),(k)->()",
            observed=observed,
            dims=dims,
        )

    def log_likelihood(self, link, *, eta, y, trials, aux):
        return cumulative_log_likelihood(link, eta, y, aux[INTERCEPT])

    def expected_value(self, link, *, eta, aux, trials):
        return cumulative_probabilities(link, eta, aux[INTERCEPT])

    def draw_location(self, link, *, eta, aux, trials):
        return self.expected_value(link, eta=eta, aux=aux, trials=trials)

    def draw_response(self, mean, aux, *, trials, rng):
        """``mean`` holds the category probabilities on its last axis (from
        :meth:`expected_value`); the draws are category codes ``0..K-1``."""
        return _draw_categories(np.asarray(mean), rng)

    def latent_residual_variance(self, link, posterior):
        return np.float64(LATENT_VARIANCE[link])


CUMULATIVE = Cumulative()
