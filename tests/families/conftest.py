"""Helpers for the family tests: each family's PyMC density evaluated without sampling."""

from __future__ import annotations

import numpy as np
import pytest


def _pymc_log_density(family, link, *, eta, y, aux=None, trials=None) -> np.ndarray:
    """The log density of ``y`` under ``family.pymc_likelihood``, one value per row.

    Compiled with FAST_COMPILE (Python implementations, no C compilation).
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    with pm.Model():
        aux_rv = {k: pt.as_tensor(float(v)) for k, v in (aux or {}).items()}
        rv = family.pymc_likelihood(
            "y",
            eta=pt.as_tensor(np.asarray(eta, dtype=float)),
            link=link,
            aux=aux_rv,
            observed=np.asarray(y, dtype=float),
            trials=trials,
            dims=None,
        )
    return pytensor.function([], pm.logp(rv, np.asarray(y, dtype=float)), mode="FAST_COMPILE")()


@pytest.fixture
def pymc_log_density():
    return _pymc_log_density


def _numpy_log_density(family, link, *, eta, y, aux=None, trials=None) -> np.ndarray:
    """``family.log_likelihood`` for one draw, one value per row."""
    aux = {k: np.full((1, 1), float(v)) for k, v in (aux or {}).items()}
    eta = np.asarray(eta, dtype=float)[None, None, :]
    return family.log_likelihood(
        link, eta=eta, y=np.asarray(y, dtype=float), trials=trials, aux=aux
    )[0, 0]


@pytest.fixture
def numpy_log_density():
    return _numpy_log_density


def _moments(family, mean: float, aux: dict, *, trials=None, n: int = 200_000, seed: int = 0):
    """Sample mean and variance of ``n`` response draws at one ``mean``."""
    rng = np.random.default_rng(seed)
    shape = (2, n // 2, 1)
    draws = family.draw_response(
        np.full(shape, mean),
        {k: np.full(shape[:2], float(v)) for k, v in aux.items()},
        trials=trials,
        rng=rng,
    )
    return draws, float(draws.mean()), float(draws.var())


@pytest.fixture
def response_moments():
    return _moments
