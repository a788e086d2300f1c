"""nutpie without the arviz meta-package: its trace becomes the DataTree that nutpie's own
conversion gives, value for value, and ``import arviz`` elsewhere still gives arviz."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from hiermodels.nutpie_trace import import_nutpie, sample_tree
from hiermodels.sampling import compiled_for


@pytest.fixture(scope="module")
def funnel():
    """Neal's funnel with a named vector: divergences at a low target acceptance."""
    with pm.Model(coords={"unit": ["a", "b", "c"]}) as model:
        log_scale = pm.Normal("log_scale", 0.0, 3.0)
        pm.Normal("x", 0.0, pm.math.exp(log_scale / 2), dims="unit")
        pm.HalfNormal("spread", 1.0, shape=2)  # a transformed vector without dims
    return compiled_for(model)


def _without_timestamp(tree, group):
    data = tree[group].to_dataset()
    data.attrs.pop("created_at")
    return data


@pytest.mark.parametrize(
    "options",
    [{}, {"target_accept": 0.3, "store_divergences": True}, {"store_gradient": True}],
    ids=["defaults", "divergences-stored", "gradient-stored"],
)
def test_the_tree_equals_nutpies_own_conversion(funnel, options):
    nutpie = import_nutpie()
    settings = dict(draws=60, tune=40, chains=3, cores=1, seed=4, progress_bar=False)
    theirs = nutpie.sample(funnel, save_warmup=False, **settings, **options)
    mine = sample_tree(funnel, save_warmup=False, **settings, **options)
    for group in ("posterior", "sample_stats"):
        xr.testing.assert_identical(
            _without_timestamp(mine, group), _without_timestamp(theirs, group)
        )
    stats = mine["sample_stats"]
    assert ("gradient" in stats) == ("store_gradient" in options)
    if "store_divergences" in options:
        diverging = stats["diverging"].values
        assert diverging.sum() > 0 and "divergence_start" in stats
        messages = stats["divergence_message"].values
        assert all(isinstance(m, str) for m in messages[diverging])
        assert not any(isinstance(m, str) for m in messages[~diverging])  # missing: NaN
    assert mine["posterior"]["x"].dims == ("chain", "draw", "unit")
    assert np.all(np.isfinite(mine["posterior"]["x"].values))


def test_nutpie_imports_without_the_arviz_meta_package():
    script = textwrap.dedent(
        """
        import sys, types
        from hiermodels.nutpie_trace import import_nutpie
        nutpie = import_nutpie()
        heavy = [m for m in ("arviz", "arviz_stats", "matplotlib") if m in sys.modules]
        assert heavy == [], heavy
        import arviz  # the real package, as if hiermodels had not run
        assert type(arviz) is types.ModuleType and arviz.from_dict is not None
        assert sys.modules["nutpie.sample"].arviz.from_dict is arviz.from_dict  # via the stand-in
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
