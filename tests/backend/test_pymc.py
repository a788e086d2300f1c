"""The PyMC backend's refit weights: one model of all rows that fits any subset of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import hiermodels as hm
from hiermodels.backend.pymc import build_model
from hiermodels.backend.refit import REFIT_WEIGHTS, refit_data


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(18)
    n = 60
    g = rng.integers(0, 6, n)
    h = rng.integers(0, 4, n)
    y = 1.0 + rng.normal(0, 0.7, 6)[g] + rng.normal(0, 0.5, 4)[h] + rng.normal(0, 1.0, n)
    return pd.DataFrame(
        {
            "y": y,
            "y01": (y > 1.0).astype(int),
            "w": rng.uniform(0.5, 2.0, n),
            "g": [f"g{i}" for i in g],
            "h": [f"h{i}" for i in h],
        }
    )


CASES = {
    "gaussian, every effect sampled": ("y ~ 1 + (1 | g)", "gaussian", None),
    "gaussian, g integrated out": ("y ~ 1 + (1 | g)", "gaussian", "g"),
    "gaussian, g integrated out, h sampled": ("y ~ 1 + (1 | g) + (1 | h)", "gaussian", "g"),
    "bernoulli": ("y01 ~ 1 + (1 | g)", "bernoulli", None),
    "gaussian with weights()": ("y | weights(w) ~ 1 + (1 | g)", "gaussian", None),
}


def _graph(model: hm.Model, collapsed, **kwargs) -> pm.Model:
    return build_model(
        model.design,
        family=model.family,
        link=model.link,
        priors=model.priors,
        centered={g.name: False for g in model.design.groups},
        collapsed=collapsed,
        **kwargs,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_refit_weights_give_the_log_density_of_the_kept_rows(case):
    """With 0/1 weights, the model of all rows has the log density of the model built on
    the kept rows (every level keeps rows here, and there are no slopes, whose centring
    would follow the rows), at random points, to 1e-10."""
    formula, family, collapsed = CASES[case]
    data = _data()
    keep = np.arange(len(data)) % 3 != 0
    full = hm.Model(formula, data, family=family)
    # the kept rows' model, with the full model's (resolved) priors
    part = hm.Model(formula, data[keep], family=family, priors=full.priors)
    assert [g.levels for g in part.design.groups] == [g.levels for g in full.design.groups]
    weighted = _graph(full, collapsed, refit_weights=True)
    reference = _graph(part, collapsed)
    with weighted:
        pm.set_data(refit_data(full.design, keep, collapsed))
    logp_weighted = weighted.compile_logp(mode="FAST_COMPILE")
    logp_reference = reference.compile_logp(mode="FAST_COMPILE")
    rng = np.random.default_rng(1)
    start = reference.initial_point()
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in start.items()}
        expected = logp_reference(point)
        assert np.isfinite(expected)
        np.testing.assert_allclose(logp_weighted(point), expected, rtol=1e-10)


def test_refit_weights_of_all_rows_change_nothing():
    """Weights of one (the values built in) give the model's own log density."""
    formula, family, _ = CASES["bernoulli"]
    model = hm.Model(formula, _data(), family=family)
    weighted = _graph(model, None, refit_weights=True)
    plain = _graph(model, None)
    assert REFIT_WEIGHTS in weighted.named_vars and REFIT_WEIGHTS not in plain.named_vars
    point = plain.initial_point()
    np.testing.assert_allclose(
        weighted.compile_logp(mode="FAST_COMPILE")(point),
        plain.compile_logp(mode="FAST_COMPILE")(point),
        rtol=1e-12,
    )
