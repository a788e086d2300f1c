"""Build a PyMC model from a design: small functions with explicit arguments.

Group effects are non-centred: ``r = z * sd`` for uncorrelated terms and
``r = z @ L.T`` (``L`` the Cholesky factor from :class:`pymc.LKJCholeskyCov`) for a
correlated block. Fixed predictors are centred internally; the sampled intercept is
``Intercept_centered`` and the reported ``Intercept`` is a deterministic on the original
scale (as in brms).

Examples
--------
>>> import pandas as pd
>>> import hiermodels as hm
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> model = hm.Model("y ~ 1 + (1 | g)", df)
>>> sorted(v.name for v in model.pymc_model.free_RVs)
['Intercept_centered', 'sd_g', 'sigma', 'z_g']
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels.backend import naming
from hiermodels.design import Design, GroupDesign
from hiermodels.errors import PriorError
from hiermodels.linear_predictor import group_contribution
from hiermodels.spec.priors import Prior

__all__ = ["build_model", "inverse_link", "model_coords"]

_NOT_DISTRIBUTIONS = {"Data", "Deterministic", "Potential", "Model"}


def model_coords(design: Design) -> dict[str, list]:
    """Coordinates: observations, fixed terms, and per factor its levels and terms."""
    coords: dict[str, list] = {naming.OBS_DIM: list(range(design.n_obs))}
    slopes = [n for n in design.fixed.names if n != naming.INTERCEPT]
    if slopes:
        coords[naming.FIXED_DIM] = slopes
    for g in design.groups:
        coords[g.name] = list(g.levels)
        coords[naming.term_dim(g.name)] = list(g.terms)
        if g.correlated:
            coords[naming.term_dim_bis(g.name)] = list(g.terms)
    return coords


_BASE_CLASSES = {
    "Continuous",
    "Discrete",
    "Distribution",
    "SymbolicRandomVariable",
    "Censored",
    "CustomDist",
    "DensityDist",
    "Mixture",
    "Truncated",
    "Simulator",
    "DiracDelta",
}


def _valid_distributions() -> list[str]:
    return sorted(
        n
        for n in dir(pm)
        if n[0].isupper()
        and n not in _BASE_CLASSES | _NOT_DISTRIBUTIONS
        and isinstance(getattr(pm, n), type)
        and issubclass(getattr(pm, n), pm.Distribution)
    )


def _distribution(prior: Prior):
    dist = getattr(pm, prior.dist, None)
    if prior.dist in _NOT_DISTRIBUTIONS | _BASE_CLASSES or not (
        isinstance(dist, type) and issubclass(dist, pm.Distribution)
    ):
        raise PriorError(
            f"Unknown distribution {prior.dist!r} in {prior}; valid PyMC distributions are "
            f"{_valid_distributions()}."
        )
    return dist


def _parameter_names(dist) -> list[str]:
    params = inspect.signature(dist.dist).parameters.values()
    return [p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def check_prior(key: str, prior: Prior) -> None:
    """Check a prior's distribution name, parameter names and values; raise PriorError."""
    if prior.dist == "LKJ":
        if set(prior.params) != {"eta"}:
            raise PriorError(f"The LKJ prior for {key!r} takes only eta, got {prior}.")
        return
    dist = _distribution(prior)
    valid = _parameter_names(dist)
    unknown = [k for k in prior.params if k not in valid]
    if unknown:
        raise PriorError(
            f"The prior {prior} for {key!r} has unknown parameter(s) {unknown}; "
            f"{prior.dist} takes {valid}."
        )
    for k, v in prior.params.items():
        try:
            ok = np.all(np.isfinite(np.asarray(v, dtype=float)))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise PriorError(
                f"The parameter {k}={v!r} of the prior {prior} for {key!r} must be a finite number."
            )


def _random_variable(name: str, prior: Prior, **kwargs):
    dist = _distribution(prior)
    try:
        return dist(name, **prior.params, **kwargs)
    except (TypeError, ValueError) as err:
        raise PriorError(f"Cannot build the prior {prior} for {name!r}: {err}") from None


def _stacked(priors: list[Prior]) -> Prior | None:
    """One prior with array parameters, if all ``priors`` share a distribution and keys."""
    first = priors[0]
    if any(p.dist != first.dist or set(p.params) != set(first.params) for p in priors):
        return None
    params = {k: np.array([p.params[k] for p in priors], dtype=float) for k in first.params}
    return Prior(first.dist, **params)


