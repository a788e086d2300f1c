"""Fitted models shared across test modules (compiling costs far more than sampling)."""

from __future__ import annotations

import pytest

import hiermodels as hm

# (data set, formula, model options, sampler options); the parameterisation is "auto".
LME4_CASES = {
    "sleepstudy": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", {}, {}),
    "oxboys": ("Oxboys", "height ~ age + (age | Subject)", {}, {}),
    "penicillin": ("Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", {}, {}),
    "pastes": ("Pastes", "strength ~ 1 + (1 | batch/cask)", {}, {"target_accept": 0.95}),
    "hsb82": ("Hsb82", "mAch ~ meanses + cses + (1 + cses | school)", {}, {}),
}


class FitCache:
    """Fits each lme4 reference case once per session, on first use."""

    def __init__(self):
        self._fits: dict[str, hm.Fit] = {}

    def __getitem__(self, case: str) -> hm.Fit:
        if case not in self._fits:
            dataset, formula, options, sampling = LME4_CASES[case]
            model = hm.Model(formula, hm.datasets.load(dataset), **options)
            settings = {"draws": 1000, "tune": 1000, **sampling}
            self._fits[case] = model.fit(
                chains=4, cores=2, random_seed=20261122, progressbar=False, **settings
            )
        return self._fits[case]


@pytest.fixture(scope="session")
def reference_fits() -> FitCache:
    return FitCache()


@pytest.fixture(scope="session")
def sleepstudy_fit(reference_fits) -> hm.Fit:
    return reference_fits["sleepstudy"]
