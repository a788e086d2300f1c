"""The flat arrays that describe a GLMM with varying intercepts and slopes to its kernel.

:mod:`hiermodels.kernels.glmm_density` evaluates the non-collapsed models of the
families in :data:`hiermodels.kernels.glmm_rows.FAMILIES` from two arrays, ``ints``
(where each parameter sits in nutpie's flat vector, the factors, their blocks and level
codes, the shear, the expand program) and ``floats`` (prior constants and the rows'
data). They are read off the PyMC model (names, order and transforms of its variables),
the shear plan and the priors; anything else (another family or link, a prior family
the kernel lacks, row terms other than a gaussian model's ``cens()``, distributional
parameters other than a gaussian or lognormal sigma with fixed terms, AR(1), known
covariances) gives ``None``, and the PyMC graph is compiled instead.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"),
...                  family="student_t")
>>> layout = glmm_layout(model.pymc_model, model)
>>> layout.shape_info[0][:3]
['chol_Subject_cholesky-cov-packed__', 'zbar_Subject', 'w_Subject']
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from hiermodels import naming
from hiermodels.backend.distributional import slope_columns
from hiermodels.backend.shear import shear_plan
from hiermodels.collapsed_layout import KernelLayout
from hiermodels.families import get_family
from hiermodels.families.row_terms import family_parameters
from hiermodels.glmm_arrays import SIGMA_INTERCEPT, SIGMA_SLOPES, assemble
from hiermodels.kernel_priors import (
    Unsupported,
    normal_moments,
    positive_row,
    require,
    scale_variable,
    support_point,
)
from hiermodels.kernels.glmm_hyper import PROBABILITY
from hiermodels.kernels.glmm_rows import COLLAPSED_GAUSSIAN, FAMILIES, ORDINAL
from hiermodels.spec.distributional import intercept_key, slope_keys

__all__ = ["glmm_layout"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def glmm_layout(
    pymc_model, model, *, keep=None, y=None, collapsed: str | None = None
) -> KernelLayout | None:
    """The kernel's layout of ``pymc_model`` (the full model of ``model``), or None.

    ``keep``: the training rows of a refit (a boolean mask over the model's rows; then
    ``pymc_model`` is the refit model of :class:`hiermodels.inference.refit.RowRefits`,
    whose 0/1 row weights the kernel applies by leaving the other rows out). ``y``:
    another response for the same rows (a simulation of SBC). ``collapsed``: the
    factor whose effects ``pymc_model`` integrates out (``model.collapsed_model``).
    """
    try:
        return _Reader(pymc_model, model, keep, y, collapsed).layout()
    except Unsupported:
        return None


def _censoring_covered(design, family: int, collapsed: str | None) -> bool:
    """A gaussian model with ``cens()`` and no other row term (its censored rows are
    :mod:`hiermodels.kernels.glmm_censored`'s)."""
    rows = design.row_terms
    return (
        family == FAMILIES["gaussian", "identity"]
        and collapsed is None
        and rows.cens is not None
        and rows.se is None
        and rows.weights is None
    )


def _sigma_formula_covered(design, family: int) -> bool:
    """A gaussian or lognormal model whose sigma has a formula of fixed terms only
    (log link, an intercept, no offset): the kernel's ``sigma_at`` record."""
    if family not in (FAMILIES["gaussian", "identity"], FAMILIES["lognormal", "identity"]):
        return False
    if len(design.distributional) != 1:
        return False
    part = design.distributional[0]
    sub = part.design
    return (
        part.parameter == "sigma"
        and part.link == "log"
        and not sub.groups
        and sub.fixed.has_intercept
        and sub.offset is None
    )


def _centred_blocks(g) -> tuple[tuple[int, ...], ...]:
    """The blocks of a centred factor's sampled deviations: its correlated blocks, or
    one of all terms (:func:`hiermodels.backend.priors.scales`)."""
    return g.blocks if g.correlated else (tuple(range(len(g.terms))),)


def _check(pymc_model, model, refit: bool, collapsed: str | None) -> int:
    design = model.design
    family = FAMILIES.get((model.family, model.link))
    if collapsed is not None:
        if family != FAMILIES["gaussian", "identity"] or refit or design.row_terms is not None:
            raise Unsupported
        names = [p.name for p in pymc_model.potentials]
        if names != [naming.collapsed_loglik_name()] or pymc_model.observed_RVs:
            raise Unsupported
        if design.group(collapsed).codes.shape[1] != 1 or design.offset is not None:
            raise Unsupported
        family = COLLAPSED_GAUSSIAN
    if family is None or design.autocor is not None:
        raise Unsupported
    if design.row_terms is not None and not _censoring_covered(design, family, collapsed):
        raise Unsupported
    if design.distributional and not _sigma_formula_covered(design, family):
        raise Unsupported
    if collapsed is not None:
        return family
    # the likelihood: observed, or (a refit model) its rows' weighted sum as a Potential
    likelihood = [p.name for p in pymc_model.potentials] if refit else len(pymc_model.observed_RVs)
    if likelihood != ([f"{design.response_name}_weighted"] if refit else 1):
        raise Unsupported
    if refit and pymc_model.observed_RVs:
        raise Unsupported
    if (naming.data_name("refit_weights") in pymc_model.named_vars) != refit:
        raise Unsupported
    if any(g.covariance is not None for g in design.groups):
        raise Unsupported
    if family == 1 and design.trials is None:
        raise Unsupported
    return family


def _threshold_prior(prior) -> list[float]:
    """A threshold's prior row ``[kind, mu, sigma, nu, constant]``: 0 Normal, 1 Student-t."""
    if prior.dist not in ("Normal", "StudentT") or "mu" not in prior.params:
        raise Unsupported
    mu, sigma = float(prior.params["mu"]), float(prior.params.get("sigma", 1.0))
    if prior.dist == "Normal":
        return [0.0, mu, sigma, 1.0, -_HALF_LOG_2PI - math.log(sigma)]
    nu = float(prior.params["nu"])
    const = gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * math.log(nu * math.pi)
    return [1.0, mu, sigma, nu, float(const) - math.log(sigma)]


class _Reader:
    """Reads the free variables of the PyMC model in nutpie's order."""

    def __init__(self, pymc_model, model, keep=None, y=None, collapsed=None):
        self.pymc_model, self.model, self.collapsed = pymc_model, model, collapsed
        self.y = np.asarray(model.design.y if y is None else y, float)
        self.family = _check(pymc_model, model, keep is not None, collapsed)
        n = model.design.n_obs
        self.rows = np.arange(n) if keep is None else np.flatnonzero(np.asarray(keep, bool))
        self.design, self.priors = model.design, model.priors
        thresholds = get_family(model.family).thresholds
        self.plan = shear_plan(self.design, self.priors, thresholds=thresholds, collapsed=collapsed)
        self.names, self.slices, self.shapes, self.renamed, self.start = [], [], [], [], []
        self.offsets: dict[str, int] = {}
        self.at = 0
        self.factors = [
            {"blocks": [], "zbar": -1, "w": {}, "centred": None} for _ in self.design.groups
        ]
        self.aux: list[tuple[int, int, list[float]]] = []  # order, x, prior row
        self.hyper: list[int] = []
        self.constant = 0.0
        #: sigma's formula: its intercept's and slopes' places in x and Normal priors
        self.sigma_x: dict[str, int] = {}
        self.sigma_prior: dict[str, list[tuple[float, float]]] = {}

    # -------------------------------------------------------------- variables
    def _factor_of(self, name: str):
        for f, g in enumerate(self.design.groups):
            scale_names = {
                naming.sd_name(g.name),
                *(f"{naming.sd_name(g.name)}[{t}]" for t in g.terms),
            }
            scale_names |= {naming.block_sd_name(g.name, i) for i in range(len(g.blocks))}
            scale_names |= {
                naming.chol_name(g.name, i, len(g.blocks)) for i in range(len(g.blocks))
            }
            if name in scale_names:
                return f, "scale", None
            if name == naming.mean_offsets_name(g.name):
                return f, "zbar", None
            if name == naming.offsets_name(g.name):
                return f, "z", None
            for i, block in enumerate(_centred_blocks(g)):
                if name == naming.deviations_name(g.name, i, len(_centred_blocks(g))):
                    return f, "w", block
        return None

    def _variable(self, rv, transform: str | None) -> tuple[tuple, list[float]]:
        name, at, design = rv.name, self.at, self.design
        found = self._factor_of(name)
        if found is not None:
            f, role, block = found
            g, slot = design.groups[f], self.factors[f]
            J, q = g.n_levels, len(g.terms)
            if role == "scale":
                before = len(slot["blocks"])
                shape, values = scale_variable(
                    g, self.priors, name, transform, at, slot["blocks"], extended=True
                )
                for block_record in slot["blocks"][before:]:
                    kind, x0, terms = block_record[:3]
                    size = 1 if kind == 0 else len(terms) * (len(terms) + 1) // 2
                    self.hyper.extend(range(x0, x0 + size))
                return shape, values
            if transform is not None:
                raise Unsupported
            if role == "zbar":
                slot["zbar"] = at
                self.hyper.extend(range(at, at + q))
                self.constant -= _HALF_LOG_2PI * q
                return (q,), [0.0] * q
            terms = g.terms if role == "z" else [g.terms[t] for t in block]
            centred = role == "w"
            if slot["centred"] not in (None, centred):
                raise Unsupported
            slot["centred"] = centred
            columns = range(q) if role == "z" else block
            for m, t in enumerate(columns):
                slot["w"][t] = (at + m, len(terms))
            self.constant -= _HALF_LOG_2PI * (J - 1) * len(terms)
            return (J - 1, len(terms)), [0.0] * ((J - 1) * len(terms))
        return self._coefficient_or_aux(name, transform, rv)

    def _thresholds(self, rv, transform):
        """An ordinal model's thresholds (one ordered vector with its own priors, or,
        sheared, the prior ``MvNormal(m, S + W W')`` of the shear record)."""
        n = len(self.design.categories) - 1
        if transform != "ordered":
            raise Unsupported
        if self.plan.coefficients:
            rows = [[2.0, 0.0, 1.0, 1.0, 0.0]] * n  # kind 2: no prior of their own
            self.c_x = [-1 - k for k in range(n)]  # the shear's c_k is the threshold k
            self.constant -= _HALF_LOG_2PI * n
        else:
            rows = [_threshold_prior(self.priors[slot]) for slot in naming.threshold_names(n)]
        self.thresholds = (n, self.at, rows)
        self.hyper.extend(range(self.at, self.at + n))
        start = np.asarray(self.pymc_model.rvs_to_initial_values[rv], float)
        return (n,), [start[0], *np.log(np.diff(start))]

    def _sigma_coefficients(self, name):
        """The intercept (``sigma_Intercept_centered``) or slopes (``sigma_b``) of
        sigma's formula, with their Normal priors; None for another name."""
        slopes = self.sigma_slopes
        if slopes is None or name not in (SIGMA_INTERCEPT, SIGMA_SLOPES) or name in self.sigma_x:
            return None
        if name == SIGMA_INTERCEPT:
            keys = [intercept_key("sigma")]
        else:
            keys = [slope_keys("sigma", n)[0] for n in slopes]
        moments = [require(normal_moments(self.priors[k], 1)) for k in keys]
        self.sigma_x[name] = self.at
        self.sigma_prior[name] = [(float(mu[0]), float(sd[0])) for mu, sd in moments]
        self.constant -= sum(_HALF_LOG_2PI + math.log(sd[0]) for _, sd in moments)
        shape = () if name == SIGMA_INTERCEPT else (len(slopes),)
        return shape, [float(mu[0]) for mu, _ in moments]

    def _coefficient_or_aux(self, name, transform, rv=None):
        plan, at = self.plan, self.at
        if transform is None and (found := self._sigma_coefficients(name)) is not None:
            return found
        if name == naming.CENTERED_INTERCEPT and self.family == ORDINAL:
            return self._thresholds(rv, transform)
        own_intercept = plan.coefficients != (naming.INTERCEPT,)
        if name == naming.CENTERED_INTERCEPT and transform is None:
            self.ic_x = at
            if own_intercept and naming.INTERCEPT not in plan.coefficients:
                mu, sd = require(normal_moments(self.priors[naming.INTERCEPT], 1))
                self.ic_prior = (float(mu[0]), float(sd[0]))
                self.constant -= _HALF_LOG_2PI + math.log(sd[0])
                return (), [float(mu[0])]
            self.c_x = [at]
            self.hyper.append(at)
            self.constant -= _HALF_LOG_2PI
            return (), [float(plan.prior_mean[0])]
        if name == naming.CENTERED_COEFFICIENTS and transform is None and plan.joint:
            p = len(plan.coefficients)
            self.c_x = list(range(at, at + p))
            self.hyper.extend(self.c_x)
            self.constant -= _HALF_LOG_2PI * p
            if naming.INTERCEPT in plan.coefficients:
                self.ic_x = at + plan.coefficients.index(naming.INTERCEPT)
            return (p,), [float(v) for v in plan.prior_mean]
        own_name = naming.CENTERED_SLOPES if plan.joint else naming.SLOPES
        if name == own_name and transform is None:
            own = self.own_slopes
            moments = [require(normal_moments(self.priors[naming.slope_slot(n)], 1)) for n in own]
            self.own_x = at
            self.own_prior = [(float(mu[0]), float(sd[0])) for mu, sd in moments]
            self.constant -= sum(_HALF_LOG_2PI + math.log(sd) for _, sd in self.own_prior)
            return (len(own),), [mu for mu, _ in self.own_prior]
        if name in self.aux_names and transform == "log":
            row = require(positive_row(self.priors[name], 1, extended=True))[0]
            self.aux.append((self.aux_names.index(name), at, row))
            self.hyper.append(at)
            return (), [math.log(support_point(row))]
        prior = self.priors.get(name)
        if name in self.aux_names and transform == "logodds" and prior.dist == "Beta":
            a, b = float(prior.params["alpha"]), float(prior.params["beta"])
            const = float(gammaln(a + b) - gammaln(a) - gammaln(b))
            self.aux.append((self.aux_names.index(name), at, [PROBABILITY, const, a, b]))
            self.hyper.append(at)
            return (), [math.log(a / b)]  # logit of the Beta's mean
        raise Unsupported

    # ------------------------------------------------------------------ read
    def layout(self) -> KernelLayout:
        design, plan = self.design, self.plan
        slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
        self.own_slopes = [n for n in slopes if not (plan.joint and n in plan.coefficients)]
        self.aux_names = family_parameters(get_family(self.model.family), None)
        self.sigma_slopes = None  # sigma's formula's slopes, when it has a formula
        if design.distributional:  # then sigma is not a parameter of its own
            self.aux_names = tuple(n for n in self.aux_names if n != "sigma")
            self.sigma_slopes = slope_columns(design.distributional[0].design)[0]
        self.ic_x, self.ic_prior, self.c_x, self.own_x, self.own_prior = -1, None, [], -1, []
        self.thresholds = None
        for rv in self.pymc_model.free_RVs:
            value = self.pymc_model.rvs_to_values[rv]
            transform = getattr(self.pymc_model.rvs_to_transforms.get(rv), "name", None)
            shape, values = self._variable(rv, transform)
            size = int(np.prod(shape, dtype=int))
            self.names.append(value.name)
            self.slices.append(slice(self.at, self.at + size))
            self.shapes.append(tuple(shape))
            self.offsets[rv.name] = self.at
            if transform is not None:
                self.renamed.append(value.name)
            self.start.extend(values)
            self.at += size
        self._check_complete()
        self.aux.sort()  # the family's order, as the rows' kernel takes them
        return assemble(self, slopes)

    def _check_complete(self):
        design = self.design
        if design.fixed.has_intercept and self.ic_x < 0:
            raise Unsupported
        if (self.family == ORDINAL) != (self.thresholds is not None):
            raise Unsupported
        if self.own_slopes and self.own_x < 0:
            raise Unsupported
        if len(self.aux) != len(self.aux_names):
            raise Unsupported
        if design.distributional:
            expected = {SIGMA_INTERCEPT} | ({SIGMA_SLOPES} if self.sigma_slopes else set())
            if set(self.sigma_x) != expected:
                raise Unsupported
        if self.plan.coefficients and not self.c_x:
            raise Unsupported
        for g, slot in zip(design.groups, self.factors, strict=True):
            covered = sorted(t for b in slot["blocks"] for t in b[2])
            if covered != list(range(len(g.terms))):
                raise Unsupported
            if g.name == self.collapsed:
                if slot["zbar"] >= 0 or slot["w"]:
                    raise Unsupported
                continue
            if slot["zbar"] < 0:
                raise Unsupported
            if sorted(slot["w"]) != list(range(len(g.terms))):
                raise Unsupported
