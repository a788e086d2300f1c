"""MkDocs hook: render the teaching notebooks, which live outside ``docs_dir``.

The notebooks are committed in ``notebooks/`` at the repository root (with their
outputs), not under ``docs/``. This hook makes them pages without copying or linking
anything into ``docs/``, and works with any number of notebooks, including none:

- ``on_config`` adds one nav entry per ``notebooks/*.ipynb`` to the "Notebooks" section,
  titled by the notebook's first Markdown heading;
- ``on_files`` adds the notebooks as documentation files, before mkdocs-jupyter turns
  ``.ipynb`` files into pages (hence the higher event priority);
- ``on_page_markdown`` fills the ``<!-- notebook-list -->`` marker (in ``notebooks.md``)
  with links to the notebooks found;
- ``on_page_content`` points links between notebooks (``02_x.ipynb``) at their pages.

Nothing is executed: mkdocs-jupyter renders the committed outputs (``execute: false``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

NOTEBOOK_DIR = "notebooks"
NAV_SECTION = "Notebooks"
LIST_MARKER = "<!-- notebook-list -->"


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def notebook_paths(config) -> list[Path]:
    """The ``.ipynb`` files directly in ``notebooks/``, sorted by name."""
    folder = _root(config) / NOTEBOOK_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, or its file name without the suffix."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        cells = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            match = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return match.group(1)
    return path.stem.replace("_", " ")


def on_config(config):
    entries = [{notebook_title(p): f"{NOTEBOOK_DIR}/{p.name}"} for p in notebook_paths(config)]
    nav = config.nav or []
    for item in nav:
        if isinstance(item, dict) and NAV_SECTION in item:
            section = item[NAV_SECTION]
            item[NAV_SECTION] = [*(section if isinstance(section, list) else [section]), *entries]
            break
    else:
        if entries:
            nav.append({NAV_SECTION: entries})
    config.nav = nav
    folder = _root(config) / NOTEBOOK_DIR
    if folder.is_dir() and str(folder) not in config.watch:
        config.watch.append(str(folder))  # `mkdocs serve` rebuilds when a notebook changes
    return config


@event_priority(50)  # before mkdocs-jupyter wraps the .ipynb files (priority 0)
def on_files(files, config):
    root = _root(config)
    for path in notebook_paths(config):
        files.append(
            File(
                f"{NOTEBOOK_DIR}/{path.name}",
                src_dir=str(root),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def on_page_markdown(markdown, page, config, files):
    if LIST_MARKER not in markdown:
        return markdown
    notebooks = notebook_paths(config)
    if notebooks:
        lines = [f"- [{notebook_title(p)}]({NOTEBOOK_DIR}/{p.name})" for p in notebooks]
    else:
        lines = ["*No notebooks were found in `notebooks/` when this site was built.*"]
    return markdown.replace(LIST_MARKER, "\n".join(lines))


_HREF = re.compile(r'href="([^"/#?:]+\.ipynb)(#[^"]*)?"')


def on_page_content(html, page, config, files):
    if not page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/"):
        return html
    pages = {
        f.src_uri.split("/", 1)[1]: f
        for f in files
        if f.src_uri.startswith(f"{NOTEBOOK_DIR}/") and f.src_uri.endswith(".ipynb")
    }

    def relink(match: re.Match) -> str:
        target = pages.get(match.group(1))
        if target is None:
            return match.group(0)
        url = get_relative_url(target.url, page.file.url)
        return f'href="{url}{match.group(2) or ""}"'

    return _HREF.sub(relink, html)
