"""MkDocs hook: text helpers for the reference pages.

- ``<!-- dataset-table -->`` in a page becomes a table of the shipped data sets, read
  from ``hiermodels.datasets`` at build time, so it never goes stale.
- The package's docstrings use Sphinx roles (``:class:`hiermodels.Fit```), which
  mkdocstrings prints literally. They become cross-references: ``hm.X`` names are mapped
  to the module that defines them (``hiermodels.Fit`` -> ``hiermodels.results.Fit``)
  and linked when that object is documented here; otherwise the name stays as code.
"""

from __future__ import annotations

import html
import re
import types

DATASET_MARKER = "<!-- dataset-table -->"
_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|obj|data):<code>(~?)([^<]+)</code>")


def dataset_table() -> str:
    """A Markdown table of ``hm.datasets.list()``, with description, source and citation."""
    from hiermodels import datasets

    rows = ["| name | description | source | citation |", "|---|---|---|---|"]
    for name in datasets.list():
        first, *rest = datasets.describe(name).splitlines()
        fields = dict(line.split(": ", 1) for line in rest if ": " in line)
        description = first.split(": ", 1)[1] if ": " in first else first
        cells = [f"`{name}`", description, fields.get("Source", ""), fields.get("Citation", "")]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def canonical(identifier: str) -> str:
    """Where a top-level name is defined: ``hiermodels.Fit.predict`` ->
    ``hiermodels.results.Fit.predict``, ``hiermodels.Prior`` -> ``hiermodels.spec.priors.Prior``.

    Lazy names are looked up in ``hiermodels._LAZY`` (nothing heavy is imported); names
    bound at import time by the object's ``__module__``.
    """
    import hiermodels

    parts = identifier.split(".")
    if len(parts) < 2 or parts[0] != "hiermodels":
        return identifier
    module = hiermodels._LAZY.get(parts[1])
    if module is None:
        value = vars(hiermodels).get(parts[1])
        if value is not None and not isinstance(value, types.ModuleType):
            module = getattr(value, "__module__", None)
    return ".".join([module, *parts[1:]]) if module else identifier


def _reference(match: re.Match) -> str:
    short, identifier = match.group(1), html.unescape(match.group(2))
    shown = identifier.rsplit(".", 1)[-1] if short else identifier
    code = f"<code>{html.escape(shown)}</code>"
    if "." not in identifier:
        return code
    return f'<autoref identifier="{html.escape(canonical(identifier))}" optional>{code}</autoref>'


def on_page_markdown(markdown, page, config, files):
    if DATASET_MARKER in markdown:
        markdown = markdown.replace(DATASET_MARKER, dataset_table())
    return markdown


def on_page_content(html_text, page, config, files):
    return _ROLE.sub(_reference, html_text)