def _vector(name: str, priors: list[Prior], dims: str, labels: list[str]):
    """A vector parameter, one prior per element; one RV when the priors stack."""
    stacked = _stacked(priors)
    if stacked is not None:
        return _random_variable(name, stacked, dims=dims)
    parts = [_random_variable(f"{name}[{lab}]", p) for lab, p in zip(labels, priors)]
    return pm.Deterministic(name, pt.stack(parts), dims=dims)


def _fixed_part(design: Design, priors: Mapping[str, Prior]):
    """Linear predictor of the fixed effects; registers Intercept and b."""
    names = list(design.fixed.names)
    X = design.fixed.matrix
    slope_idx = [i for i, n in enumerate(names) if n != naming.INTERCEPT]
    slope_names = [names[i] for i in slope_idx]
    eta = pt.zeros(design.n_obs)
    b = None
    if slope_idx:
        b = _vector(
            naming.SLOPES,
            [priors[naming.slope_slot(n)] for n in slope_names],
            naming.FIXED_DIM,
            slope_names,
        )
    if design.fixed.has_intercept:
        centre = X[:, slope_idx].mean(axis=0) if slope_idx else np.zeros(0)
        intercept_c = _random_variable(naming.CENTERED_INTERCEPT, priors[naming.INTERCEPT])
        eta = eta + intercept_c
        if slope_idx:
            X_c = pm.Data(
                naming.data_name("X"),
                X[:, slope_idx] - centre,
                dims=(naming.OBS_DIM, naming.FIXED_DIM),
            )
            eta = eta + X_c @ b
            pm.Deterministic(naming.INTERCEPT, intercept_c - pt.dot(pt.as_tensor(centre), b))
        else:
            pm.Deterministic(naming.INTERCEPT, intercept_c)
    elif slope_idx:
        X_s = pm.Data(
            naming.data_name("X"), X[:, slope_idx], dims=(naming.OBS_DIM, naming.FIXED_DIM)
        )
        eta = eta + X_s @ b
    return eta


def _block_scale(g: GroupDesign, block: tuple[int, ...], index: int, priors):
    """Scale of one block: ``(sd, None, None)`` for one term, ``(sds, chol, corr)`` else."""
    terms = [g.terms[i] for i in block]
    sd_priors = [priors[naming.sd_slot(g.name, t)] for t in terms]
    if len(block) == 1:
        sd = _random_variable(naming.block_sd_name(g.name, index), sd_priors[0])
        return pt.stack([sd]), None, None
    stacked = _stacked(sd_priors)
    if stacked is None:
        raise PriorError(
            f"The SD priors of the correlated terms {terms} of {g.name!r} must share one "
            f"distribution; got {[str(p) for p in sd_priors]}."
        )
    cor_prior = priors[naming.cor_slot(g.name)]
    sd_dist = _distribution(stacked).dist(**stacked.params, shape=len(block))
    chol, corr, sds = pm.LKJCholeskyCov(
        naming.chol_name(g.name, index, len(g.blocks)),
        n=len(block),
        eta=cor_prior.params.get("eta", 1.0),
        sd_dist=sd_dist,
        compute_corr=True,
        store_in_trace=False,
    )
    return sds, chol, corr


def _correlated_effects(g: GroupDesign, priors, centered: bool):
    """Effects of a factor with at least one correlated block; registers sd_ and cor_."""
    term_dim = naming.term_dim(g.name)
    dims = (g.name, term_dim)
    z = None if centered else pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, dims=dims)
    parts, sds, cors = [], [], []
    single = len(g.blocks) == 1
    for index, block in enumerate(g.blocks):
        sd, chol, cor = _block_scale(g, block, index, priors)
        if not centered:
            raw = z[:, list(block)]
            parts.append(raw * sd if chol is None else raw @ chol.T)
        else:
            name = (
                naming.effects_name(g.name) if single else f"{naming.effects_name(g.name)}_{index}"
            )
            kwargs = {"dims": dims} if single else {"shape": (g.n_levels, len(block))}
            if chol is None:
                parts.append(pm.Normal(name, 0.0, sd, **kwargs))
            else:
                parts.append(pm.MvNormal(name, mu=np.zeros(len(block)), chol=chol, **kwargs))
        sds.append(sd)
        cors.append((block, cor))
    if centered and single:
        effects = parts[0]
    else:
        effects = pm.Deterministic(
            naming.effects_name(g.name), pt.concatenate(parts, axis=1), dims=dims
        )
    pm.Deterministic(naming.sd_name(g.name), pt.concatenate(sds), dims=term_dim)
    cor_full = pt.eye(len(g.terms))
    for block, cor in cors:
        if cor is not None:
            idx = np.array(block)
            cor_full = pt.set_subtensor(cor_full[idx[:, None], idx[None, :]], cor)
    pm.Deterministic(
        naming.cor_name(g.name), cor_full, dims=(term_dim, naming.term_dim_bis(g.name))
    )
    return effects


