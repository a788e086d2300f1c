"""Simulate the multiple-membership pupils data set shipped with hiermodels.

Run from anywhere: ``python datasets/simulate_pupils.py``. It (re)writes, next to this
script,

- ``pupils_multiple_membership.csv``: one row per pupil, with the one to three schools the
  pupil attended (in the order attended) and the share of the pupil's school terms spent in
  each;
- ``pupils_multiple_membership_schools.csv``: the true effect of every school.

The generating model, with everything fixed by ``SEED``::

    score_i = INTERCEPT + SLOPE * prior_i + sum_k w_ik * u[school_ik] + e_i
    u_j ~ Normal(0, SCHOOL_SD),  e_i ~ Normal(0, SIGMA)

``prior`` is a standardised prior-attainment score. Each pupil spent ``TERMS`` school
terms in one school (probability 0.45), two (0.35) or three (0.20); the terms are split at
random, at least one per school, and ``w_ik`` is the share of terms spent in school k. Pupils
who attended fewer than three schools repeat their first school in the unused slots with
weight 0, which is how ``mm()`` in a hiermodels formula takes rows with fewer members: a
member with weight 0 contributes nothing. Schools differ in size (how often pupils choose
them). The stored weights are rounded to 4 decimals and the score is computed from the
stored values (then rounded to 2 decimals), so the CSV is exactly what the model says up to
that last rounding.

The true values are printed by this script and listed in ``PROVENANCE.md`` and in
``hiermodels.datasets.describe("pupils_multiple_membership")``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
N_PUPILS = 1500
N_SCHOOLS = 80
TERMS = 12
SCHOOL_COUNT_PROBS = (0.45, 0.35, 0.20)
INTERCEPT = 50.0
SLOPE = 6.0
SCHOOL_SD = 4.0
SIGMA = 8.0

HERE = Path(__file__).resolve().parent
PUPILS_CSV = HERE / "pupils_multiple_membership.csv"
SCHOOLS_CSV = HERE / "pupils_multiple_membership_schools.csv"


def _term_shares(rng: np.random.Generator, k: int) -> np.ndarray:
    """Shares of ``TERMS`` terms over ``k`` schools, at least one term each."""
    cuts = np.sort(rng.choice(np.arange(1, TERMS), size=k - 1, replace=False))
    terms = np.diff(np.concatenate([[0], cuts, [TERMS]]))
    return terms / TERMS


def simulate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pupils table and the schools' true effects, from ``seed``."""
    rng = np.random.default_rng(seed)
    schools = np.array([f"S{j:02d}" for j in range(1, N_SCHOOLS + 1)])
    effects = rng.normal(0.0, SCHOOL_SD, size=N_SCHOOLS)
    popularity = rng.gamma(4.0, size=N_SCHOOLS)
    popularity /= popularity.sum()

    n_schools = rng.choice([1, 2, 3], size=N_PUPILS, p=SCHOOL_COUNT_PROBS)
    members = np.empty((N_PUPILS, 3), dtype=int)
    weights = np.zeros((N_PUPILS, 3))
    for i, k in enumerate(n_schools):
        chosen = rng.choice(N_SCHOOLS, size=k, replace=False, p=popularity)
        members[i, :k] = chosen
        members[i, k:] = chosen[0]  # unused slots repeat the first school with weight 0
        weights[i, :k] = _term_shares(rng, k)
    weights = np.round(weights, 4)
    # the first share absorbs the rounding, so each row's weights sum to 1 exactly
    weights[:, 0] = np.round(1.0 - weights[:, 1] - weights[:, 2], 4)

    prior = np.round(rng.normal(0.0, 1.0, size=N_PUPILS), 3)
    school_part = (weights * effects[members]).sum(axis=1)
    noise = rng.normal(0.0, SIGMA, size=N_PUPILS)
    score = np.round(INTERCEPT + SLOPE * prior + school_part + noise, 2)

    pupils = pd.DataFrame(
        {
            "pupil": [f"P{i:04d}" for i in range(1, N_PUPILS + 1)],
            "score": score,
            "prior": prior,
            "n_schools": n_schools,
            "school1": schools[members[:, 0]],
            "school2": schools[members[:, 1]],
            "school3": schools[members[:, 2]],
            "w1": weights[:, 0],
            "w2": weights[:, 1],
            "w3": weights[:, 2],
        }
    )
    attended = np.zeros(N_SCHOOLS, dtype=int)
    share = np.zeros(N_SCHOOLS)
    for k in range(3):
        used = weights[:, k] > 0
        np.add.at(attended, members[used, k], 1)
        np.add.at(share, members[:, k], weights[:, k])
    truth = pd.DataFrame(
        {
            "school": schools,
            "effect": np.round(effects, 4),
            "pupils": attended,
            "pupil_equivalents": np.round(share, 4),
        }
    )
    return pupils, truth


def main() -> None:
    pupils, truth = simulate()
    pupils.to_csv(PUPILS_CSV, index=False)
    truth.to_csv(SCHOOLS_CSV, index=False)
    print(f"wrote {PUPILS_CSV.name} ({len(pupils)} pupils) and {SCHOOLS_CSV.name}")
    print(
        f"truth: intercept {INTERCEPT}, slope of prior {SLOPE}, school SD {SCHOOL_SD}, "
        f"residual SD {SIGMA}; seed {SEED}"
    )
    counts = pupils["n_schools"].value_counts().sort_index().to_dict()
    print(f"pupils by number of schools: {counts}")
    print(f"SD of the {N_SCHOOLS} drawn school effects: {truth['effect'].std(ddof=1):.3f}")


if __name__ == "__main__":
    main()
