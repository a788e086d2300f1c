"""Make ``benchmarks/.venv-bambi``: bambi on top of the project's own PyMC.

Run with the project's interpreter from the repository root::

    .venv/bin/python benchmarks/setup_bambi_venv.py

bambi 0.21 requires ``pymc>=6,<7`` and ``pytensor>=3,<4``, the same as hiermodels, so it
could share the project's venv; it is kept apart so that the project's environment
(and CI) never sees bambi, formulae, seaborn, sparse or graphviz. The new venv reads the
project venv's site-packages through a ``.pth`` file and installs only bambi and its
five extra dependencies into its own site-packages (``--no-deps``), so bambi runs on
exactly the PyMC, PyTensor, nutpie and numba that hiermodels uses. bambi's ``nutpie``
extra pins ``numba<0.66``; it is not installed, and bambi's nutpie path works with the
project's numba.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / ".venv-bambi"
PACKAGES = [
    "bambi==0.21.0",
    "formulae>=0.6,<0.7",
    "sparse>=0.17,<0.18",
    "seaborn>=0.13.2,<0.14",
    "graphviz",
]


def main() -> None:
    if sys.prefix == sys.base_prefix:
        raise SystemExit("Run this with the project's venv interpreter (.venv/bin/python).")
    project_site = sysconfig.get_paths()["purelib"]
    venv.EnvBuilder(with_pip=True, clear=False).create(TARGET)
    python = TARGET / "bin" / "python"
    target_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # ``site.addsitedir`` (not a bare path) so the project's own .pth files (the editable
    # hiermodels install) are read too.
    (Path(target_site) / "_project_venv.pth").write_text(
        f"import site; site.addsitedir({project_site!r})\n", encoding="utf-8"
    )
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", *PACKAGES], check=True
    )
    check = (
        "import bambi, pymc, nutpie; print('bambi', bambi.__version__, 'pymc', pymc.__version__)"
    )
    subprocess.run([str(python), "-c", check], check=True)


if __name__ == "__main__":
    main()
