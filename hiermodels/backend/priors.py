"""Priors as PyMC random variables: checks of the distribution names and parameters, vector
parameters, and the SDs and correlations of each grouping factor's blocks."""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hiermodels import naming
from hiermodels.design import Design, GroupDesign
from hiermodels.design.smooths import group_sd_slot
from hiermodels.errors import PriorError
from hiermodels.spec.priors import Prior

__all__ = [
    "block_scale",
    "check_prior",
    "check_priors",
    "correlated_sd_prior",
    "distribution",
    "parameter_names",
    "prior_value",
    "random_variable",
    "scales",
    "stacked",
    "valid_distributions",
    "vector",
]


_NOT_DISTRIBUTIONS = {"Data", "Deterministic", "Potential", "Model"}


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


def valid_distributions() -> list[str]:
    return sorted(
        n
        for n in dir(pm)
        if n[0].isupper()
        and n not in _BASE_CLASSES | _NOT_DISTRIBUTIONS
        and isinstance(getattr(pm, n), type)
        and issubclass(getattr(pm, n), pm.Distribution)
    )


def distribution(prior: Prior):
    dist = getattr(pm, prior.dist, None)
    if prior.dist in _NOT_DISTRIBUTIONS | _BASE_CLASSES or not (
        isinstance(dist, type) and issubclass(dist, pm.Distribution)
    ):
        raise PriorError(
            f"Unknown distribution {prior.dist!r} in {prior}; valid PyMC distributions are "
            f"{valid_distributions()}."
        )
    return dist


def parameter_names(dist) -> list[str]:
    params = inspect.signature(dist.dist).parameters.values()
    return [p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def check_prior(key: str, prior: Prior) -> None:
    """Check a prior's distribution name, parameter names and values; raise PriorError."""
    if prior.dist == "LKJ":
        if set(prior.params) != {"eta"}:
            raise PriorError(f"The LKJ prior for {key!r} takes only eta, got {prior}.")
        return
    dist = distribution(prior)
    valid = parameter_names(dist)
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


def prior_value(name: str, value):
    """A prior's number(s) as a data container named ``data_prior_<name>``, created once
    per model.

    Default priors scale with the data (brms-style), so as constants they would make the
    compiled model differ for every data set. As data, a model of the same structure on
    other data, or with other prior values, reuses the compiled code from the cache
    (:mod:`hiermodels.cached_entry`).
    """
    model = pm.modelcontext(None)
    key = naming.data_name(f"prior_{name}")
    if key in model.named_vars:
        return model[key]
    array = np.asarray(value)
    if array.dtype.kind not in "iub":
        array = array.astype(float)
    return pm.Data(key, array)


def random_variable(name: str, prior: Prior, **kwargs):
    dist = distribution(prior)
    params = {k: prior_value(f"{name}_{k}", v) for k, v in prior.params.items()}
    try:
        return dist(name, **params, **kwargs)
    except (TypeError, ValueError) as err:
        raise PriorError(f"Cannot build the prior {prior} for {name!r}: {err}") from None


def stacked(priors: list[Prior]) -> Prior | None:
    """One prior with array parameters, if all ``priors`` share a distribution and keys."""
    first = priors[0]
    if any(p.dist != first.dist or set(p.params) != set(first.params) for p in priors):
        return None
    params = {k: np.array([p.params[k] for p in priors], dtype=float) for k in first.params}
    return Prior(first.dist, **params)


def vector(name: str, priors: list[Prior], dims: str, labels: list[str]):
    """A vector parameter, one prior per element; one RV when the priors stack."""
    joint = stacked(priors)
    if joint is not None:
        return random_variable(name, joint, dims=dims)
    parts = [random_variable(f"{name}[{lab}]", p) for lab, p in zip(labels, priors)]
    return pm.Deterministic(name, pt.stack(parts), dims=dims)


def correlated_sd_prior(g: GroupDesign, block: tuple[int, ...], priors) -> Prior:
    """The one SD prior of a correlated block; its terms' SD priors must stack."""
    terms = [g.terms[i] for i in block]
    sd_priors = [priors[group_sd_slot(g, t)] for t in terms]
    joint = stacked(sd_priors)
    if joint is None:
        raise PriorError(
            f"The SD priors of the correlated terms {terms} of {g.name!r} must share one "
            f"distribution; got {[str(p) for p in sd_priors]}."
        )
    return joint


def check_priors(design: Design, priors: Mapping[str, Prior]) -> None:
    """Every prior names a PyMC distribution with valid parameters, and correlated
    blocks have SD priors that stack. Raises :class:`PriorError`."""
    for key, prior in priors.items():
        check_prior(key, prior)
    for g in design.groups:
        for block in g.blocks:
            if len(block) > 1:
                correlated_sd_prior(g, block, priors)


def block_scale(g: GroupDesign, block: tuple[int, ...], index: int, priors):
    """Scale of one block: ``(sd, None, None)`` for one term, ``(sds, chol, corr)`` else."""
    if len(block) == 1:
        sd_prior = priors[group_sd_slot(g, g.terms[block[0]])]
        sd = random_variable(naming.block_sd_name(g.name, index), sd_prior)
        return pt.stack([sd]), None, None
    joint = correlated_sd_prior(g, block, priors)
    cor_prior = priors[naming.cor_slot(g.name)]
    name = naming.chol_name(g.name, index, len(g.blocks))
    params = {k: prior_value(f"{name}_sd_{k}", v) for k, v in joint.params.items()}
    sd_dist = distribution(joint).dist(**params, shape=len(block))
    chol, corr, sds = pm.LKJCholeskyCov(
        name,
        n=len(block),
        eta=prior_value(f"{name}_eta", cor_prior.params.get("eta", 1.0)),
        sd_dist=sd_dist,
        compute_corr=True,
        store_in_trace=False,
    )
    return sds, chol, corr


def scales(g: GroupDesign, priors):
    """Per block ``(terms, sd, chol, cor)``; uncorrelated factors get one SD vector."""
    term_dim = naming.term_dim(g.name)
    if not g.correlated:
        sd = vector(
            naming.sd_name(g.name),
            [priors[group_sd_slot(g, t)] for t in g.terms],
            term_dim,
            list(g.terms),
        )
        return [(tuple(range(len(g.terms))), sd, None, None)]
    blocks = []
    for index, block in enumerate(g.blocks):
        sd, chol, cor = block_scale(g, block, index, priors)
        blocks.append((block, sd, chol, cor))
    pm.Deterministic(naming.sd_name(g.name), pt.concatenate([b[1] for b in blocks]), dims=term_dim)
    cor_full = pt.eye(len(g.terms))
    for block, _, _, cor in blocks:
        if cor is not None:
            idx = np.array(block)
            cor_full = pt.set_subtensor(cor_full[idx[:, None], idx[None, :]], cor)
    pm.Deterministic(
        naming.cor_name(g.name), cor_full, dims=(term_dim, naming.term_dim_bis(g.name))
    )
    return blocks
