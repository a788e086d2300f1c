"""The registry: lookup, links, registration rules, and the old import path."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import hiermodels as hm
from hiermodels.errors import SpecError
from hiermodels.families import FAMILIES, LINKS, Family, get_family, resolve_link
from hiermodels.families.gaussian import Gaussian
from hiermodels.families.student_t import StudentT

SHIPPED = [
    "bernoulli",
    "beta",
    "binomial",
    "cumulative",
    "gamma",
    "gaussian",
    "hurdle_negative_binomial",
    "hurdle_poisson",
    "lognormal",
    "negative_binomial",
    "poisson",
    "student_t",
    "zero_inflated_negative_binomial",
    "zero_inflated_poisson",
]


def test_every_shipped_family_is_registered_under_its_name():
    assert sorted(FAMILIES) == SHIPPED
    for name, family in FAMILIES.items():
        assert isinstance(family, Family) and family.name == name
        assert family.links and set(family.links) <= set(LINKS)


def test_unknown_family_lists_the_valid_ones():
    with pytest.raises(SpecError, match=r"Unknown family 'weibull'; valid families are \['bern"):
        get_family("weibull")
    with pytest.raises(SpecError, match="Unknown family 3"):
        get_family(3)


def test_links_default_and_checked():
    assert resolve_link(get_family("binomial"), None) == "logit"
    assert resolve_link(get_family("binomial"), "cloglog") == "cloglog"
    with pytest.raises(
        SpecError, match=r"'log' is not available.*\['logit', 'probit', 'cloglog'\]"
    ):
        resolve_link(get_family("bernoulli"), "log")


class Renamed(Gaussian):
    name = "gaussian_copy"


def test_register_and_unregister_a_family():
    family = hm.families.register(Renamed())
    try:
        assert get_family("gaussian_copy") is family
        with pytest.raises(SpecError, match="'gaussian_copy' is already registered"):
            hm.families.register(Renamed())
    finally:
        hm.families.unregister("gaussian_copy")
    assert "gaussian_copy" not in FAMILIES
    with pytest.raises(SpecError, match="No family called 'gaussian_copy'"):
        hm.families.unregister("gaussian_copy")


def test_shipped_families_cannot_be_replaced_or_removed():
    with pytest.raises(SpecError, match="'gaussian' is already registered"):
        hm.families.register(Gaussian())
    with pytest.raises(SpecError, match="ships with hiermodels"):
        hm.families.unregister("gaussian")


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"name": "bad name"}, "must be an identifier"),
        ({"links": ("sqrt",)}, r"links as a non-empty tuple of \['identity', 'log'"),
        ({"links": ()}, "links as a non-empty tuple"),
        ({"parameters": ["sigma"]}, "parameters as a tuple of identifiers"),
        ({"support": "circular"}, r"support 'circular'; valid supports are \['real'"),
    ],
)
def test_register_checks_the_declarations(attrs, message):
    bad = type("Bad", (Gaussian,), {"name": "bad_family", **attrs})()
    with pytest.raises(SpecError, match=message):
        hm.families.register(bad)
    assert "bad_family" not in FAMILIES


def test_only_gaussian_families_may_be_collapsible():
    """The marginal, Gibbs and REML paths integrate a normal likelihood in closed form."""
    heavy = type("Heavy", (StudentT,), {"name": "heavy", "collapsible": True})()
    with pytest.raises(SpecError, match=r"collapsible=True.*only subclasses of .*Gaussian"):
        hm.families.register(heavy)
    assert "heavy" not in FAMILIES


def test_register_takes_family_objects_only():
    with pytest.raises(SpecError, match=r"takes a hiermodels\.families\.Family instance, got str"):
        hm.families.register("laplace")
    with pytest.raises(TypeError, match="abstract"):
        type("Incomplete", (Family,), {"name": "incomplete"})()


def test_families_import_without_pymc_pytensor_or_scipy():
    code = textwrap.dedent(
        """
        import sys
        for name in ("pymc", "pytensor", "scipy"):
            sys.modules[name] = None
        import hiermodels
        from hiermodels.families import FAMILIES
        assert [f.default_link for f in FAMILIES.values()][:3] == ["identity", "identity", "logit"]
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
