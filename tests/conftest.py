"""Fitted models shared across test modules (compiling costs far more than sampling)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import hiermodels as hm

# The lme4 reference cases, their sampler settings and the comparison live next to the
# reference numbers, so docs/validation.md is generated from the same definitions.
sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
import agreement


class FitCache:
    """Fits each lme4 reference case (``agreement.CASES``) once per session, on first use."""

    def __init__(self):
        self._fits: dict[str, hm.Fit] = {}

    def __getitem__(self, case: str) -> hm.Fit:
        if case not in self._fits:
            self._fits[case] = agreement.fit_case(case)
        return self._fits[case]


@pytest.fixture(scope="session")
def reference_fits() -> FitCache:
    return FitCache()


@pytest.fixture(scope="session")
def sleepstudy_fit(reference_fits) -> hm.Fit:
    return reference_fits["sleepstudy"]


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Close the figures a test left open in pyplot (ArviZ's plots draw through it).

    Which tests share a worker process depends on how xdist hands out the files; after
    twenty open figures matplotlib warns, and the suite turns warnings into errors.
    """
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
