"""The documentation site: ``mkdocs build --strict`` passes, every page is in the nav,
and the code blocks marked runnable run and print what the page shows.

A runnable block is a ``python`` fence right after the line ``<!-- runnable -->``. The
blocks of one page run in order in one namespace. When a ``text`` fence follows a
runnable block (after one blank line), the block's printed output must equal it. Runnable
blocks never sample: they build models, formulas and priors only.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUNNABLE = re.compile(
    r"^<!-- runnable -->\n```python\n(?P<code>.*?)\n```\n(?:\n```text\n(?P<output>.*?)\n```\n)?",
    re.S | re.M,
)
SAMPLING_CALLS = (".fit(", "compare_pooling(", ".kfold(", "sample_prior_predictive(")


def _environment() -> dict[str, str]:
    # NO_MKDOCS_2_WARNING silences mkdocs-material's banner about its successor.
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _nav_pages(nav) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        else:
            pages.append(value)
    return pages


def _optional_pages() -> tuple[str, ...]:
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        from optional_pages import OPTIONAL_PAGES
    finally:
        sys.path.remove(str(DOCS / "hooks"))
    return OPTIONAL_PAGES


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    result = _mkdocs_build(ROOT, site)
    assert result.returncode == 0, (
        f"mkdocs build --strict failed (exit {result.returncode}):\n{result.stderr}"
    )
    assert (site / "index.html").is_file()
    api = (site / "api" / "model" / "index.html").read_text(encoding="utf-8")
    assert 'id="hiermodels.model.Model.fit"' in api  # mkdocstrings rendered the API
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "notebooks" / notebook.stem / "index.html"
        assert page.is_file(), f"{notebook.name} was not rendered as {page}"


def test_every_markdown_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    pages -= {p for p in pages if p.startswith("hooks/")}
    assert pages - in_nav == set(), "pages missing from the nav in mkdocs.yml"
    missing = {p for p in in_nav - pages if p not in _optional_pages()}
    assert missing == set(), "the nav names pages that do not exist"


def test_strict_build_fails_for_a_page_left_out_of_the_nav(tmp_path):
    """Our ``validation`` settings make strict mode fail on a page missing from the nav."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (project / "docs" / "forgotten.md").write_text("# Forgotten\n", encoding="utf-8")
    small = {
        "site_name": "probe",
        "nav": [{"Home": "index.md"}],
        "validation": config["validation"],
    }
    (project / "mkdocs.yml").write_text(yaml.safe_dump(small), encoding="utf-8")
    result = _mkdocs_build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "forgotten.md" in result.stderr


def _runnable_pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if RUNNABLE.search(p.read_text("utf-8")))


def test_some_pages_have_runnable_blocks():
    assert len(_runnable_pages()) >= 4


@pytest.mark.parametrize("page", _runnable_pages(), ids=lambda p: p.name)
def test_runnable_blocks(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    blocks = list(RUNNABLE.finditer(page.read_text(encoding="utf-8")))
    for number, block in enumerate(blocks, start=1):
        code, expected = block["code"], block["output"]
        where = f"{page.name}, runnable block {number}"
        assert not any(call in code for call in SAMPLING_CALLS), f"{where} samples"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, where, "exec"), namespace)
        if expected is not None:
            got = printed.getvalue().rstrip("\n")
            assert got == expected, (
                f"{where} printed\n{textwrap.indent(got, '    ')}\n"
                f"but the page shows\n{textwrap.indent(expected, '    ')}"
            )