def _group_part(g: GroupDesign, priors: Mapping[str, Prior], centered: bool):
    """Contribution of one grouping factor to the linear predictor.

    Non-centred: ``r = z * sd`` (or ``z @ L.T``), with ``z`` standard normal. Centred:
    ``r ~ Normal(0, sd)`` (or ``MvNormal(0, L L')``) directly; better when every level
    has much data relative to the noise.
    """
    term_dim = naming.term_dim(g.name)
    dims = (g.name, term_dim)
    if g.correlated:
        effects = _correlated_effects(g, priors, centered)
    else:
        sd = _vector(
            naming.sd_name(g.name),
            [priors[naming.sd_slot(g.name, t)] for t in g.terms],
            term_dim,
            list(g.terms),
        )
        if centered:
            effects = pm.Normal(naming.effects_name(g.name), 0.0, sd, dims=dims)
        else:
            z = pm.Normal(naming.offsets_name(g.name), 0.0, 1.0, dims=dims)
            effects = pm.Deterministic(naming.effects_name(g.name), z * sd, dims=dims)
    codes = pm.Data(naming.data_name(f"codes_{g.name}"), g.codes)
    Z = None if g.terms == (naming.INTERCEPT,) else pm.Data(naming.data_name(f"Z_{g.name}"), g.Z)
    weights = None
    if not np.all(g.weights == 1.0):
        weights = pm.Data(naming.data_name(f"weights_{g.name}"), g.weights)
    return group_contribution(effects, g, codes=codes, Z=Z, weights=weights)


def inverse_link(link: str, eta):
    """Mean of the response given the linear predictor tensor ``eta``."""
    if link == "identity":
        return eta
    if link == "log":
        return pt.exp(eta)
    if link == "logit":
        return pm.math.invlogit(eta)
    if link == "probit":
        return pm.math.invprobit(eta)
    if link == "cloglog":
        return 1.0 - pt.exp(-pt.exp(eta))
    raise ValueError(f"unknown link {link!r}")  # pragma: no cover - checked by the table


def _likelihood(design: Design, family: str, link: str, eta, priors: Mapping[str, Prior]):
    name, y, dims = design.response_name, design.y, naming.OBS_DIM
    if family == "gaussian":
        sigma = _random_variable(naming.SIGMA, priors[naming.SIGMA])
        return pm.Normal(name, mu=eta, sigma=sigma, observed=y, dims=dims)
    if family == "student_t":
        sigma = _random_variable(naming.SIGMA, priors[naming.SIGMA])
        nu = _random_variable("nu", priors["nu"])
        return pm.StudentT(name, nu=nu, mu=eta, sigma=sigma, observed=y, dims=dims)
    if family == "bernoulli":
        if link == "logit":
            return pm.Bernoulli(name, logit_p=eta, observed=y, dims=dims)
        return pm.Bernoulli(name, p=inverse_link(link, eta), observed=y, dims=dims)
    if family == "binomial":
        n = design.trials
        if link == "logit":
            return pm.Binomial(name, n=n, logit_p=eta, observed=y, dims=dims)
        return pm.Binomial(name, n=n, p=inverse_link(link, eta), observed=y, dims=dims)
    if family == "poisson":
        return pm.Poisson(name, mu=pt.exp(eta), observed=y, dims=dims)
    if family == "negative_binomial":
        alpha = _random_variable("alpha", priors["alpha"])
        return pm.NegativeBinomial(name, mu=pt.exp(eta), alpha=alpha, observed=y, dims=dims)
    raise ValueError(f"unknown family {family!r}")  # pragma: no cover - checked by the table


def build_model(
    design: Design,
    *,
    family: str,
    link: str,
    priors: Mapping[str, Prior],
    centered: Mapping[str, bool] | None = None,
) -> pm.Model:
    """Build the PyMC model for ``design``.

    Parameters
    ----------
    design
        The design arrays.
    family, link
        Validated family and link names.
    priors
        Slot name to prior, as returned by :func:`hiermodels.parameters.model_priors`.
    centered
        Factor name to ``True`` for the centred parameterisation (default: non-centred).

    Returns
    -------
    pymc.Model
        With dims named after the grouping factors and coords set to their levels.
    """
    for key, prior in priors.items():
        check_prior(key, prior)
    with pm.Model(coords=model_coords(design)) as model:
        eta = _fixed_part(design, priors)
        for g in design.groups:
            eta = eta + _group_part(g, priors, bool((centered or {}).get(g.name, False)))
        _likelihood(design, family, link, eta, priors)
    return model
