"""Row terms ``se()``, ``cens()``, ``weights()``: densities against SciPy, PyMC against NumPy.

The NumPy pointwise log density equals SciPy's to 1e-10; the PyMC graph agrees to a
relative 1e-7 (PyMC's normal log CDF is accurate to about 1e-8 in the tails).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.families import get_family
from hiermodels.families.row_terms import (
    RowTerms,
    family_parameters,
    pymc_row_likelihood,
    row_draws,
    row_log_likelihood,
)

ETA = np.array([0.3, -0.2, 1.1, 0.5, 0.9, 1.4])
CODES = np.array([0, -1, 1, 2, 0, 2])
WEIGHTS = np.array([1.0, 2.0, 0.5, 3.0, 0.0, 1.5])


def _numpy(family, link, rows, y, aux, trials=None):
    aux = {k: np.full((1, 1), float(v)) for k, v in aux.items()}
    return row_log_likelihood(
        get_family(family), link, eta=ETA[None, None], y=y, trials=trials, aux=aux, rows=rows
    )[0, 0]


def _pymc(family, link, rows, y, aux, trials=None):
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    fam = get_family(family)
    with pm.Model():
        rv = pymc_row_likelihood(
            fam,
            "y",
            eta=pt.as_tensor(ETA),
            link=link,
            aux={k: pt.as_tensor(float(v)) for k, v in aux.items()},
            observed=y,
            trials=trials,
            dims=None,
            rows=rows,
        )
    return pytensor.function([], pm.logp(rv, y), mode="FAST_COMPILE")()


def _reference(dist, y, y2, codes):
    """SciPy: density, P(Y <= y), P(Y > y), P(y < Y <= y2) by code."""
    density = dist.logpmf(y) if hasattr(dist, "logpmf") else dist.logpdf(y)
    interval = np.log(dist.cdf(y2) - dist.cdf(y))
    return np.select(
        [codes == 0, codes == -1, codes == 1, codes == 2],
        [density, dist.logcdf(y), dist.logsf(y), interval],
    )


CASES = {
    "gaussian": (
        "identity",
        {"sigma": 0.8},
        np.array([0.1, -0.9, 2.5, 0.2, 1.0, -1.0]),
        lambda aux: stats.norm(ETA, aux["sigma"]),
    ),
    "poisson": (
        "log",
        {},
        np.array([1.0, 0.0, 4.0, 1.0, 2.0, 3.0]),
        lambda aux: stats.poisson(np.exp(ETA)),
    ),
    "negative_binomial": (
        "log",
        {"alpha": 2.5},
        np.array([1.0, 0.0, 4.0, 1.0, 2.0, 3.0]),
        lambda aux: stats.nbinom(aux["alpha"], aux["alpha"] / (aux["alpha"] + np.exp(ETA))),
    ),
}


@pytest.mark.parametrize("family", list(CASES))
def test_censored_weighted_log_density_equals_scipy(family):
    link, aux, y, dist = CASES[family]
    y2 = np.where(CODES == 2, y + 2.0, np.nan)
    rows = RowTerms(cens=CODES, y2=y2, weights=WEIGHTS)
    expected = WEIGHTS * _reference(dist(aux), y, np.where(CODES == 2, y2, y + 1), CODES)
    np.testing.assert_allclose(_numpy(family, link, rows, y, aux), expected, rtol=0, atol=1e-10)
    # the normal's log-cdf is hiermodels' own (PyMC's is off by up to 3e-8, see
    # row_terms._pt_log_cdf); the counts' are PyMC's
    rtol = 1e-12 if family == "gaussian" else 1e-7
    np.testing.assert_allclose(_pymc(family, link, rows, y, aux), expected, rtol=rtol, atol=0)


def test_discrete_conventions_are_brms():
    """Right-censored at 3 is P(Y > 3); an interval (1, 3] is P(Y = 2) + P(Y = 3)."""
    lam = np.exp(ETA[:2])
    rows = RowTerms(cens=np.array([1, 2]), y2=np.array([np.nan, 3.0]))
    ll = row_log_likelihood(
        get_family("poisson"),
        "log",
        eta=ETA[None, None, :2],
        y=np.array([3.0, 1.0]),
        trials=None,
        aux={},
        rows=rows,
    )[0, 0]
    p = stats.poisson(lam)
    right = 1 - sum(p.pmf(k)[0] for k in range(4))
    interval = p.pmf(2)[1] + p.pmf(3)[1]
    np.testing.assert_allclose(np.exp(ll), [right, interval], rtol=1e-12)


@pytest.mark.parametrize("with_sigma", [False, True])
def test_known_se_log_density_equals_scipy(with_sigma):
    y = np.array([0.1, -0.9, 2.5, 0.2, 1.0, -1.0])
    se = np.array([0.5, 1.0, 2.0, 0.3, 1.5, 0.7])
    aux = {"sigma": 0.6} if with_sigma else {}
    scale = np.sqrt(se**2 + 0.36) if with_sigma else se
    for rows, expected in (
        (RowTerms(se=se, se_sigma=with_sigma), stats.norm.logpdf(y, ETA, scale)),
        (
            RowTerms(se=se, se_sigma=with_sigma, cens=CODES, y2=y + 1.0, weights=WEIGHTS),
            WEIGHTS * _reference(stats.norm(ETA, scale), y, y + 1.0, CODES),
        ),
    ):
        np.testing.assert_allclose(
            _numpy("gaussian", "identity", rows, y, aux), expected, rtol=0, atol=1e-10
        )
        np.testing.assert_allclose(
            _pymc("gaussian", "identity", rows, y, aux), expected, rtol=1e-7, atol=0
        )


def test_interval_far_in_the_upper_tail_stays_finite():
    rows = RowTerms(cens=np.array([2]), y2=np.array([40.0]))
    ll = row_log_likelihood(
        get_family("gaussian"),
        "identity",
        eta=np.zeros((1, 1, 1)),
        y=np.array([39.0]),
        trials=None,
        aux={"sigma": np.ones((1, 1))},
        rows=rows,
    )
    expected = stats.norm.logsf(39.0) + np.log1p(
        -np.exp(stats.norm.logsf(40) - stats.norm.logsf(39))
    )
    np.testing.assert_allclose(ll[0, 0], [expected], rtol=1e-10)


def test_parameters_and_draws_with_known_se():
    gaussian = get_family("gaussian")
    se = np.array([1.0, 3.0])
    assert family_parameters(gaussian, RowTerms(se=se)) == ()
    assert family_parameters(gaussian, RowTerms(se=se, se_sigma=True)) == ("sigma",)
    assert family_parameters(gaussian, RowTerms(cens=np.zeros(2, dtype=int))) == ("sigma",)
    draws = row_draws(
        gaussian,
        np.zeros((2, 50_000, 2)),
        {},
        trials=None,
        rng=np.random.default_rng(0),
        rows=RowTerms(se=se),
    )
    np.testing.assert_allclose(draws.std(axis=(0, 1)), se, rtol=0.02)


@pytest.mark.parametrize("family", ["bernoulli", "binomial", "student_t"])
def test_families_without_the_hooks_refuse_cens(family):
    fam = get_family(family)
    assert not fam.supports_censoring
    with pytest.raises(SpecError, match=f"family '{family}' does not support cens"):
        fam.log_cdf("identity", eta=ETA, y=ETA, trials=None, aux={})


def test_integer_weights_equal_duplicated_rows():
    """The model's log density with weight 2 on a row equals that of the row written
    twice, at a fixed point (x has the same mean both ways, so the internal centring
    agrees, and every prior is set, so no default depends on the data)."""
    df = pd.DataFrame(
        {
            "y": [1.2, 0.4, 2.2, 1.9, 0.1, 1.0],
            "x": [-1.0, 0.0, 1.0, 1.0, 0.0, -1.0],
            "g": list("aabbcc"),
            "w": [2, 1, 2, 2, 1, 2],
            "c": [0, -1, 0, 1, 0, 0],
        }
    )
    twice = df.loc[df.index.repeat(df["w"])].reset_index(drop=True)
    priors = {
        "Intercept": hm.Prior("Normal", mu=0, sigma=5),
        "b": hm.Prior("Normal", mu=0, sigma=2),
        "sd": hm.Prior("HalfNormal", sigma=1),
        "sigma": hm.Prior("HalfNormal", sigma=1),
    }
    weighted = hm.Model("y | cens(c) + weights(w) ~ x + (1 | g)", df, priors=priors)
    duplicated = hm.Model("y | cens(c) ~ x + (1 | g)", twice, priors=priors)
    a, b = weighted.pymc_model, duplicated.pymc_model
    point = {k: v + 0.3 for k, v in a.initial_point().items()}
    assert set(point) == set(b.initial_point())
    logp_a = a.compile_logp(mode="FAST_COMPILE")(point)
    logp_b = b.compile_logp(mode="FAST_COMPILE")(point)
    np.testing.assert_allclose(logp_a, logp_b, rtol=1e-12)
    assert weighted.formula.startswith("y | cens(c) + weights(w) ~")
