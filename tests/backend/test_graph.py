"""Model.graph(): PyMC's graph of the model, and clear errors for a missing Graphviz."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

import hiermodels as hm
from hiermodels.backend import graph as graph_module


@pytest.fixture(scope="module")
def model():
    return hm.Model("Reaction ~ Days + (1 | Subject)", hm.datasets.load("sleepstudy"))


def _pretend(monkeypatch, *, package: bool, dot: bool):
    real_find_spec, real_which = importlib.util.find_spec, shutil.which
    monkeypatch.setattr(
        graph_module.importlib.util,
        "find_spec",
        lambda name, *a: (
            (real_find_spec(name, *a) if package else None)
            if name == "graphviz"
            else real_find_spec(name, *a)
        ),
    )
    monkeypatch.setattr(
        graph_module.shutil,
        "which",
        lambda cmd, *a: ("/usr/bin/dot" if dot else None) if cmd == "dot" else real_which(cmd, *a),
    )


def test_graph_is_pymc_graph_of_the_model(monkeypatch, model):
    pytest.importorskip("graphviz")  # in the test extras
    _pretend(monkeypatch, package=True, dot=True)  # building needs no dot; showing does
    source = model.graph().source
    for name in ("Intercept", "b", "sd_Subject", "r_Subject", "sigma", "Reaction", "Subject"):
        assert name in source, name
    # the data containers of prior parameters (data only for the compile cache) stay out
    assert "data_prior_" not in source and "data_centre" not in source
    assert "data_prior_sigma_lam" in model.pymc_model.named_vars


@pytest.mark.parametrize(
    ("package", "dot", "named"),
    [
        (False, True, ["'graphviz' Python package (pip install graphviz)"]),
        (True, False, ["Graphviz's 'dot' program"]),
        (False, False, ["'graphviz' Python package", "'dot' program", "they are not installed"]),
    ],
)
def test_a_missing_piece_is_named(monkeypatch, model, package, dot, named):
    _pretend(monkeypatch, package=package, dot=dot)
    with pytest.raises(hm.errors.MissingDependencyError) as err:
        model.graph()
    message = str(err.value)
    assert "the model 'Reaction ~ Days + (1 | Subject)'" in message
    for text in named:
        assert text in message
    assert isinstance(err.value, ImportError)
