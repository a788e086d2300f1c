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

#: PyTensor's mode for the optimiser's objective and the Hessian's gradient: Python
#: thunks run by the VM, not numba. The optimiser needs a few hundred evaluations, and
#: numba's compile of the collapsed graph took 17-27 s on an empty cache (radon,
#: sleepstudy, Hsb82: 3.0, 7.0 and 2.0 s in all with this mode; the same estimates).
#: :func:`_python_mode` (no VM) is for the functions evaluated a few times only.
_OPTIMISER_MODE = "FAST_COMPILE"


def _fixed_tensor(pm_model, design):
    import pytensor.tensor as pt

    parts = []
    if design.fixed.has_intercept:
        parts.append(pm_model[naming.INTERCEPT][None])
    if naming.SLOPES in pm_model.named_vars:
        parts.append(pm_model[naming.SLOPES])
    return pt.concatenate(parts) if parts else pt.zeros(0)


def _python_mode():
    """PyTensor's Python linker, for a function evaluated a few times only."""
    from pytensor.compile.mode import Mode

    return Mode(linker="py", optimizer="fast_compile")


def _unflatten(x: np.ndarray, shapes: dict) -> dict:
    out, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        out[name] = x[offset : offset + size].reshape(shape)
        offset += size
    return out


def _central_jacobian(f, x: np.ndarray) -> np.ndarray:
    """d f / d x by central differences, step 1e-5 * max(1, |x_i|) (error ~1e-10)."""
    columns = []
    for i in range(x.size):
        step = 1e-5 * max(1.0, abs(float(x[i])))
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        columns.append((np.asarray(f(up), float) - np.asarray(f(down), float)) / (2 * step))
    return np.stack(columns, axis=-1)


def fit_map(model) -> PointEstimate:
    """The MAP estimate of ``model`` (a gaussian :class:`hiermodels.Model`)."""
    import pymc as pm
    import pytensor

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
        compile_kwargs={"mode": _OPTIMISER_MODE},
    )
    mode = tree["posterior"].to_dataset().squeeze(("chain", "draw"), drop=True)
    point = {name: np.asarray(mode[name].values) for name in mode.data_vars}
    result = tree["optimizer_result"].to_dataset()
    # The optimiser's x holds the unconstrained values, in the order of value_vars.
    start_point = pm_model.initial_point()
    shapes = {v.name: np.shape(start_point[v.name]) for v in pm_model.value_vars}
    flat = np.asarray(result["x"].values, dtype=float)
    values = _unflatten(flat, shapes)
    # Laplace: covariance of the unconstrained values, then the delta method. Both
    # derivatives are central differences of compiled functions: the Hessian of the
    # analytic gradient, the Jacobian of the fixed effects. Symbolic second derivatives
    # build scans whose compilation took 85-120 s on an empty cache.
    dlogp = pm_model.compile_dlogp(jacobian=True, mode=_OPTIMISER_MODE)
    hessian = -_central_jacobian(lambda x: dlogp(_unflatten(x, shapes)), flat)
    hessian = (hessian + hessian.T) / 2
    fixed = pm_model.replace_rvs_by_values([_fixed_tensor(pm_model, design)])[0]
    fixed_fn = pytensor.function(
        pm_model.value_vars, fixed, on_unused_input="ignore", mode=_python_mode()
    )
    jac_value = _central_jacobian(lambda x: fixed_fn(*_unflatten(x, shapes).values()), flat)
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
        pytensor.function(
            pm_model.value_vars, potential, on_unused_input="ignore", mode=_python_mode()
        )(*values.values())
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
        theta=flat,
    )
