"""Family parameters given per row, (chain, draw, rows), as distributional formulas give
them: every family's NumPy behaviours must read them row by row."""

from __future__ import annotations

import numpy as np
import pytest

from hiermodels.families import FAMILIES, get_family
from hiermodels.spec.distributional import DPAR_LINKS

#: A valid value of each parameter per row (3 rows), and a response each family accepts.
VALUES = {
    "sigma": [0.5, 1.0, 2.0],
    "nu": [3.0, 10.0, 30.0],
    "alpha": [0.5, 2.0, 8.0],
    "phi": [2.0, 5.0, 20.0],
    "shape": [0.5, 2.0, 6.0],
    "zi": [0.1, 0.4, 0.8],
    "hu": [0.1, 0.4, 0.8],
}
Y = {
    "real": [0.3, -1.0, 2.0],
    "count": [0.0, 2.0, 5.0],
    "positive": [0.3, 1.0, 2.5],
    "unit_interval": [0.2, 0.5, 0.9],
}
CASES = [
    name
    for name, fam in sorted(FAMILIES.items())
    if fam.parameters and set(fam.parameters) <= set(DPAR_LINKS) and fam.support in Y
]


@pytest.mark.parametrize("name", CASES)
def test_a_parameter_per_row_gives_row_by_row_the_per_draw_answer(name):
    fam = get_family(name)
    link = fam.default_link
    y = np.array(Y[fam.support])
    eta = np.array([[[0.2, -0.3, 0.5]]])  # (chain, draw, rows)
    per_row = {p: np.array([[VALUES[p]]]) for p in fam.parameters}
    ll = fam.log_likelihood(link, eta=eta, y=y, trials=None, aux=per_row)
    mean = fam.expected_value(link, eta=eta, aux=per_row, trials=None)
    assert ll.shape == mean.shape == eta.shape
    for i in range(3):
        one = {p: np.array([[VALUES[p][i]]]) for p in fam.parameters}
        expect = fam.log_likelihood(
            link, eta=eta[..., i : i + 1], y=y[i : i + 1], trials=None, aux=one
        )
        assert ll[..., i] == pytest.approx(expect[..., 0])
        expect = fam.expected_value(link, eta=eta[..., i : i + 1], aux=one, trials=None)
        assert mean[..., i] == pytest.approx(expect[..., 0])
    location = fam.draw_location(link, eta=np.repeat(eta, 4000, axis=1), aux=per_row, trials=None)
    draws = fam.draw_response(location, per_row, trials=None, rng=np.random.default_rng(1))
    assert draws.shape == (1, 4000, 3)
    sd = draws.std(axis=(0, 1))
    expect = np.sqrt(np.mean((draws - mean) ** 2, axis=(0, 1)))
    assert np.all(np.isfinite(sd)) and expect == pytest.approx(sd, rel=0.2)
