"""The shrinkage explorer (hiermodels.shrinkage_explorer): its arithmetic and its page."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from hiermodels.errors import SpecError
from hiermodels.shrinkage_explorer import ShrinkageExplorer


@pytest.fixture
def explorer():
    est = pd.DataFrame(
        {"n": [1, 5, 20, 100], "none": [3.0, 0.0, 2.0, 1.5]}, index=["a", "b", "c", "d"]
    )
    return ShrinkageExplorer(est, population=1.0, tau=0.5, sigma=1.0, group="school")


def test_partial_is_the_precision_weighted_mean(explorer):
    n, own, mu, tau, sigma = explorer.n, explorer.own, 1.0, 0.5, 1.0
    expected = (n / sigma**2 * own + mu / tau**2) / (n / sigma**2 + 1 / tau**2)
    np.testing.assert_allclose(explorer.partial(), expected, rtol=1e-14)
    assert explorer.half_weight_size() == pytest.approx(4.0)
    # at n = sigma^2 / tau^2 the weight is one half
    half = ShrinkageExplorer(
        pd.DataFrame({"n": [4.0], "none": [0.0]}), population=0, tau=0.5, sigma=1.0, group="g"
    )
    assert half.weights()[0] == pytest.approx(0.5)
    assert explorer.weights(tau=1e-6).max() < 1e-9  # tau -> 0: complete pooling
    assert explorer.weights(tau=1e6).min() > 1 - 1e-9  # tau -> inf: no pooling


def test_page_is_self_contained_and_carries_the_data(explorer):
    page = explorer.html()
    assert 'class="hm-tau"' in explorer._repr_html_()  # a notebook shows the same page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    data = json.loads(re.search(r"const d = (\{.*?\}), root", page).group(1))
    assert data["n"] == [1, 5, 20, 100] and data["own"] == [3.0, 0.0, 2.0, 1.5]
    assert (data["mu"], data["tau"], data["sigma"]) == (1.0, 0.5, 1.0)
    assert data["levels"] == ["a", "b", "c", "d"] and data["group"] == "school"
    # two explorers on one page do not share an element id
    assert re.search(r'id="([^"]+)"', page).group(1) != re.search(
        r'id="([^"]+)"', explorer.html()
    ).group(1)


def test_a_level_name_cannot_close_the_script():
    est = pd.DataFrame({"n": [2], "none": [1.0]}, index=["</script><b>x"])
    page = ShrinkageExplorer(est, population=0, tau=1, sigma=1, group="g").html()
    assert page.count("</script>") == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau": 0.0}, "tau must be a positive number, got 0.0"),
        ({"sigma": float("nan")}, "sigma must be a positive number, got nan"),
    ],
)
def test_bad_scales_are_named(kwargs, message):
    est = pd.DataFrame({"n": [2], "none": [1.0]})
    args = {"population": 0.0, "tau": 1.0, "sigma": 1.0, "group": "g"} | kwargs
    with pytest.raises(SpecError, match=re.escape(message)):
        ShrinkageExplorer(est, **args)


def test_missing_columns_are_named():
    with pytest.raises(SpecError, match=r"\['none'\] are missing"):
        ShrinkageExplorer(pd.DataFrame({"n": [1]}), population=0, tau=1, sigma=1, group="g")
