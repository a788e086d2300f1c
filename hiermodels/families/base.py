"""The family protocol: what a response distribution declares and what it does.

A family is one object. Its class attributes declare the links, the further parameters,
the support of the response and a few flags the rest of the package reads; its methods
hold every computation that differs from one family to the next:

==============================  ==========================================================
method                          used by
==============================  ==========================================================
:meth:`~Family.default_prior`   the default priors of the family's own parameters
:meth:`~Family.check_response`  the design, when it reads the response column
:meth:`~Family.encode_response` the design: codes a categorical response (optional)
:meth:`~Family.pymc_likelihood` the PyMC model (``Model.pymc_model``)
:meth:`~Family.log_likelihood`  the pointwise log-likelihood (LOO, k-fold, held-out rows)
:meth:`~Family.draw_response`   ``fit.predict(kind="response")``, posterior predictive
:meth:`~Family.expected_value`  ``fit.predict(kind="mean")``, ``fit.predictions()`` (optional)
:meth:`~Family.latent_residual_variance`  ``fit.icc()``, ``fit.r2()`` (optional)
:meth:`~Family.pymc_distribution`  ``y | cens(c)``: the PyMC model (optional)
:meth:`~Family.log_cdf`         ``y | cens(c)``: the pointwise log-likelihood (optional)
==============================  ==========================================================

``pymc_likelihood``, ``log_likelihood`` and ``draw_response`` are required; the others
have defaults. A family whose mean is the inverse link keeps the default
``expected_value``; a family without a residual variance leaves that one out and the
variance partition refuses it, and a family without the two censoring hooks refuses
``cens()`` (:mod:`hiermodels.families.row_terms`). The shipped families live one per
module in this package; :func:`hiermodels.families.register` adds one of your own.

Examples
--------
>>> from hiermodels.families import get_family
>>> fam = get_family("negative_binomial")
>>> fam.links, fam.parameters, fam.support
(('log',), ('alpha',), 'count')
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from hiermodels.errors import DataError, PriorError, SpecError
from hiermodels.families.links import inverse_link
from hiermodels.families.support import SUPPORTS, Support, outside_support
from hiermodels.spec.priors import Prior

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Family", "aux_column"]


class Family(abc.ABC):
    """One response family: its declarations (class attributes) and behaviours (methods).

    Subclass it, set the attributes, implement the abstract methods, and register an
    instance with :func:`hiermodels.families.register`.

    Attributes
    ----------
    name
        The name users pass as ``family=``.
    links
        Valid link functions (names from :data:`hiermodels.families.links.LINKS`); the
        first is the default.
    parameters
        The family's own (distributional) parameters besides the mean, e.g. ``sigma``;
        each is a free variable of the model, with a prior key of the same name.
    support
        What the response may hold: ``"real"``, ``"binary"`` (0/1), ``"bounded_count"``
        (0..trials), ``"count"`` (0, 1, 2, ...), ``"ordinal"`` (ordered categories,
        coded 0..K-1 by :meth:`encode_response`), ``"unit_interval"`` (the open interval
        (0, 1)) or ``"positive"`` (> 0).
    response_scale
        ``True`` when default priors are set on the response's own scale (identity link
        families); otherwise they are set on the link scale.
    needs_trials
        ``True`` when the response needs a number of trials (``y | trials(n)``).
    reml_pilot
        ``True`` when a REML fit of the gaussian model with the same terms is a fair guide
        to how much the data determine each factor's group effects, so that
        ``parameterization="auto"`` consults it (continuous responses on the identity
        link). The other families are piloted by penalised quasi-likelihood when they
        define :meth:`working_variance` (:mod:`hiermodels.working_pilot`); without
        either, ``"auto"`` means non-centred.
    collapsible
        ``True`` for a normal response on the identity link: group effects are then
        conjugate and integrate out in closed form, which ``fit(method="marginal")``,
        ``method="gibbs"``, ``optimize()``, the exact held-out density of new levels and
        the precision-weighted estimate rely on. Such a family also implements
        :meth:`integrated_log_likelihood` and has a ``sigma`` parameter.
    model_kind
        How the summary names the model: ``"linear"`` or ``"generalized linear"``.
    parameter_meanings
        Parameter name to a short text the summary prints under "Further distributional
        parameters" (``sigma`` is listed as the residual SD instead).
    has_intercept
        ``False`` when the linear predictor has no intercept of its own: the design then
        drops the fixed intercept column (varying intercepts stay).
    thresholds
        ``True`` for a family with ``K - 1`` ordered thresholds (cutpoints) in place of
        the intercept, ``K`` being the number of categories the design records
        (:attr:`hiermodels.design.Design.categories`). They are named ``Intercept[1]``,
        ... like brms, sampled with an ordered transform, take the priors of the keys
        ``"Intercept"`` (all) and ``"Intercept[k]"`` (one), default from
        :meth:`default_prior` ``("threshold")``, and reach :meth:`pymc_likelihood` and
        :meth:`log_likelihood` as ``aux["Intercept"]`` (a vector per draw).
    category_dim
        The name of the trailing axis of :meth:`expected_value` for a family whose
        expected value is a vector per row (category probabilities), else ``None``.
    """

    name: str
    links: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    support: Support
    response_scale: bool
    needs_trials: bool = False
    reml_pilot: bool = False
    collapsible: bool = False
    model_kind: str = "generalized linear"
    parameter_meanings: Mapping[str, str] = MappingProxyType({})
    has_intercept: bool = True
    thresholds: bool = False
    category_dim: str | None = None

    # ------------------------------------------------------------------ declarations
    @property
    def default_link(self) -> str:
        """The first of :attr:`links`."""
        return self.links[0]

    @property
    def support_words(self) -> str:
        """What the response may hold, in words (for error messages)."""
        return SUPPORTS[self.support]

    @property
    def counts(self) -> bool:
        """``True`` when the response holds counts (``"count"``, ``"bounded_count"``)."""
        return self.support in ("count", "bounded_count")

    @property
    def has_latent_variance(self) -> bool:
        """``True`` when the family defines :meth:`latent_residual_variance`."""
        return type(self).latent_residual_variance is not Family.latent_residual_variance

    def __repr__(self) -> str:
        return (
            f"<family {self.name!r}: links {list(self.links)}, parameters "
            f"{list(self.parameters)}, support {self.support!r}>"
        )

    # ------------------------------------------------------------------ priors
    def default_prior(self, parameter: str, *, scale: float) -> Prior:
        """The default prior of one of :attr:`parameters`.

        ``scale`` is the standard deviation of the response for families with
        :attr:`response_scale`, and 1 (the link scale) for the others. See the default
        rule in :mod:`hiermodels.spec.priors`.
        """
        raise PriorError(f"Family {self.name!r} has no default prior for {parameter!r}.")

    # ------------------------------------------------------------------ data
    def encode_response(
        self, series: pd.Series, expr: str
    ) -> tuple[np.ndarray, tuple[object, ...]] | None:
        """A categorical response as codes ``0..K-1`` (floats) and its ``K`` category
        labels, in the order the codes follow; ``None`` (the default) for families whose
        response is numeric and is read as it is.

        Raise :class:`DataError` naming the rows and values that do not fit.
        """
        return None

    def check_response(self, values: np.ndarray, expr: str, index: pd.Index) -> None:
        """Raise :class:`DataError` naming the first rows outside the :attr:`support`.

        ``values`` are the response as finite floats; ``index`` labels the rows.
        """
        bad = outside_support(self.support, values)
        if bad.any():
            rows = index[bad][:5].tolist()
            raise DataError(
                f"The response {expr!r} must hold {self.support_words}; {int(bad.sum())} "
                f"rows do not (first rows: {rows}, values {values[bad][:5].tolist()})."
            )

    def linear_scale_response(self, y: np.ndarray) -> np.ndarray:
        """The response on the scale its linear predictor describes: ``y`` itself (a
        proportion for trials), ``log y`` for the lognormal family.

        The default priors of :attr:`response_scale` families take their location and
        scale from it, and so does the REML pilot of :attr:`reml_pilot` families.
        """
        return y

    @property
    def has_working_variance(self) -> bool:
        """``True`` when the family defines :meth:`working_variance`."""
        return type(self).working_variance is not Family.working_variance

    def working_variance(
        self, mu: np.ndarray, y: np.ndarray, trials: np.ndarray | None
    ) -> np.ndarray:
        """Variance of each row's response on the mean scale (a proportion for trials)
        given its mean ``mu``: the weight of the row in the pilot of
        ``parameterization="auto"`` (:mod:`hiermodels.working_pilot`).

        ``y`` is the response on the same scale, for families that estimate a dispersion
        from it. Families without one leave this out; ``"auto"`` then means non-centred.
        """
        raise SpecError(f"Family {self.name!r} defines no working variance.")

    def parameter_draws(self, posterior) -> dict[str, np.ndarray]:
        """The draws of :attr:`parameters` from a posterior dataset, shape (chain, draw)."""
        return {p: posterior[p].values for p in self.parameters}

    # ------------------------------------------------------------------ behaviours
    @abc.abstractmethod
    def pymc_likelihood(self, name: str, *, eta, link: str, aux: Mapping, observed, trials, dims):
        """Add the observed variable to the PyMC model in context and return it.

        Parameters
        ----------
        name
            The variable's name (the response's).
        eta
            The linear predictor tensor, one value per row.
        link
            The model's link (one of :attr:`links`).
        aux
            Parameter name to its random variable, for each of :attr:`parameters`.
        observed
            The response's data container.
        trials
            The number of trials per row (families with :attr:`needs_trials`), else
            ``None``.
        dims
            The dims of the observed variable.
        """

    @abc.abstractmethod
    def log_likelihood(
        self,
        link: str,
        *,
        eta: np.ndarray,
        y: np.ndarray,
        trials: np.ndarray | None,
        aux: Mapping[str, np.ndarray],
    ) -> np.ndarray:
        """Log density of each row for each draw, shape of ``eta`` (chain, draw, rows).

        ``aux`` holds the family's parameters with shape (chain, draw); conditional on
        the group effects (the usual "conditional" LOO of brms and ArviZ).
        """

    @abc.abstractmethod
    def draw_response(
        self,
        mean: np.ndarray,
        aux: Mapping[str, np.ndarray],
        *,
        trials: np.ndarray | None,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """One draw from the likelihood per element of ``mean`` (chain, draw, rows).

        ``mean`` is what :meth:`draw_location` gives: the inverse link of the linear
        predictor for most families (the probability for Bernoulli and binomial, the
        mean of the count component for the zero-inflated and hurdle families, the mean
        of ``log y`` for the lognormal), the category probabilities (on the trailing axis)
        for an ordinal family;
        ``aux`` holds the family's parameters with shape (chain, draw). Counts are int64.
        """

    def expected_value(
        self,
        link: str,
        *,
        eta: np.ndarray,
        aux: Mapping[str, np.ndarray],
        trials: np.ndarray | None,
    ) -> np.ndarray:
        """E[y | eta, aux] per draw and row, shape of ``eta`` (brms ``posterior_epred``).

        The default is the inverse link of ``eta``. A family whose mean is not the
        inverse link overrides it: zero-inflated ``(1 - zi) mu``, hurdle
        ``(1 - hu) mu / (1 - P(0 | mu))``, lognormal ``exp(eta + sigma² / 2)``; one whose
        expected value is a vector per row (the category probabilities of an ordinal
        family) returns it on a trailing axis named by :attr:`category_dim`. ``aux``
        holds the family's parameters, shape (chain, draw).
        """
        return inverse_link(link, eta)

    def draw_location(
        self,
        link: str,
        *,
        eta: np.ndarray,
        aux: Mapping[str, np.ndarray],
        trials: np.ndarray | None,
    ) -> np.ndarray:
        """What :meth:`draw_response` takes as ``mean``, per draw and row.

        The inverse link of ``eta`` by default (for zero-inflated and hurdle families the
        mean of the count part); a family that draws from a vector per row (an ordinal
        family's category probabilities) returns that.
        """
        return inverse_link(link, eta)

    def latent_residual_variance(self, link: str, posterior) -> np.ndarray | float:
        """The residual variance of the variance partition: per draw, or a constant.

        Families without one leave this out; :func:`hiermodels.variance.icc_draws` and
        :func:`~hiermodels.variance.r2_draws` then refuse them.
        """
        raise SpecError(f"Family {self.name!r} defines no residual variance.")

    def integrated_log_likelihood(
        self,
        link: str,
        *,
        eta: np.ndarray,
        extra_variance: np.ndarray,
        y: np.ndarray,
        aux: Mapping[str, np.ndarray],
    ) -> np.ndarray:
        """Log density with normal effects of variance ``extra_variance`` integrated out.

        Closed form for :attr:`collapsible` families only; the others raise.
        """
        raise SpecError(
            f"Family {self.name!r} has no closed-form density with group effects "
            "integrated out; use Monte Carlo."
        )

    # ------------------------------------------------------------------ censoring
    @property
    def supports_censoring(self) -> bool:
        """``True`` when the family defines :meth:`pymc_distribution` and :meth:`log_cdf`."""
        return (
            type(self).pymc_distribution is not Family.pymc_distribution
            and type(self).log_cdf is not Family.log_cdf
        )

    def _no_censoring(self) -> SpecError:
        return SpecError(
            f"family {self.name!r} does not support cens(): it defines no "
            "pymc_distribution() and log_cdf()."
        )

    def pymc_distribution(self, *, eta, link: str, aux: Mapping, trials):
        """The likelihood as an unregistered ``pm.X.dist(...)``, one element per element
        of ``eta``: censored rows take its ``pm.logcdf``/``pm.logccdf``, and the
        prior predictive draws from it. Families without it refuse ``cens()``."""
        raise self._no_censoring()

    def log_cdf(
        self,
        link: str,
        *,
        eta: np.ndarray,
        y: np.ndarray,
        trials: np.ndarray | None,
        aux: Mapping[str, np.ndarray],
    ) -> np.ndarray:
        """NumPy ``log P(Y <= y)`` per row and draw, shape of ``eta`` (chain, draw, rows);
        the arguments as in :meth:`log_likelihood`. Families without it refuse ``cens()``."""
        raise self._no_censoring()

    def log_survival(
        self,
        link: str,
        *,
        eta: np.ndarray,
        y: np.ndarray,
        trials: np.ndarray | None,
        aux: Mapping[str, np.ndarray],
    ) -> np.ndarray:
        """``log P(Y > y)``, by default ``log(1 - exp(log_cdf))``; a family may give a
        form accurate far in the upper tail."""
        log_cdf = self.log_cdf(link, eta=eta, y=y, trials=trials, aux=aux)
        with np.errstate(divide="ignore"):
            return np.where(
                log_cdf > -0.6931471805599453,
                np.log(-np.expm1(log_cdf)),
                np.log1p(-np.exp(log_cdf)),
            )


def aux_column(aux: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    """Parameter ``name`` against the rows: (chain, draw, 1), or (chain, draw, rows) as is."""
    return np.asarray(aux[name]) if np.ndim(aux[name]) == 3 else np.asarray(aux[name])[..., None]
