"""The committed notebooks: all present, executed in order with the full settings,
without errors, with every fit using the parameters cell's sampler settings."""

from __future__ import annotations

import re

import nbformat
import pytest
from notebook_runner import NOTEBOOKS, printed_text

NAMES = [
    "01_partial_pooling.ipynb",
    "02_growth_curves.ipynb",
    "03_cross_classified.ipynb",
    "04_multiple_membership.ipynb",
    "05_multilevel_logistic.ipynb",
    "06_model_comparison.ipynb",
    "07_three_levels.ipynb",
    "08_mrp.ipynb",
    "09_eight_schools_known_se.ipynb",
    "10_pooling_and_likelihood.ipynb",
    "11_random_slopes_step_by_step.ipynb",
    "12_ordinal_and_zero_inflated.ipynb",
]
#: The committed outputs must be small enough to review and to diff.
MAX_BYTES = 1_500_000


def test_the_notebooks_are_committed():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    assert (NOTEBOOKS / "reference" / "reference_fits.R").is_file()
    assert (NOTEBOOKS / "reference" / "reference_fits.csv").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_was_executed_top_to_bottom_without_errors(name):
    path = NOTEBOOKS / name
    assert path.stat().st_size < MAX_BYTES
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure in the outputs"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_starts_with_the_parameters_cell_and_uses_it(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    parameters = code[0]
    assert "parameters" in parameters.metadata.get("tags", [])
    for setting, default in [("DRAWS", 1000), ("TUNE", 1000), ("CHAINS", 4)]:
        assert (
            f'{setting} = int(os.environ.get("HIERMODELS_NOTEBOOK_{setting}", {default}))'
            in parameters.source
        )
    for cell in code[1:]:
        # every sampling call takes the parameters cell's settings
        for call in re.findall(r"\.fit\(|compare_pooling\(", cell.source):
            assert "**SAMPLING" in cell.source, f"{name}: {call} without **SAMPLING"
        assert "plt.show()" not in cell.source
    # the committed outputs come from the full settings, not the tests' few draws
    text = printed_text(notebook)
    assert "chains x 100 " not in text
    assert re.search(r"Draws: 4 chains x 1000 ", text), f"{name}: no full-settings summary"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_outputs_are_clean(name):
    """Issue #19: no warning text, no absolute paths, figures at 100 dpi or more, and the
    shared helpers imported rather than copied."""
    import base64
    import struct

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "from _helpers import" in code[1].source and "setup()" in code[1].source
    assert not any("def label(" in cell.source for cell in code), "a copied helper"
    for cell in code:
        for output in cell.outputs:
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            assert not re.search(r"(/work/|/root/|/home/|/tmp/|site-packages)", text), text
            if output.output_type == "stream":
                assert output.name != "stderr" or "Warning" not in text, text
            png = output.get("data", {}).get("image/png")
            if png:
                # inline figures are drawn at figure.dpi: a 110-dpi figure of 6.4 inches
                # is 704 pixels wide; 72 dpi gave 460. The PNG header holds the size.
                width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]
                assert width >= 500, f"{name}: a figure {width} px wide (dpi < 100?)"
