"""The specification layer is pure Python: it imports and works without PyMC or PyTensor.

Each check runs in a fresh interpreter in which ``import pymc`` and ``import pytensor``
fail (``sys.modules[name] = None``), so an accidental import anywhere on the path fails it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_BACKEND = """
import sys
sys.modules["pymc"] = None
sys.modules["pytensor"] = None
"""

USE_SPEC = """
import hiermodels.spec
from hiermodels.spec.formula import parse_formula
from hiermodels.spec.priors import Prior
from hiermodels.spec.terms import ModelSpec

parsed = parse_formula("y ~ x + (1 + x || g) + (1 | a/b) + (1 | mm(s1, s2))")
spec = ModelSpec(parsed.response, parsed.fixed, parsed.group_terms, family="gaussian")
assert spec.group_names == ("g", "a", "a:b", "mm(s1, s2)"), spec.group_names
import hiermodels.families
assert hiermodels.families.get_family("poisson").default_link == "log"
assert str(Prior("Normal", mu=0, sigma=1)) == "Normal(mu=0, sigma=1)"
assert "pymc" not in [m for m in sys.modules if sys.modules[m] is not None]
assert not any(m.startswith(("pymc.", "pytensor.")) for m in sys.modules)
print("ok")
"""

# Makes ``hiermodels`` an empty namespace over the real package directory, so the package
# ``__init__`` (which imports the PyMC backend) does not run and only the spec layer loads.
SKIP_PACKAGE_INIT = """
import importlib.util, types
_found = importlib.util.find_spec("hiermodels")
_pkg = types.ModuleType("hiermodels")
_pkg.__path__ = list(_found.submodule_search_locations)
sys.modules["hiermodels"] = _pkg
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_blocking_pymc_really_blocks_it():
    result = run(BLOCK_BACKEND + "import pymc\n")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_spec_modules_do_not_import_pymc_or_pytensor():
    result = run(BLOCK_BACKEND + SKIP_PACKAGE_INIT + USE_SPEC)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_import_hiermodels_spec_without_pymc():
    """The documented promise: ``import hiermodels.spec`` works without a backend."""
    result = run(BLOCK_BACKEND + USE_SPEC)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
