"""Self-contained HTML reports: tables, paragraphs, figures as embedded PNGs; no request
leaves the page (no scripts, fonts or styles from elsewhere).

Examples
--------
>>> page = html_page("Title", [section("Notes", text("all fine"))])
>>> page.startswith("<!DOCTYPE html>") and "all fine" in page
True
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

__all__ = ["figure", "html_page", "paragraph", "section", "table", "text", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.advice { background: #fff7e0; padding: 0.6em; border-left: 4px solid #e0a000; }
.ok { background: #eef8ee; padding: 0.6em; border-left: 4px solid #3a3; }
.explain { max-width: 60em; line-height: 1.45; }
"""


def text(content: str, *, css: str | None = None) -> str:
    """Preformatted text (a summary printout), or a paragraph with a CSS class."""
    if css is None:
        return f"<pre>{html.escape(content)}</pre>"
    return f'<p class="{css}">{html.escape(content)}</p>'


def paragraph(content: str) -> str:
    """A paragraph of explanation."""
    return f'<p class="explain">{html.escape(content)}</p>'


def table(frame: pd.DataFrame, *, digits: int = 3) -> str:
    """A DataFrame as an HTML table, numbers rounded; a named index becomes a column."""
    frame = frame.round(digits)
    if any(name is not None for name in frame.index.names):
        # the index names as header cells of their columns, not as a row of their own
        return frame.reset_index().to_html(border=0, na_rep="", index=False)
    return frame.to_html(border=0, na_rep="")


def figure(fig, *, alt: str) -> str:
    """A matplotlib figure (or an arviz-plots PlotCollection) as an embedded PNG."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):  # an arviz-plots PlotCollection
        fig = fig.get_viz("figure")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")

    plt.close("all")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def section(title: str, *parts: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n" + "\n".join(parts)


def html_page(title: str, sections: list[str]) -> str:
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def write_report(path: Path, title: str, sections: list[str]) -> Path:
    """Write the page to ``path`` and return it."""
    path.write_text(html_page(title, sections), encoding="utf-8")
    return path
