"""The compiled one-dimensional densities of the Gibbs sampler (hiermodels.gibbs.kernels).

Known answers: SciPy's log-densities for every scale prior (differences between two
points, since the sampler drops constants), and the per-level formulas of the marginal
likelihoods written out with NumPy (the grouped and compiled versions must equal them).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hiermodels.gibbs.kernels as D
from hiermodels.errors import PriorError
from hiermodels.gibbs.priors import SCALE_PRIORS, scale_log_prior
from hiermodels.spec.priors import Prior

# prior, and the SciPy distribution of the scale it describes
PRIORS = [
    (Prior("HalfNormal", sigma=2.0), stats.halfnorm(scale=2.0)),
    (Prior("HalfNormal", tau=0.25), stats.halfnorm(scale=2.0)),
    (Prior("Exponential", lam=0.5), stats.expon(scale=2.0)),
    (Prior("Exponential", scale=2.0), stats.expon(scale=2.0)),
    (Prior("HalfStudentT", nu=3.0, sigma=1.5), stats.t(df=3.0, scale=1.5)),
    (Prior("HalfCauchy", beta=2.0), stats.halfcauchy(scale=2.0)),
    (Prior("Gamma", alpha=2.0, beta=3.0), stats.gamma(a=2.0, scale=1 / 3.0)),
    (Prior("Gamma", mu=2.0, sigma=1.0), stats.gamma(a=4.0, scale=0.5)),
    (Prior("InverseGamma", alpha=3.0, beta=2.0), stats.invgamma(a=3.0, scale=2.0)),
    (Prior("LogNormal", mu=0.5, sigma=0.8), stats.lognorm(s=0.8, scale=np.exp(0.5))),
    (Prior("Uniform", lower=0.0, upper=5.0), stats.uniform(0.0, 5.0)),
]


@pytest.mark.parametrize("prior, reference", PRIORS, ids=lambda p: str(p)[:40])
def test_scale_priors_match_scipy_up_to_a_constant(prior, reference):
    s = np.array([0.3, 0.9, 1.7, 4.2])
    ours = scale_log_prior("sd", prior)(s)
    theirs = reference.logpdf(s)
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], rtol=1e-12, atol=1e-12)


def test_every_scale_prior_is_tested_and_flat_is_flat():
    assert {p.dist for p, _ in PRIORS} | {"HalfFlat"} == set(SCALE_PRIORS)
    assert scale_log_prior("sd", Prior("HalfFlat"))(np.array([0.1, 10.0])).tolist() == [0, 0]
    assert scale_log_prior("sd", Prior("Uniform", lower=1.0, upper=2.0))(np.array(3.0)) == -np.inf
    with pytest.raises(PriorError, match="cannot read the parameters"):
        scale_log_prior("sd", Prior("HalfNormal", mu=1.0))


def test_level_marginal_grouped_by_count_equals_the_per_level_formula():
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 6, size=40).astype(float)
    R = rng.normal(size=40) * 3
    s2, x = 1.3, np.log(0.7)
    t2 = np.exp(2 * x)
    d = s2 + counts * t2
    direct = np.sum(-0.5 * np.log(d / s2) + t2 * R**2 / (2 * s2 * d))
    n, inverse = np.unique(counts, return_inverse=True)
    m = np.bincount(inverse).astype(float)
    S = np.bincount(inverse, weights=R**2)[None, :]
    grouped = D.level_marginal(x, s2, n, m, S, 0, 0, len(n))
    assert grouped == pytest.approx(direct, rel=1e-13)


def test_block_marginal_equals_the_dense_formula():
    rng = np.random.default_rng(2)
    B = np.column_stack([np.ones(30), rng.normal(size=30), np.eye(6)[rng.integers(0, 6, 30)]])
    BtB, b = B.T @ B, rng.normal(size=8)
    precision = np.r_[0.01, 0.02, np.full(6, 4.0)]
    s2, x, start, stop = 0.8, np.log(0.4), 2, 8
    Q = BtB / s2 + np.diag(np.r_[precision[:2], np.full(6, np.exp(-2 * x))])
    chol = np.linalg.cholesky(Q)
    z = np.linalg.solve(chol, b)
    dense = -(stop - start) * x - np.log(np.diag(chol)).sum() + 0.5 * z @ z
    work = np.empty((8, 8)), np.empty((8, 8))
    ours = D.block_marginal(x, s2, BtB, b, precision, start, stop, *work)
    assert ours == pytest.approx(dense, rel=1e-12)
    L = np.empty((8, 8))
    assert D.cholesky(Q, L)
    np.testing.assert_allclose(L, chol, rtol=1e-12, atol=1e-14)
    assert not D.cholesky(-Q, L)
