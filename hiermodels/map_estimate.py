"""Posterior mode (MAP) of a gaussian model with its group effects integrated out.

``model.optimize(criterion="map")`` maximises the same collapsed posterior that
``fit(method="marginal")`` samples (:mod:`hiermodels.collapsed`), priors included. With
the group effects integrated out the mode is well defined (the joint mode over effects
and SDs is not: it sits at SD = 0). Standard errors of the fixed effects come from the
Laplace approximation: the inverse negative Hessian on the sampler's unconstrained
scale, mapped to the reported coefficients by the delta method.

Examples
--------
>>> import hiermodels as hm
>>> model = hm.Model("Reaction ~ Days + (Days | Subject)", hm.datasets.load("sleepstudy"))
>>> est = model.optimize(criterion="map")  # doctest: +SKIP
>>> est.fixed_effects["estimate"].round(1).tolist()  # doctest: +SKIP
[251.4, 10.5]
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from hiermodels import naming
from hiermodels.errors import SpecError
from hiermodels.optimize import PointEstimate

__all__ = ["fit_map"]


def _fixed_tensor(pm_model, design):
    import pytensor.tensor as pt

    parts = []
    if design.fixed.has_intercept:
        parts.append(pm_model[naming.INTERCEPT][None])
    if naming.SLOPES in pm_model.named_vars:
        parts.append(pm_model[naming.SLOPES])
    return pt.concatenate(parts) if parts else pt.zeros(0)


def fit_map(model) -> PointEstimate:
    """The MAP estimate of ``model`` (a gaussian :class:`hiermodels.Model`)."""
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    factor = model.collapsed_factor("marginal")
    design = model.design
    if len(design.groups) > 1:
        raise SpecError(
            "criterion='map' integrates the group effects out of a model with one grouping "
            f"factor; this model has {[g.name for g in design.groups]}, and the joint mode "
            "over the other factors' effects and SDs is degenerate. Use criterion='reml' "
            "or 'ml', or sample with fit()."
        )
    pm_model = model.collapsed_model(factor)
    start = time.perf_counter()
    tree = pm.find_MAP(
        model=pm_model,
        progressbar=False,
        random_seed=0,
        return_inferencedata=True,
        jitter=False,
        compile_kwargs={"mode": "FAST_RUN"},
    )
    mode = tree["posterior"].to_dataset().squeeze(("chain", "draw"), drop=True)
    point = {name: np.asarray(mode[name].values) for name in mode.data_vars}
    result = tree["optimizer_result"].to_dataset()
    # The optimiser's x holds the unconstrained values, in the order of value_vars.
    start_point = pm_model.initial_point()
    values, offset = {}, 0
    for v in pm_model.value_vars:
        shape = np.shape(start_point[v.name])
        size = int(np.prod(shape))
        values[v.name] = result["x"].values[offset : offset + size].reshape(shape)
        offset += size
    # Laplace: covariance of the unconstrained values, then the delta method.
    hessian = -pm_model.compile_d2logp(negate_output=False, mode="FAST_RUN")(values)
    fixed = pm_model.replace_rvs_by_values([_fixed_tensor(pm_model, design)])[0]
    jac = pt.concatenate(
        [
            pytensor.gradient.jacobian(fixed, v, disconnected_inputs="ignore").reshape(
                (fixed.shape[0], -1)
            )
            for v in pm_model.value_vars
        ],
        axis=1,
    )
    jac_value = pytensor.function(pm_model.value_vars, jac, on_unused_input="ignore")(
        *values.values()
    )
    cov = jac_value @ np.linalg.inv(hessian) @ jac_value.T
    estimate = np.concatenate(
        ([float(point[naming.INTERCEPT])] if design.fixed.has_intercept else [])
        + ([np.atleast_1d(point[naming.SLOPES])] if naming.SLOPES in point else []),
        axis=None,
    )
    se = np.sqrt(np.diag(cov))
    fixed_table = pd.DataFrame(
        {"estimate": estimate, "std_error": se, "t_value": estimate / se},
        index=pd.Index(design.fixed.names, name="term"),
    )
    rows = []
    for g in design.groups:
        sds = np.atleast_1d(point[naming.sd_name(g.name)])
        for term, sd in zip(g.terms, sds):
            rows.append({"group": g.name, "term": term, "kind": "sd", "estimate": float(sd)})
        cor = point.get(naming.cor_name(g.name))
        for block in g.blocks:
            for i, a in enumerate(block):
                for b in block[i + 1 :]:
                    rows.append(
                        {
                            "group": g.name,
                            "term": f"{g.terms[a]}:{g.terms[b]}",
                            "kind": "cor",
                            "estimate": float(cor[a, b]),
                        }
                    )
    rows.append(
        {"group": "Residual", "term": "", "kind": "sd", "estimate": float(point[naming.SIGMA])}
    )
    potential = pm_model.replace_rvs_by_values(list(pm_model.potentials))[0]
    loglik = float(
        pytensor.function(pm_model.value_vars, potential, on_unused_input="ignore")(
            *values.values()
        )
    )
    k = (
        len(design.fixed.names)
        + sum(
            len(g.terms) + sum(len(b) * (len(b) - 1) // 2 for b in g.blocks) for g in design.groups
        )
        + 1
    )
    return PointEstimate(
        criterion="map",
        fixed_effects=fixed_table,
        variance_components=pd.DataFrame(rows),
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + k * math.log(design.n_obs),
        n_obs=design.n_obs,
        n_parameters=k,
        converged=bool(result["success"].values),
        seconds=time.perf_counter() - start,
        theta=np.concatenate([np.ravel(v) for v in values.values()]),
    )
